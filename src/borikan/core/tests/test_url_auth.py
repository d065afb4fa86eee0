"""Deny by default: every page needs a signed-in user unless it is on the public list below."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_PAGES = {
    "catalog:search",
    "catalog:service",
    "identity:signup",
    "identity:signup_phone",
    "identity:verify_email",
    "identity:login",
    "identity:recover",
    "identity:recover_confirm",
    "identity:passkey_login",
    "identity:passkey_login_begin",
    "identity:passkey_login_complete",
    "identity:federation_login",
    "identity:federation_callback",
    "documents:verify",
    "documents:verify_upload",
    "delivery:shared",
    "delivery:shared_pdf",
    "governance:agency",
    "set_language",
    "csp_report",
}
SAMPLE_KWARGS = {
    "slug": "liquor-sale-licence",
    "application_id": "00000000-0000-0000-0000-000000000000",
    "attachment_id": 1,
    "number": "INV-X-2569-000001",
    "code": "unknown-code",
    "document_id": 1,
    "pk": 1,
    "uidb64": "MQ",
    "token": "invalid-token",
    "case_ref": "00000000-0000-0000-0000-000000000000",
    "share_id": 1,
    "delivery_id": 1,
    "action": "retry",
}


def _named_pages(resolver: URLResolver = None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("api/"):
                continue  # the API declares its own auth per router; tested in each app
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _named_pages(entry, ns)
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def test_public_list_names_real_pages():
    names = {name for name, _ in _named_pages()}
    assert names >= PUBLIC_PAGES


@pytest.mark.django_db
def test_every_other_page_redirects_anonymous_visitors_to_login():
    from django.urls import reverse

    checked = 0
    for name, pattern in _named_pages():
        if name in PUBLIC_PAGES or name.startswith("bench"):
            continue
        kwargs = {key: SAMPLE_KWARGS[key] for key in pattern.pattern.converters}
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 302, f"{name} {method} → {response.status_code}"
            assert response["Location"].startswith("/account/login/"), name
        checked += 1
    assert checked >= 10
