import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from borikan.payments.models import Invoice


class Command(BaseCommand):
    help = (
        "Local development: pay an invoice as a citizen would, by handing its Thai QR payload to the sandbox "
        "bank gateway, which then calls the portal's signed webhook."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("number", help="invoice number, e.g. INV-EXCISE-2569-000001")

    def handle(self, *args, number: str, **options) -> None:
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise CommandError(f"no invoice {number}")
        try:
            response = httpx.post(
                f"{settings.BORIKAN_GATEWAY_URL}/v1/qr-payments",
                json={"qr_payload": invoice.qr_payload},
                headers={"Authorization": f"Bearer {settings.BORIKAN_GATEWAY_API_KEY}"},
                timeout=10,
            )
        except httpx.HTTPError as error:
            where = settings.BORIKAN_GATEWAY_URL
            raise CommandError(f"the sandbox gateway at {where} did not answer: {error}") from None
        if response.status_code != 200:
            raise CommandError(f"the sandbox refused: {response.status_code} {response.text}")
        self.stdout.write(f"paid {number} in the sandbox (txn {response.json()['txn_id']}); its webhook follows")
