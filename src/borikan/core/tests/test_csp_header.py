"""The CSP forbids <base> and plugin content on every page (issue 11)."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_pages_send_base_uri_and_object_src_none():
    policy = Client().get("/")["Content-Security-Policy"]
    assert "base-uri 'none'" in policy and "object-src 'none'" in policy and "script-src 'self'" in policy
