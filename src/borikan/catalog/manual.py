"""Completeness of a citizen manual (คู่มือสำหรับประชาชน, Licensing Facilitation Act B.E. 2558 s.7).

A manual must state at least the legal basis, the steps with their time and the total processing time, the
documents to submit, the fee, the channels, and where to complain. An incomplete manual is flagged and the
service cannot be published until it is fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

# The Government Complaint Center (สายด่วน 1111), the channel every agency's manual may name.
DEFAULT_COMPLAINT_CHANNEL = "ศูนย์บริการประชาชน สำนักงานปลัดสำนักนายกรัฐมนตรี สายด่วน 1111 / www.1111.go.th"


class ManualLike(Protocol):
    legal_basis_th: str
    steps: list[dict[str, Any]]
    processing_time_days: int
    required_documents: list[dict[str, Any]]
    fee_satang: int | None
    fee_note: str
    channels: list[str]


@dataclass(frozen=True)
class Finding:
    code: str
    message_th: str
    message_en: str


def manual_findings(service: ManualLike, *, complaint_channel: str) -> list[Finding]:
    """Every way the manual falls short; empty when it is complete."""
    findings: list[Finding] = []
    if not (service.legal_basis_th or "").strip():
        findings.append(Finding("no_legal_basis", "ไม่ระบุกฎหมายที่เกี่ยวข้อง", "No legal basis is given"))
    steps = service.steps or []
    if not steps:
        findings.append(Finding("no_steps", "ไม่ระบุขั้นตอนการให้บริการ", "No steps are listed"))
    elif any(not isinstance(s.get("duration_days"), int | float) or s["duration_days"] <= 0 for s in steps):
        findings.append(Finding("step_without_duration", "มีขั้นตอนที่ไม่ระบุระยะเวลา", "A step has no duration"))
    else:
        total = sum(s["duration_days"] for s in steps)
        # Whole working days: 1 means "done the same day", so 0.4 days of steps add up to 1.
        if max(1, math.ceil(round(total, 3))) != service.processing_time_days:
            findings.append(
                Finding(
                    "steps_do_not_add_up",
                    f"ระยะเวลาของขั้นตอนรวม {total:g} วัน ไม่ตรงกับระยะเวลาดำเนินการ {service.processing_time_days} วัน",
                    f"The steps take {total:g} days in all, but the processing time is "
                    f"{service.processing_time_days} days",
                )
            )
    if not service.required_documents:
        findings.append(Finding("no_documents", "ไม่ระบุเอกสารหลักฐานที่ต้องใช้", "The documents to submit are not listed"))
    if service.fee_satang is None and not (service.fee_note or "").strip():
        findings.append(
            Finding("no_fee", "ไม่ระบุค่าธรรมเนียม (หรือว่าไม่มีค่าธรรมเนียม)", "The fee (or that there is none) is not stated")
        )
    if not service.channels:
        findings.append(Finding("no_channels", "ไม่ระบุช่องทางการให้บริการ", "No service channel is given"))
    if not complaint_channel.strip():
        findings.append(Finding("no_complaint_channel", "ไม่ระบุช่องทางการร้องเรียน", "No complaint channel is given"))
    return findings
