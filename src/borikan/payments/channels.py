"""Payment channels (ADR 0018): the registry of adapters through which an invoice is collected and refunded.

Each adapter says how a charge (one attempt to collect an invoice) is opened on its channel, whether the channel
can be asked about a charge it has not reported, how a refund of a payment taken on it is paid back, and whether
its money appears on the bank's settlement statement. Posting a payment is the same for every channel
(`services._post`: the payment, the invoice paid, the receipt, the audit entry and `PaymentSettled` in one
transaction); only how the money arrives differs.

- `thai_qr`: the bank gateway. The charge is created at the gateway when the invoice is issued and printed as a
  Thai QR; the bank's signed notification (or `payment_sync` asking the gateway) posts it; a refund is sent to the
  gateway and completed by its notification; the bank's statement reconciles it.
- `counter`: the agency's counter. An officer of the invoice's agency takes cash or card and records it; the
  charge is opened and paid in that one transaction, with no outside call; the platform numbers and prints the
  receipt. A refund is handed back at the counter after approval and recorded by an officer; the counter's
  day-sheet reconciles it (`reconciliation.counter_day_sheet`), never the bank's statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from borikan.core.errors import ValidationFailed

from . import app_settings
from .gateway import ChargeRequest, PaymentNotification, RefundRequest, get_gateway
from .models import PaymentChannel

if TYPE_CHECKING:
    from .models import Charge


@dataclass(frozen=True)
class ChargeOpening:
    """What a channel needs to open a charge for an invoice. `idempotency_key`: the same key finds the same charge."""

    idempotency_key: str
    amount_satang: int
    ref1: str
    ref2: str


@dataclass(frozen=True)
class OpenedCharge:
    reference: str  # the channel's id of the charge (Charge.reference)


@dataclass(frozen=True)
class RefundOrder:
    """A refund approved for a payment taken on the channel. `reference` is ours and is the idempotency key."""

    reference: str
    charge_reference: str
    amount_satang: int
    reason: str


@dataclass(frozen=True)
class RefundDispatch:
    """What the channel did with an approved refund: handed to an outside party now (`outside_id` is its id, the
    outcome comes later), or nothing yet because a person pays it back and records it (`sent` False)."""

    sent: bool
    outside_id: str | None = None


class PaymentChannelAdapter(Protocol):
    code: str
    label_th: str
    label_en: str
    # Its money appears on the bank's settlement statement (reconciliation.reconciliation_run matches it there).
    on_bank_statement: bool
    # An officer takes the money in person and records it (services.counter_payment_record).
    recorded_by_staff: bool

    def open_charge(self, opening: ChargeOpening) -> OpenedCharge: ...

    def paid_at_channel(self, charge: Charge) -> PaymentNotification | None:
        """Ask the channel whether a charge was paid without telling us; None when it was not (or cannot say)."""
        ...

    def send_refund(self, order: RefundOrder) -> RefundDispatch: ...


class ThaiQrChannel:
    """The bank gateway (`gateway.HttpGateway`; the sandbox `borikan.sandboxes.bank_gateway` locally). Raises
    `gateway.GatewayError` on failure; the caller decides what the refusal says."""

    code = PaymentChannel.THAI_QR.value
    label_th = "ไทยคิวอาร์ (ธนาคาร)"
    label_en = "Thai QR (bank)"
    on_bank_statement = True
    recorded_by_staff = False

    def open_charge(self, opening: ChargeOpening) -> OpenedCharge:
        charge = get_gateway().create_charge(
            ChargeRequest(
                idempotency_key=opening.idempotency_key,
                amount_satang=opening.amount_satang,
                ref1=opening.ref1,
                ref2=opening.ref2,
                callback_url=app_settings.webhook_callback_url(),
            )
        )
        return OpenedCharge(reference=charge.charge_id)

    def paid_at_channel(self, charge: Charge) -> PaymentNotification | None:
        found = get_gateway().charge_status(charge.reference)
        if found.status != "paid" or not found.txn_id or found.paid_at is None:
            return None
        amount = found.paid_amount_satang or found.amount_satang
        return PaymentNotification(
            event_id=f"sync-{found.txn_id}"[:64],
            charge_id=found.charge_id,
            txn_id=found.txn_id,
            ref1=found.ref1,
            ref2=found.ref2,
            amount_satang=amount,
            paid_at=found.paid_at,
            raw={
                "source": "status_query",
                "charge_id": found.charge_id,
                "txn_id": found.txn_id,
                "ref1": found.ref1,
                "ref2": found.ref2,
                "amount_satang": amount,
                "paid_at": found.paid_at.isoformat(),
            },
        )

    def send_refund(self, order: RefundOrder) -> RefundDispatch:
        sent = get_gateway().create_refund(
            RefundRequest(
                idempotency_key=order.reference,
                reference=order.reference,
                charge_id=order.charge_reference,
                amount_satang=order.amount_satang,
                reason=order.reason,
                callback_url=app_settings.webhook_callback_url(),
            )
        )
        return RefundDispatch(sent=True, outside_id=sent.refund_id)


class CounterChannel:
    """The agency's counter: no outside party. The officer's record is the payment, and the officer's record of
    handing money back is the refund."""

    code = PaymentChannel.COUNTER.value
    label_th = "ชำระที่เคาน์เตอร์"
    label_en = "At the counter"
    on_bank_statement = False
    recorded_by_staff = True

    def open_charge(self, opening: ChargeOpening) -> OpenedCharge:
        return OpenedCharge(reference=f"CTR-{uuid.uuid4().hex}")

    def paid_at_channel(self, charge: Charge) -> PaymentNotification | None:
        return None  # nobody outside to ask: a counter charge is paid when, and only when, an officer records it

    def send_refund(self, order: RefundOrder) -> RefundDispatch:
        return RefundDispatch(sent=False)  # an officer hands it back at the counter (refunds.refund_pay_out)


CHANNELS: Mapping[str, PaymentChannelAdapter] = {
    adapter.code: adapter for adapter in (ThaiQrChannel(), CounterChannel())
}


def channel(code: str) -> PaymentChannelAdapter:
    adapter = CHANNELS.get(str(code))
    if adapter is None:
        raise ValidationFailed(
            "unknown_payment_channel",
            "ไม่มีช่องทางชำระเงินนี้",
            f"There is no payment channel {code!r}; the channels are {', '.join(CHANNELS)}",
            field="channel",
        )
    return adapter


def bank_statement_channels() -> list[str]:
    """The channels whose money the bank's settlement statement reports."""
    return [code for code, adapter in CHANNELS.items() if adapter.on_bank_statement]


def counter_channels() -> list[str]:
    """The channels on which staff take the money in person (reconciled by the counter's day-sheet)."""
    return [code for code, adapter in CHANNELS.items() if adapter.recorded_by_staff]
