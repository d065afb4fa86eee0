"""Pages: the verification page the QR code opens, the PDF check form, and the download link."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from borikan.conftest import sign_in
from borikan.documents.models import IssuedDocument
from borikan.identity.models import User

pytestmark = pytest.mark.django_db


def test_the_qr_url_opens_the_public_verification_page(document: IssuedDocument):
    path = document.verification_url.removeprefix(document.verification_url.split("/verify/")[0])

    response = Client().get(path)

    assert response.status_code == 200
    body = response.content.decode()
    assert document.number in body
    assert "สมชาย ใจดี" in body
    assert "verification-valid" in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_named_verification_page_shows_the_document(document: IssuedDocument, citizen: User):
    response = Client().get(reverse("documents:verify", args=[document.verification_code]))

    assert response.status_code == 200
    assert citizen.email not in response.content.decode()
    assert document.sha256 in response.content.decode()


def test_verification_page_for_an_unknown_code_is_404(document: IssuedDocument):
    response = Client().get(reverse("documents:verify", args=["C" * 43]))

    assert response.status_code == 404
    assert "verification-unknown" in response.content.decode()
    assert document.number not in response.content.decode()


def test_pdf_check_form_recognises_the_issued_file(document: IssuedDocument):
    upload = SimpleUploadedFile("licence.pdf", document.pdf.read(), content_type="application/pdf")

    response = Client().post(reverse("documents:verify_upload"), {"file": upload})

    assert response.status_code == 200
    assert "verification-valid" in response.content.decode()
    assert document.number in response.content.decode()


def test_pdf_check_form_reports_an_altered_file_as_unknown(document: IssuedDocument):
    altered = bytearray(document.pdf.read())
    altered[200] ^= 0x01
    upload = SimpleUploadedFile("licence.pdf", bytes(altered), content_type="application/pdf")

    response = Client().post(reverse("documents:verify_upload"), {"file": upload})

    assert response.status_code == 200
    assert "verification-unknown" in response.content.decode()
    assert document.number not in response.content.decode()


def test_pdf_check_form_is_public():
    assert Client().get(reverse("documents:verify_upload")).status_code == 200


def test_download_link_serves_the_holder(document: IssuedDocument, citizen: User):
    client = Client()
    sign_in(client, citizen)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 200
    assert response.content == document.pdf.read()


def test_download_link_is_404_for_another_person(document: IssuedDocument, other_citizen: User):
    client = Client()
    sign_in(client, other_citizen)

    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404


def test_download_link_sends_anonymous_visitors_to_sign_in(document: IssuedDocument):
    response = Client().get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login"))
