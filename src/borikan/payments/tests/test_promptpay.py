"""Thai QR payloads: CRC, public known-good vectors, round trips, bad inputs, and a QR that really scans."""

import io

import pytest
import zxingcpp
from PIL import Image

from borikan.payments import promptpay


def reference_crc(data: bytes) -> int:
    """An independent bitwise CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), written out for the tests."""
    register = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            feedback = ((register >> 15) & 1) ^ ((byte >> bit) & 1)
            register = (register << 1) & 0xFFFF
            if feedback:
                register ^= 0x1021
    return register


def assert_crc_is_correct(payload: str) -> None:
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == f"{reference_crc(payload[:-4].encode()):04X}"


def test_crc_of_the_standard_check_string_is_29b1():
    assert promptpay.crc16_ccitt_false(b"123456789") == 0x29B1
    assert reference_crc(b"123456789") == 0x29B1


def test_crc_of_empty_input_is_the_initial_value():
    assert promptpay.crc16_ccitt_false(b"") == 0xFFFF


def test_tlv_pads_the_length_to_two_digits():
    assert promptpay.tlv("58", "TH") == "5802TH"
    assert promptpay.tlv("29", "x" * 37) == "2937" + "x" * 37


# Public vectors from the promptparse test suite (github.com/maythiwat/promptparse, src/index.test.ts).
def test_static_mobile_payload_matches_the_public_vector():
    payload = promptpay.credit_transfer_payload(proxy="0812223333")
    assert payload == "00020101021129370016A0000006770101110113006681222333353037645802TH63041DCF"
    assert_crc_is_correct(payload)


def test_dynamic_mobile_payload_matches_the_public_vector():
    payload = promptpay.credit_transfer_payload(proxy="0812223333", amount_satang=3000)
    assert payload == "00020101021229370016A0000006770101110113006681222333353037645802TH540530.0063043CAD"
    assert_crc_is_correct(payload)


def test_bill_payment_with_ref2_and_amount_matches_the_public_vector():
    payload = promptpay.bill_payment_payload(
        biller_id="099400016550100", ref1="123456789012", ref2="670429", amount_satang=364922
    )
    assert payload == (
        "00020101021230650016A00000067701011201150994000165501000212123456789012030667042953037645802TH"
        "54073649.2263044534"
    )
    assert_crc_is_correct(payload)


def test_static_bill_payment_without_ref2_matches_the_public_vector():
    payload = promptpay.bill_payment_payload(biller_id="099999999999990", ref1="111222333444")
    assert payload == "00020101021130550016A0000006770101120115099999999999990021211122233344453037645802TH63043EE7"


def test_static_payload_for_0812345678_has_an_independently_checked_crc():
    payload = promptpay.credit_transfer_payload(proxy="0812345678")
    assert payload == "00020101021129370016A0000006770101110113006681234567853037645802TH6304823E"
    assert_crc_is_correct(payload)


def test_parse_reads_a_payload_with_another_field_order():
    # 58 before 53, as the promptpay-qr library emits it; EMVCo fixes only 00 first and 63 last.
    parsed = promptpay.parse_payload("00020101021129370016A000000677010111011300668123456785802TH530376463045D82")
    assert parsed == {
        "00": "01",
        "01": "11",
        "29": {"00": "A000000677010111", "01": "0066812345678"},
        "58": "TH",
        "53": "764",
        "63": "5D82",
    }


def test_national_id_uses_sub_tag_02_and_ewallet_sub_tag_03():
    national = promptpay.parse_payload(promptpay.credit_transfer_payload(proxy="1101700230708"))
    wallet = promptpay.parse_payload(promptpay.credit_transfer_payload(proxy="140000801111111"))
    assert national["29"] == {"00": "A000000677010111", "02": "1101700230708"}
    assert wallet["29"] == {"00": "A000000677010111", "03": "140000801111111"}


def test_bill_payment_round_trips_through_the_parser():
    payload = promptpay.bill_payment_payload(
        biller_id="099400000000600", ref1="BK2569000001", ref2="DOPA7", amount_satang=25_050
    )
    parsed = promptpay.parse_payload(payload)
    assert parsed == {
        "00": "01",
        "01": "12",
        "30": {"00": "A000000677010112", "01": "099400000000600", "02": "BK2569000001", "03": "DOPA7"},
        "53": "764",
        "58": "TH",
        "54": "250.50",
        "63": payload[-4:],
    }


@pytest.mark.parametrize(
    ("satang", "text"), [(1, "0.01"), (100, "1.00"), (12350, "123.50"), (999_999_999_999, "9999999999.99")]
)
def test_amount_is_formatted_with_two_decimals(satang, text):
    assert promptpay.format_amount(satang) == text


def test_parse_rejects_a_wrong_crc():
    good = promptpay.credit_transfer_payload(proxy="0812223333")
    with pytest.raises(ValueError, match="CRC mismatch"):
        promptpay.parse_payload(good[:-4] + "0000")


def test_parse_rejects_a_payload_without_crc_field():
    with pytest.raises(ValueError, match="does not end with a CRC field"):
        promptpay.parse_payload("000201010211")


def test_parse_rejects_a_truncated_field_even_with_a_matching_crc():
    with pytest.raises(ValueError, match="truncated"):
        promptpay.parse_payload(promptpay.with_crc("0002010120TH"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"biller_id": "09940000000060", "ref1": "A1"}, "biller ID must be exactly 15 digits"),
        ({"biller_id": "09940000000060X", "ref1": "A1"}, "biller ID must be exactly 15 digits"),
        ({"biller_id": "099400000000600", "ref1": ""}, "ref1 is required"),
        ({"biller_id": "099400000000600", "ref1": "A" * 21}, "ref1 is 21 characters; the maximum is 20"),
        ({"biller_id": "099400000000600", "ref1": "bk2569"}, "ref1 may contain only upper-case"),
        ({"biller_id": "099400000000600", "ref1": "BK-2569"}, "ref1 may contain only upper-case"),
        ({"biller_id": "099400000000600", "ref1": "A1", "ref2": "X" * 21}, "ref2 is 21 characters"),
        ({"biller_id": "099400000000600", "ref1": "A1", "ref2": "ก1"}, "ref2 may contain only upper-case"),
        ({"biller_id": "099400000000600", "ref1": "A1", "amount_satang": 0}, "greater than zero"),
        ({"biller_id": "099400000000600", "ref1": "A1", "amount_satang": -100}, "greater than zero"),
        ({"biller_id": "099400000000600", "ref1": "A1", "amount_satang": 10.5}, "integer number of satang"),
        ({"biller_id": "099400000000600", "ref1": "A1", "amount_satang": 10**12}, "too large"),
    ],
)
def test_bill_payment_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        promptpay.bill_payment_payload(**kwargs)


@pytest.mark.parametrize("proxy", ["", "081234567", "1812345678", "08123456789", "12345678901234", "0812-345678"])
def test_credit_transfer_rejects_an_unrecognised_promptpay_id(proxy):
    with pytest.raises(ValueError, match="PromptPay ID must"):
        promptpay.credit_transfer_payload(proxy=proxy)


def test_qr_png_decodes_back_to_the_same_payload_with_zxing():
    payload = promptpay.bill_payment_payload(
        biller_id="099400000000600", ref1="BK2569000001", ref2="DOPA7", amount_satang=25_050
    )
    image = Image.open(io.BytesIO(promptpay.qr_png_bytes(payload)))
    results = zxingcpp.read_barcodes(image)
    assert [(result.format, result.text) for result in results] == [(zxingcpp.BarcodeFormat.QRCode, payload)]


def test_qr_svg_data_uri_is_an_svg_image():
    uri = promptpay.qr_svg_data_uri(promptpay.credit_transfer_payload(proxy="0812223333"))
    assert uri.startswith("data:image/svg+xml;charset=utf-8,%3Csvg")
