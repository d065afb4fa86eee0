"""Casework's messages are templates (Thai and English): rendered as plain text, not HTML-escaped."""

from __future__ import annotations

import datetime as dt

from borikan.core.messages import render_message


def test_the_information_request_message_lists_each_defect_in_both_languages():
    message = render_message(
        "casework/messages/information_request",
        {
            "name": "สมชาย ใจดี",
            "tracking": "EXCISE-2569-000001",
            "agency_th": "กรมสรรพสามิต <ส่วนกลาง> & สาขา",
            "agency_en": "Excise Department",
            "lines_th": ["- ที่อยู่: อ่านไม่ออก", "- แผนผัง: ไม่ได้แนบ"],
            "lines_en": ["- Address: illegible", "- Floor plan: missing"],
            "deadline_th": "8 มกราคม 2570",
            "deadline_iso": dt.date(2027, 1, 8).isoformat(),
            "otherwise_th": "คำขอจะไม่ได้รับอนุมัติ",
            "otherwise_en": "the application will be rejected",
        },
    )
    assert message.subject == "ขอข้อมูลเพิ่มเติม / More information needed: EXCISE-2569-000001"
    assert "กรมสรรพสามิต <ส่วนกลาง> & สาขา ขอให้ท่านแก้ไขคำขอ EXCISE-2569-000001 ดังนี้\n- ที่อยู่: อ่านไม่ออก\n" in message.body
    assert "- Floor plan: missing\nby 2027-01-08; otherwise the application will be rejected." in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert message.sms == "borikan: คำขอ EXCISE-2569-000001 ต้องแก้ไข 2 รายการ ภายใน 8 มกราคม 2570 ดูรายละเอียดในระบบ"


def test_the_late_notice_gives_the_reason_and_the_new_date():
    message = render_message(
        "casework/messages/late_notice",
        {
            "name": "สมชาย ใจดี", "tracking": "EXCISE-2569-000001", "service_th": "ใบอนุญาตขายสุรา",
            "service_en": "Liquor sale licence", "reason_th": "รอผลตรวจสถานที่" * 10, "reason_en": "site inspection",
            "due_th": "1 ธันวาคม 2569", "due_iso": "2026-12-01", "expected_th": "15 ธันวาคม 2569",
            "expected_iso": "2026-12-15",
        },
    )  # fmt: skip
    assert "เหตุที่ล่าช้า: รอผลตรวจสถานที่" in message.body and "Now expected by: 2026-12-15" in message.body
    assert len(message.sms) < 200  # the reason is cut to 60 characters in the SMS
