"""Thai QR Payment (PromptPay) payloads: EMVCo merchant-presented QR, built and parsed. No Django here.

A payload is a string of TLV fields, each `ID(2) + LEN(2 digits) + VALUE`:

    00 payload format "01"      01 point of initiation: "11" static (payer types the amount), "12" dynamic
    29 PromptPay credit transfer { 00 AID A000000677010111; 01 mobile | 02 national/tax ID | 03 e-wallet }
    30 PromptPay bill payment    { 00 AID A000000677010112; 01 biller ID; 02 ref1; 03 ref2 }
    53 currency "764" (THB)     58 country "TH"      54 amount "123.50" (dynamic only)
    63 CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything before it including "6304"

Field order: 00, 01, 29|30, 53, 58, 54, 63, as the `promptparse` library emits it. EMVCo fixes only 00 first
and 63 last; bank apps read any order, and `parse_payload` does too.
"""

from __future__ import annotations

import base64
import io
import re

import segno

AID_CREDIT_TRANSFER = "A000000677010111"
AID_BILL_PAYMENT = "A000000677010112"
CURRENCY_THB = "764"
COUNTRY_TH = "TH"
POINT_STATIC = "11"
POINT_DYNAMIC = "12"
REF_MAX_LENGTH = 20

_REF = re.compile(r"[A-Z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_MAX_AMOUNT_SATANG = 10**12  # tag 54 holds at most 13 characters: "9999999999.99"


def tlv(tag: str, value: str) -> str:
    """One field. Tags are two digits; values are at most 99 characters."""
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"TLV tag must be two digits, got {tag!r}")
    if not value:
        raise ValueError(f"TLV tag {tag} has an empty value")
    if len(value) > 99:
        raise ValueError(f"TLV tag {tag} value is {len(value)} characters; the maximum is 99")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR. "123456789" → 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def with_crc(body: str) -> str:
    """Append the CRC field (tag 63) computed over `body + "6304"`."""
    unsigned = body + "6304"
    return f"{unsigned}{crc16_ccitt_false(unsigned.encode('ascii')):04X}"


def format_amount(amount_satang: int) -> str:
    """Satang to the tag-54 text: 12350 → "123.50"."""
    if isinstance(amount_satang, bool) or not isinstance(amount_satang, int):
        raise ValueError("amount must be an integer number of satang")
    if amount_satang <= 0:
        raise ValueError("amount must be greater than zero satang")
    if amount_satang >= _MAX_AMOUNT_SATANG:
        raise ValueError("amount is too large for a Thai QR payload (at most 9,999,999,999.99 baht)")
    return f"{amount_satang // 100}.{amount_satang % 100:02d}"


def _envelope(merchant_tag: str, merchant_value: str, amount_satang: int | None) -> str:
    fields = [
        tlv("00", "01"),
        tlv("01", POINT_STATIC if amount_satang is None else POINT_DYNAMIC),
        tlv(merchant_tag, merchant_value),
        tlv("53", CURRENCY_THB),
        tlv("58", COUNTRY_TH),
    ]
    if amount_satang is not None:
        fields.append(tlv("54", format_amount(amount_satang)))
    return with_crc("".join(fields))


def _proxy_field(proxy: str) -> str:
    """The sub-field of tag 29 for a PromptPay ID, chosen by its shape."""
    if not _DIGITS.fullmatch(proxy or ""):
        raise ValueError("PromptPay ID must contain digits only")
    if len(proxy) == 10 and proxy.startswith("0"):
        return tlv("01", "0066" + proxy[1:])  # mobile: 0812345678 → 0066812345678
    if len(proxy) == 13:
        return tlv("02", proxy)  # national ID or tax ID
    if len(proxy) == 15:
        return tlv("03", proxy)  # e-wallet ID
    raise ValueError(
        "PromptPay ID must be a 10-digit mobile number starting with 0, "
        "a 13-digit national or tax ID, or a 15-digit e-wallet ID"
    )


def credit_transfer_payload(*, proxy: str, amount_satang: int | None = None) -> str:
    """Tag 29: pay a PromptPay ID. Without an amount the QR is static and the payer types the amount."""
    merchant = tlv("00", AID_CREDIT_TRANSFER) + _proxy_field(proxy)
    return _envelope("29", merchant, amount_satang)


def validate_reference(value: str, *, name: str, required: bool) -> None:
    """Bill-payment references: upper-case A-Z and 0-9, at most 20 characters (what bank apps accept)."""
    if not value:
        if required:
            raise ValueError(f"{name} is required")
        return
    if len(value) > REF_MAX_LENGTH:
        raise ValueError(f"{name} is {len(value)} characters; the maximum is {REF_MAX_LENGTH}")
    if not _REF.fullmatch(value):
        raise ValueError(f"{name} may contain only upper-case letters A-Z and digits 0-9, got {value!r}")


def validate_biller_id(biller_id: str) -> None:
    """A Biller ID is 15 digits: the 13-digit tax ID of the collecting body plus a 2-digit suffix."""
    if not (_DIGITS.fullmatch(biller_id or "") and len(biller_id) == 15):
        raise ValueError(f"biller ID must be exactly 15 digits, got {biller_id!r}")


def bill_payment_payload(*, biller_id: str, ref1: str, ref2: str = "", amount_satang: int | None = None) -> str:
    """Tag 30: a bill payment to a registered biller, reconciled on ref1 and ref2 by the bank."""
    validate_biller_id(biller_id)
    validate_reference(ref1, name="ref1", required=True)
    validate_reference(ref2, name="ref2", required=False)
    merchant = tlv("00", AID_BILL_PAYMENT) + tlv("01", biller_id) + tlv("02", ref1)
    if ref2:
        merchant += tlv("03", ref2)
    return _envelope("30", merchant, amount_satang)


def parse_tlv(text: str) -> dict[str, str]:
    """Split a TLV string into {tag: value}. Raises ValueError on truncation or a repeated tag."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        header = text[position : position + 4]
        if len(header) < 4 or not header.isdigit():
            raise ValueError(f"malformed TLV field at position {position}")
        tag, length = header[:2], int(header[2:])
        value = text[position + 4 : position + 4 + length]
        if len(value) != length:
            raise ValueError(f"TLV tag {tag} at position {position} is truncated")
        if tag in fields:
            raise ValueError(f"TLV tag {tag} appears twice")
        fields[tag] = value
        position += 4 + length
    return fields


_TEMPLATE_TAGS = frozenset({"29", "30", "62"})


def parse_payload(payload: str) -> dict[str, str | dict[str, str]]:
    """Decode a payload and check its CRC. Templates (29, 30, 62) come back as nested dicts.

    Raises ValueError if the payload is malformed, the CRC field is not last, or the CRC does not match.
    """
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("payload does not end with a CRC field (6304 + 4 hex digits)")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    if payload[-4:].upper() != expected:
        raise ValueError(f"CRC mismatch: payload says {payload[-4:]}, computed {expected}")
    fields = parse_tlv(payload)
    if next(iter(fields)) != "00" or fields["00"] != "01":
        raise ValueError("payload must start with the format indicator 000201")
    return {tag: parse_tlv(value) if tag in _TEMPLATE_TAGS else value for tag, value in fields.items()}


def _qr(payload: str) -> segno.QRCode:
    return segno.make_qr(payload, error="m", boost_error=False)


def qr_svg_data_uri(payload: str, *, scale: int = 6) -> str:
    """An `data:image/svg+xml` URI for an <img> tag (the CSP allows data: images)."""
    return _qr(payload).svg_data_uri(scale=scale, border=4)


def qr_png_bytes(payload: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_png_data_uri(payload: str, *, scale: int = 8) -> str:
    """The QR as a `data:image/png` URI, for a "save image" link (a picture any banking app can open)."""
    return "data:image/png;base64," + base64.b64encode(qr_png_bytes(payload, scale=scale)).decode("ascii")
