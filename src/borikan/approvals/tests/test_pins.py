"""Pinned versions: what a case is decided under is frozen at submission; later edits never reach it."""

from __future__ import annotations

import pytest

from borikan.approvals import services
from borikan.approvals.models import CaseApproval, CasePin
from borikan.core.errors import ApplicationError
from borikan.payments.models import FeeExemption, FeeSchedule

from .helpers import admin_of, decide, new_case_ref, pinned_case, two_level_chain

pytestmark = pytest.mark.django_db


def _schedule(service, base: int = 50000) -> FeeSchedule:
    schedule = FeeSchedule.objects.create(
        service=service, kind="fixed", base_satang=base, legal_basis_th="กฎกระทรวงกำหนดค่าธรรมเนียม พ.ศ. 2560"
    )
    FeeExemption.objects.create(
        schedule=schedule, code="elderly", category="elderly", name_th="ผู้สูงอายุ", name_en="Elderly", percent=50,
        legal_basis_th="ข้อ 5",
    )  # fmt: skip
    return schedule


def test_the_snapshot_holds_every_version(service, citizen):
    admin = admin_of(service.agency)
    chain = two_level_chain(service, admin)
    _schedule(service)
    pin = services.pin_versions(
        new_case_ref(), service, 7, applicant=citizen, checklist_version_for=lambda s: f"{s.slug}-checklist-4"
    )
    assert pin.form_version == "7"
    assert pin.checklist_version == "liquor-sale-licence-checklist-4"
    assert pin.chain_version == chain
    assert pin.fee_rule["kind"] == "schedule" and pin.fee_rule["base_satang"] == 50000
    assert pin.fee_rule["exemptions"][0]["percent"] == 50
    assert pin.fee_rule_sha256 == services.canonical_sha256(pin.fee_rule)
    assert pin.manual["legal_basis_th"] == service.legal_basis_th
    assert pin.manual["description_th"] == service.description_th
    assert pin.manual["processing_time_days"] == 3
    assert pin.manual_sha256 == services.canonical_sha256(pin.manual)
    state = CaseApproval.objects.get(case_ref=pin.case_ref)
    assert (state.current_level, state.round, state.applicant) == (1, 1, citizen)


def test_without_a_schedule_the_flat_fee_is_pinned_and_without_a_chain_the_default(service, citizen):
    pin = services.pin_versions(new_case_ref(), service, None, applicant=citizen)
    assert pin.fee_rule == {"kind": "flat", "fee_satang": 165000, "fee_note": ""}
    assert pin.form_version == "" and pin.checklist_version == ""
    assert [(lv.role, lv.may_reject) for lv in pin.chain_version.levels.all()] == [("approver", True)]


def test_later_changes_to_the_service_never_alter_a_pinned_case(service, citizen, approver):
    admin = admin_of(service.agency)
    two_level_chain(service, admin)
    schedule = _schedule(service)
    pin = pinned_case(service, citizen)
    frozen = CasePin.objects.values().get(pk=pin.pk)

    service.description_th = "คู่มือฉบับแก้ไขใหม่"
    service.legal_basis_th = "พระราชบัญญัติฉบับใหม่"
    service.fee_satang = 999
    service.processing_time_days = 30
    service.required_documents = [{"name_th": "เอกสารใหม่"}]
    service.save()
    schedule.base_satang = 70000
    schedule.save()
    schedule.exemptions.update(percent=100)
    services.chain_version_create(actor=admin, service=service, levels=[{"role": "agency_admin"}])

    assert CasePin.objects.values().get(pk=pin.pk) == frozen
    pin.refresh_from_db()
    assert services.canonical_sha256(pin.manual) == pin.manual_sha256
    assert services.canonical_sha256(pin.fee_rule) == pin.fee_rule_sha256
    # The case is still decided by the chain it was pinned to: level 1 is an approver's, and two levels follow.
    decision = decide(approver, pin, 1)
    assert decision.level_role == "approver"
    assert services.next_step(pin.case_ref).levels_total == 2
    # A case submitted now is pinned to the new versions.
    fresh = pinned_case(service, citizen)
    assert fresh.chain_version.number == 2 and fresh.manual["legal_basis_th"] == "พระราชบัญญัติฉบับใหม่"
    assert fresh.fee_rule["base_satang"] == 70000 and fresh.fee_rule_sha256 != pin.fee_rule_sha256


def test_pinning_twice_keeps_the_first_pin(service, citizen):
    case_ref = new_case_ref()
    first = services.pin_versions(case_ref, service, "1", applicant=citizen)
    service.legal_basis_th = "แก้ไข"
    service.save()
    again = services.pin_versions(case_ref, service, "2", applicant=citizen)
    assert again.pk == first.pk and again.form_version == "1" and again.manual["legal_basis_th"] != "แก้ไข"
    assert CasePin.objects.count() == 1 and CaseApproval.objects.count() == 1


def test_pinning_refuses_bad_input_and_writes_nothing(service, free_service, citizen):
    case_ref = new_case_ref()
    for kwargs, code in (
        ({"case_ref": "", "form_version": None}, "invalid_case_ref"),
        ({"case_ref": case_ref, "form_version": {"v": 1}}, "invalid_version"),
        ({"case_ref": case_ref, "form_version": "x" * 65}, "invalid_version"),
    ):
        with pytest.raises(ApplicationError) as caught:
            services.pin_versions(kwargs["case_ref"], service, kwargs["form_version"], applicant=citizen)
        assert caught.value.code == code and caught.value.status == 422
    assert not CasePin.objects.exists()
    services.pin_versions(case_ref, service, applicant=citizen)
    with pytest.raises(ApplicationError) as other:
        services.pin_versions(case_ref, free_service, applicant=citizen)
    assert other.value.code == "pinned_to_other_service"
