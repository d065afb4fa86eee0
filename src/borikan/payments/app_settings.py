"""The payments app's knobs, read in one place with their defaults (the allauth `app_settings` pattern).

Gateway URL, API key, webhook secret and webhook tolerance are project settings in `config/settings/base.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

# A syntactically valid 13-digit tax ID in the government-agency range (0994...), check digit included.
# It is NOT registered with any bank: production must set BORIKAN_BILLER_TAX_ID to the tax ID under which
# the collecting body's bank registered the PromptPay Biller ID.
DEFAULT_BILLER_TAX_ID = "0994000000006"
# The suffix the bank assigns with the Biller ID; "00" is the first (usually only) account of a tax ID.
BILLER_SUFFIX = "00"
# Days from issue to due date when the caller does not give one.
DEFAULT_DUE_DAYS = 7


def thai_id_check_digit(first_twelve: str) -> int:
    """Check digit of a Thai citizen or tax ID: (11 - Σ dᵢ·(13 - i) mod 11) mod 10, weights 13..2."""
    total = sum(int(digit) * weight for digit, weight in zip(first_twelve, range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10


def biller_tax_id() -> str:
    tax_id = getattr(settings, "BORIKAN_BILLER_TAX_ID", DEFAULT_BILLER_TAX_ID)
    if not (len(tax_id) == 13 and tax_id.isdigit() and thai_id_check_digit(tax_id[:12]) == int(tax_id[12])):
        raise ImproperlyConfigured("BORIKAN_BILLER_TAX_ID must be a 13-digit Thai tax ID with a valid check digit")
    return tax_id


def biller_id() -> str:
    """The 15-digit PromptPay Biller ID printed in every bill-payment QR: tax ID + suffix."""
    return biller_tax_id() + BILLER_SUFFIX


def webhook_callback_url() -> str:
    """Where the gateway sends payment notifications: the portal's public address + the webhook path."""
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + reverse("api:payments_gateway_webhook")
