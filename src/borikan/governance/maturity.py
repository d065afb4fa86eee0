"""Digital maturity of a service, computed from how each of its eight processes runs.

Levels (issue 3): 0 not published · 1 information online · 2 identity and forms online · 3 online submission
through approval · 4 end to end (payment, e-licence and e-delivery online where the service has them) ·
5 connected (level 4, no paper documents, data prefilled from other agencies).
A level is reached only when every level below it is; `next_steps` says what is missing for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ONLINE, NOT_APPLICABLE = "online", "not_applicable"

LEVEL_NAMES = {
    0: ("ยังไม่เผยแพร่", "Not published"),
    1: ("ข้อมูลบริการออนไลน์", "Information online"),
    2: ("ยืนยันตัวตนและแบบคำขอออนไลน์", "Identity and forms online"),
    3: ("ยื่นคำขอถึงอนุมัติออนไลน์", "Online from submission to approval"),
    4: ("ออนไลน์ครบวงจร", "End to end online"),
    5: ("เชื่อมโยงข้อมูล ไม่ใช้สำเนาเอกสาร", "Connected: no paper, data from other agencies"),
}


class ServiceLike(Protocol):
    is_published: bool
    required_documents: list
    mode_search: str
    mode_identity: str
    mode_application: str
    mode_review: str
    mode_approval: str
    mode_payment: str
    mode_issuance: str
    mode_delivery: str


@dataclass(frozen=True)
class Gap:
    """One thing that keeps the service from the next level."""

    code: str
    message_th: str
    message_en: str


@dataclass(frozen=True)
class Maturity:
    level: int
    next_level: int | None
    next_steps: list[Gap]


def _online(service: ServiceLike, *processes: str, optional: bool = False) -> list[str]:
    """The processes (of those named) that are not online; with optional=True, 'not applicable' also counts."""
    accepted = {ONLINE, NOT_APPLICABLE} if optional else {ONLINE}
    return [p for p in processes if getattr(service, f"mode_{p}") not in accepted]


PROCESS_TH = {
    "search": "การสืบค้นข้อมูล",
    "identity": "การยืนยันตัวตน",
    "application": "การยื่นคำขอ",
    "review": "การพิจารณา",
    "approval": "การอนุมัติ",
    "payment": "การชำระค่าธรรมเนียม",
    "issuance": "การออกใบอนุญาต",
    "delivery": "การจัดส่งเอกสาร",
}


def _move_online(missing: list[str]) -> list[Gap]:
    return [Gap(f"{p}_not_online", f"เปิดให้{PROCESS_TH[p]}ทำได้ออนไลน์", f"Put the {p} step online") for p in missing]


def _gaps_for(level: int, service: ServiceLike, *, prefilled_from_other_agencies: bool) -> list[Gap]:
    """What the service lacks to reach `level` (empty when it has reached it)."""
    if level == 1:
        gaps = [] if service.is_published else [Gap("not_published", "เผยแพร่บริการ", "Publish the service")]
        return gaps + _move_online(_online(service, "search"))
    if level == 2:
        return _move_online(_online(service, "identity", "application"))
    if level == 3:
        return _move_online(_online(service, "review", "approval"))
    if level == 4:
        return _move_online(_online(service, "payment", "issuance", "delivery", optional=True))
    gaps = []
    if service.required_documents:
        gaps.append(
            Gap(
                "paper_documents_required",
                "เลิกเรียกสำเนาเอกสาร: ตรวจสอบข้อมูลจากหน่วยงานต้นทางแทน",
                "Stop asking for paper documents: check the data with the issuing agency instead",
            )
        )
    if not prefilled_from_other_agencies:
        gaps.append(
            Gap(
                "no_data_links",
                "ดึงข้อมูลผู้ยื่นคำขอจากหน่วยงานอื่นมากรอกให้ล่วงหน้า",
                "Prefill the applicant's data from other agencies",
            )
        )
    return gaps


def service_maturity(service: ServiceLike, *, prefilled_from_other_agencies: bool = False) -> Maturity:
    """The highest level whose conditions, and those of every level below, are all met.

    `prefilled_from_other_agencies` is False until inter-agency data sharing exists on the platform (PDPA issue).
    """
    if not service.is_published:
        return Maturity(0, 1, _gaps_for(1, service, prefilled_from_other_agencies=prefilled_from_other_agencies))
    level = 0
    for candidate in range(1, 6):
        gaps = _gaps_for(candidate, service, prefilled_from_other_agencies=prefilled_from_other_agencies)
        if gaps:
            return Maturity(level, candidate, gaps)
        level = candidate
    return Maturity(5, None, [])
