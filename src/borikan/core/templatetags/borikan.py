"""Template helpers: Thai-first bilingual fields, baht amounts, Buddhist-Era dates, lifecycle labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from borikan.core.thaidate import thai_date

register = template.Library()

PROCESS_LABELS = {
    "search": ("การสืบค้นข้อมูล", "Information search"),
    "identity": ("การพิสูจน์และยืนยันตัวตน", "Identity proofing and authentication"),
    "application": ("การจัดทำแบบคำขอและยื่นคำขอ", "Application form and submission"),
    "review": ("การตรวจสอบและพิจารณาคำขอ", "Review"),
    "approval": ("การอนุมัติ", "Approval"),
    "payment": ("การชำระค่าธรรมเนียม", "Fee payment"),
    "issuance": ("การออกใบอนุญาตและเอกสาร", "Issuing the licence or document"),
    "delivery": ("การจัดส่งใบอนุญาตและเอกสาร", "Delivery"),
}
MODE_LABELS = {
    "online": ("ออนไลน์", "Online"),
    "counter": ("ที่สำนักงาน", "At the counter"),
    "not_applicable": ("ไม่มีขั้นตอนนี้", "Not applicable"),
}
PROOFING_METHOD_LABELS = {
    "self_asserted": ("แจ้งข้อมูลด้วยตนเอง", "Self-asserted"),
    "counter": ("ตรวจบัตรที่สำนักงาน", "Checked at a counter"),
    "federated": ("ผู้ให้บริการยืนยันตัวตน", "Identity provider"),
}
STATUS_LABELS = {
    "draft": ("ฉบับร่าง", "Draft"),
    "submitted": ("ยื่นคำขอแล้ว", "Submitted"),
    "awaiting_payment": ("รอชำระค่าธรรมเนียม", "Awaiting payment"),
    "paid": ("ชำระค่าธรรมเนียมแล้ว", "Fee paid"),
    "in_review": ("อยู่ระหว่างพิจารณา", "In review"),
    "info_requested": ("ขอเอกสาร/ข้อมูลเพิ่มเติม", "More information requested"),
    "pending_approval": ("รออนุมัติ", "Pending approval"),
    "approved": ("อนุมัติแล้ว", "Approved"),
    "rejected": ("ไม่อนุมัติ", "Rejected"),
    "issued": ("ออกเอกสารแล้ว", "Document issued"),
    "delivered": ("ส่งมอบแล้ว", "Delivered"),
    "closed": ("ปิดเรื่อง", "Closed"),
    "withdrawn": ("ถอนคำขอ", "Withdrawn"),
    # form versions (eforms)
    "published": ("เผยแพร่แล้ว", "Published"),
    "retired": ("เลิกใช้แล้ว", "Retired"),
}


def _english() -> bool:
    return (get_language() or "th").startswith("en")


# Who did a step in a case's history, and where a request for information stands.
ROLE_LABELS = {
    "applicant": ("ผู้ยื่นคำขอ", "applicant"),
    "officer": ("เจ้าหน้าที่", "officer"),
    "approver": ("ผู้อนุมัติ", "approver"),
    "system": ("ระบบ", "system"),
}
REQUEST_STATUS_LABELS = {
    "open": ("รอคำตอบจากผู้ยื่นคำขอ", "waiting for the applicant"),
    "answered": ("ผู้ยื่นคำขอตอบแล้ว", "answered"),
    "expired": ("พ้นกำหนด ผู้ยื่นคำขอไม่ได้ตอบ", "expired unanswered"),
    "closed": ("ปิดแล้ว", "closed"),
}


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _english() else pair[0]


@register.simple_tag
def bilingual(obj: Any, field: str) -> str:
    """obj.<field>_th, or obj.<field>_en on English pages (falling back to Thai when no English exists)."""

    def get(suffix: str) -> str:
        key = f"{field}_{suffix}"
        value = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, "")
        return value or ""

    return (get("en") or get("th")) if _english() else (get("th") or get("en"))


@register.simple_tag
def process_label(process: str) -> str:
    return _pick(PROCESS_LABELS.get(process, (process, process)))


@register.simple_tag
def mode_label(mode: str) -> str:
    return _pick(MODE_LABELS.get(mode, (mode, mode)))


@register.simple_tag
def proofing_method_label(method: str) -> str:
    return _pick(PROOFING_METHOD_LABELS.get(method, (method, method)))


@register.simple_tag
def status_label(status: str) -> str:
    return _pick(STATUS_LABELS.get(status, (status, status)))


@register.filter
def be_numeric(day: dt.date | None) -> str:
    """A date as a Thai form takes it back: 08/12/2569 (day/month/Buddhist-Era year)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}" if day else ""


@register.simple_tag
def role_label(role: str) -> str:
    return _pick(ROLE_LABELS.get(role, (role, role)))


@register.simple_tag
def request_status_label(status: str) -> str:
    return _pick(REQUEST_STATUS_LABELS.get(status, (status, status)))


@register.filter
def baht(satang: int | None) -> str:
    if satang is None:
        return ""
    return _("%(amount)s baht") % {"amount": f"{satang / 100:,.2f}"}


@register.filter
def be_date(value: dt.date | dt.datetime | None) -> str:
    """Buddhist-Era date on Thai pages, ISO-like on English ones."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
        day = value.date()
        clock = value.strftime("%H:%M")
        return f"{value:%d %b %Y} {clock}" if _english() else f"{thai_date(day)} {clock} น."
    return f"{value:%d %b %Y}" if _english() else thai_date(value)


ACTION_LABELS = {
    "start_review": ("รับเรื่องพิจารณา", "Start review"),
    "request_info": ("ขอข้อมูลเพิ่มเติม", "Request more information"),
    "forward": ("เสนออนุมัติ", "Forward for approval"),
    "approve": ("อนุมัติ", "Approve"),
    "reject": ("ไม่อนุมัติ", "Reject"),
    "return": ("ส่งกลับให้ตรวจสอบใหม่", "Return to review"),
    "withdraw": ("ถอนคำขอ", "Withdraw"),
    "submit": ("ยื่นคำขอ", "Submit"),
    "resubmit": ("ส่งข้อมูลที่แก้ไข", "Resubmit"),
    "request_payment": ("แจ้งให้ชำระค่าธรรมเนียม", "Ask for the fee"),
    "confirm_payment": ("ยืนยันการชำระเงิน", "Confirm the payment"),
    "issue": ("ออกเอกสาร", "Issue the document"),
    "deliver": ("จัดส่งเอกสาร", "Deliver"),
    "close": ("ปิดเรื่อง", "Close"),
    "approve_level": ("อนุมัติในขั้นนี้ (เสนอผู้อนุมัติขั้นถัดไป)", "Approve at this level (to the next level)"),
    "appeal": ("อุทธรณ์คำสั่ง", "Appeal"),
    "lapse_reject": ("ไม่อนุมัติ (ไม่ได้รับข้อมูลตามกำหนด)", "Reject (information not given in time)"),
    "lapse_withdraw": ("ปิดเรื่องเป็นถอนคำขอ (ไม่ได้รับข้อมูลตามกำหนด)", "Close as withdrawn (information not given in time)"),
}


@register.simple_tag
def action_label(action: str) -> str:
    return _pick(ACTION_LABELS.get(action, (action, action)))


@register.simple_tag
def bilingual_title(spec: dict[str, Any]) -> str:
    """Label of a JSON-Schema node: `title` is English, `x-title-th` Thai."""
    return spec.get("title", "") if _english() else spec.get("x-title-th") or spec.get("title", "")


@register.simple_tag
def service_jsonld(service: Any) -> str:
    """schema.org GovernmentService for a service page, as a JSON-LD data block (not executed; CSP-safe)."""
    import json

    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    data = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "identifier": service.slug,
        "name": service.name_th,
        "alternateName": service.name_en,
        "description": service.description_th,
        "serviceType": service.transaction_type,
        "category": service.category,
        "provider": {
            "@type": "GovernmentOrganization",
            "name": service.agency.name_th,
            "alternateName": service.agency.name_en,
            "identifier": service.agency.code,
        },
        "areaServed": {"@type": "Country", "name": "Thailand"},
        "availableChannel": [{"@type": "ServiceChannel", "name": channel} for channel in service.channels],
        "termsOfService": service.legal_basis_th,
        "dateModified": service.updated_at.date().isoformat(),
    }
    if service.fee_satang is not None:
        data["offers"] = {"@type": "Offer", "price": f"{service.fee_satang / 100:.2f}", "priceCurrency": "THB"}
    # Escape "<" so the text can never close the script element.
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
