"""Read what the SMS sandbox sent to a number (the "phone" of a person trying the local portal)."""

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from borikan.core.errors import ApplicationError
from borikan.core.sms import thai_mobile


class Command(BaseCommand):
    help = "Print the messages the SMS sandbox holds for a mobile number."

    def add_arguments(self, parser):
        parser.add_argument("number", help="a Thai mobile number, e.g. 0812345678")

    def handle(self, *args, **options):
        try:
            number = thai_mobile(options["number"])
        except ApplicationError as error:
            raise CommandError(error.message_en) from None
        try:
            response = httpx.get(
                f"{settings.BORIKAN_SMS_URL.rstrip('/')}/v1/messages",
                params={"to": number},
                headers={"Authorization": f"Bearer {settings.BORIKAN_SMS_API_KEY}"},
                timeout=5,
            )
        except httpx.HTTPError as error:
            raise CommandError(f"the SMS sandbox at {settings.BORIKAN_SMS_URL} does not answer: {error}") from None
        if response.status_code != 200:
            raise CommandError(f"the SMS sandbox answered {response.status_code}")
        messages = response.json()
        if not messages:
            self.stdout.write(f"no messages for {number}")
        for message in messages:
            self.stdout.write(f"{message['to']}: {message['text']}")
