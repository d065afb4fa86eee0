"""The payer's invoice page (issue 12): the Thai QR at the top while it is open, with a picture to save for paying
from the same phone; once paid, no QR any more but "ชำระแล้ว", the day it was paid and the receipt."""

import base64

import pytest
from django.test import Client

from borikan.conftest import sign_in
from borikan.payments import promptpay
from borikan.payments.models import Receipt

from .gatewaykit import notification_for, post_webhook, sign

pytestmark = pytest.mark.django_db


def _page(client: Client, invoice) -> str:
    client.cookies["django_language"] = "th"
    response = client.get(f"/payments/invoices/{invoice.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_open_invoice_shows_the_qr_first_with_an_image_to_save(client, make_invoice, payer):
    invoice = make_invoice()
    html = _page(sign_in(client, payer), invoice)
    qr = html.index(f'src="{promptpay.qr_svg_data_uri(invoice.qr_payload)}"')
    assert qr < html.index('class="facts"') < html.index('class="fee-lines"')  # near the top, not at the bottom
    link = html[html.index('class="govuk-button govuk-button--secondary qr-save"') :].split(">", 1)[0]
    assert f'download="{invoice.number}-qr.png"' in link
    href = link.split('href="', 1)[1].split('"', 1)[0]
    assert href.startswith("data:image/png;base64,")
    png = base64.b64decode(href.removeprefix("data:image/png;base64,"))
    assert png == promptpay.qr_png_bytes(invoice.qr_payload) and png.startswith(b"\x89PNG")
    assert "บันทึกรูป QR" in html and "แอปธนาคาร" in html  # what to do with it, in Thai
    assert "ชำระแล้ว" not in html and "payments/receipts/" not in html


def test_paid_invoice_says_paid_in_thai_with_the_day_and_the_receipt_and_no_qr(client, make_invoice, payer):
    invoice = make_invoice()
    body = notification_for(invoice, paid_at="2026-11-25T03:15:00+00:00")
    assert post_webhook(Client(), body, sign(body)).status_code == 200
    receipt = Receipt.objects.get()
    html = _page(sign_in(client, payer), invoice)
    assert "govuk-panel--confirmation" in html and "ชำระแล้ว" in html
    assert "25 พฤศจิกายน 2569" in html  # the day it was paid, Buddhist Era
    assert f'href="/payments/receipts/{receipt.number}/"' in html
    assert "data:image/svg+xml" not in html and "data:image/png" not in html and "qr-save" not in html
    assert "Paid" not in html.split("<main", 1)[-1]  # the status in Thai, not English
