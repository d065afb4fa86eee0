"""Completeness of the citizen manual, rule by rule, and over the whole sample catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.catalog.manual import DEFAULT_COMPLAINT_CHANNEL, manual_findings
from borikan.catalog.models import Service
from borikan.governance.selectors import service_report


@dataclass
class Manual:
    legal_basis_th: str = "พระราชบัญญัติ"
    steps: list = field(
        default_factory=lambda: [{"name_th": "ยื่น", "duration_days": 0.5}, {"name_th": "อนุมัติ", "duration_days": 2}]
    )
    processing_time_days: int = 3
    required_documents: list = field(default_factory=lambda: [{"name_th": "บัตรประชาชน"}])
    fee_satang: int | None = 5000
    fee_note: str = ""
    channels: list = field(default_factory=lambda: ["online"])


def _codes(manual: Manual, complaint: str = DEFAULT_COMPLAINT_CHANNEL) -> list[str]:
    return [f.code for f in manual_findings(manual, complaint_channel=complaint)]


def test_complete_manual_has_no_findings():
    assert _codes(Manual()) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"legal_basis_th": "  "}, "no_legal_basis"),
        ({"steps": []}, "no_steps"),
        ({"steps": [{"name_th": "ยื่น"}]}, "step_without_duration"),
        ({"processing_time_days": 7}, "steps_do_not_add_up"),
        ({"required_documents": []}, "no_documents"),
        ({"fee_satang": None, "fee_note": ""}, "no_fee"),
        ({"channels": []}, "no_channels"),
    ],
)
def test_each_missing_part_is_flagged(changes, code):
    assert _codes(Manual(**changes)) == [code]


def test_same_day_service_steps_add_up_to_one_day():
    manual = Manual(
        steps=[{"name_th": "ยื่น", "duration_days": 0.1}, {"name_th": "รับ", "duration_days": 0.3}], processing_time_days=1
    )
    assert _codes(manual) == []


def test_free_service_saying_so_is_complete():
    assert _codes(Manual(fee_satang=None, fee_note="free")) == []


def test_missing_complaint_channel_is_flagged():
    assert _codes(Manual(), complaint=" ") == ["no_complaint_channel"]


@pytest.mark.django_db
def test_every_manual_of_the_sample_catalogue_is_complete():
    assert load_catalogue(data=read_catalogue_file(DEFAULT_CATALOGUE)).ok
    incomplete = {s.slug: [f.code for f in service_report(s).manual] for s in Service.objects.select_related("agency")}
    assert {slug: codes for slug, codes in incomplete.items() if codes} == {}
