"""The document wallet page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from borikan.conftest import sign_in
from borikan.documents.models import IssuedDocument
from borikan.identity.models import User

pytestmark = pytest.mark.django_db


def test_wallet_lists_the_holders_documents_with_links(document: IssuedDocument, citizen: User):
    client = Client()
    sign_in(client, citizen)

    response = client.get(reverse("delivery:wallet"))

    assert response.status_code == 200
    body = response.content.decode()
    assert document.number in body
    assert reverse("documents:download", args=[document.pk]) in body
    assert reverse("documents:verify", args=[document.verification_code]) in body


def test_wallet_does_not_show_other_peoples_documents(document: IssuedDocument, other_citizen: User):
    client = Client()
    sign_in(client, other_citizen)

    response = client.get(reverse("delivery:wallet"))

    assert response.status_code == 200
    assert document.number not in response.content.decode()


def test_wallet_needs_sign_in():
    response = Client().get(reverse("delivery:wallet"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login"))
