"""The one place that decides whether a person may take a protected step at the assurance they have.

A service's required IAL/AAL come from its current risk assessment (catalog). Every protected step calls one
of the functions below from the service layer, so pages, the API and anything else are held to the same rule:
- a citizen step of a service (`Step`) needs the service's IAL and AAL;
- any staff work needs AAL 2, and approving for a service that requires AAL 3 needs AAL 3.
A refusal says what is missing and where to fix it (`AssuranceRequired.details`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.urls import reverse

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError

from .authn import AAL1, AAL2_1, AAL3, assurance_of

STAFF_AAL = AAL2_1
NO_REQUIREMENT = (Decimal("1.1"), AAL1)


class Step(StrEnum):
    SUBMIT = "submit"
    PAY = "pay"
    VIEW_DOCUMENT = "view_document"
    ANSWER_REQUEST = "answer_request"
    STAFF = "staff"
    APPROVE = "approve"


STEP_LABELS = {
    Step.SUBMIT: ("ยื่นคำขอ", "submit an application"),
    Step.PAY: ("ชำระค่าธรรมเนียม", "pay the fee"),
    Step.VIEW_DOCUMENT: ("ดูหรือดาวน์โหลดเอกสารที่ออกให้", "view or download the issued document"),
    Step.ANSWER_REQUEST: ("ตอบคำขอข้อมูลเพิ่มเติม", "answer a request for information"),
    Step.STAFF: ("ทำงานในฐานะเจ้าหน้าที่", "work as agency staff"),
    Step.APPROVE: ("อนุมัติคำขอ", "approve an application"),
}


class AssuranceRequired(Exception):
    """Not an ApplicationError on purpose: code that handles ordinary refusals (`except ApplicationError`, showing a
    message in place) must not swallow this one. It goes up to the one handler that knows the fix: the API answers
    403 problem+json (config/api.py), pages go to step-up and back (identity/middleware.py). It carries the same
    fields as an ApplicationError (code, messages, details, status) for those handlers."""

    status = 403
    code = "assurance_required"
    field = None

    def __init__(self, *, step: Step, required_ial: Decimal, required_aal: Decimal, current: Any) -> None:
        missing = []
        if current.aal < required_aal:
            missing.append("aal")
        if required_ial > Decimal(0) and current.ial < required_ial:
            missing.append("ial")
        step_th, step_en = STEP_LABELS[step]
        parts_th, parts_en = [], []
        if "ial" in missing:
            parts_th.append(f"ยืนยันตัวตนระดับ IAL {required_ial} (ปัจจุบัน {current.ial})")
            parts_en.append(f"identity proven to IAL {required_ial} (you have {current.ial})")
        if "aal" in missing:
            parts_th.append(f"เข้าสู่ระบบระดับ AAL {required_aal} (ปัจจุบัน {current.aal})")
            parts_en.append(f"a sign-in at AAL {required_aal} (this session has {current.aal})")
        fix = {}
        if "aal" in missing:
            fix["aal"] = reverse("identity:step_up") + f"?aal={required_aal}"
        if "ial" in missing:
            fix["ial"] = reverse("identity:assurance")
        self.message_th = f"การ{step_th}ต้องมี" + " และ".join(parts_th)
        self.message_en = f"To {step_en} you need " + " and ".join(parts_en)
        self.details = {
            "step": str(step),
            "missing": missing,
            "required_ial": str(required_ial),
            "required_aal": str(required_aal),
            "current_ial": str(current.ial),
            "current_aal": str(current.aal),
            "fix": fix,
        }
        self._problem = ApplicationError(
            self.code, self.message_th, self.message_en, status=self.status, details=self.details
        )
        super().__init__(f"{self.code}: {self.message_en}")

    @property
    def message(self) -> str:
        return self._problem.message

    def as_problem(self) -> dict:
        return self._problem.as_problem()


def service_requirement(service: Any) -> tuple[Decimal, Decimal]:
    """The (IAL, AAL) the service's current risk assessment requires; the lowest when it has none."""
    assessment = service.risk_assessments.filter(is_current=True).only("required_ial", "required_aal").first()
    if assessment is None:
        return NO_REQUIREMENT
    return assessment.required_ial, assessment.required_aal


def _refuse(actor: Any, step: Step, service: Any, ial: Decimal, aal: Decimal, current: Any) -> None:
    error = AssuranceRequired(step=step, required_ial=ial, required_aal=aal, current=current)
    error.actor = actor
    error.service_id = service.pk if service is not None else None
    raise error


def audit_refusal(error: AssuranceRequired) -> None:
    """Record a refusal. Called by the API's and the pages' error handlers, after the refused step's
    transaction has rolled back, so the record is kept."""
    actor = getattr(error, "actor", None)
    if actor is None or not getattr(actor, "pk", None):
        return
    audit_record(
        actor=actor,
        action="auth.assurance_refused",
        object_type="service" if error.service_id is not None else "user",
        object_id=error.service_id if error.service_id is not None else actor.pk,
        subject_user_id=actor.pk,
        data=error.details,
    )


def require_for_service(actor: Any, service: Any, step: Step) -> None:
    """A citizen (or business representative) taking `step` of `service` needs the service's IAL and AAL."""
    ial, aal = service_requirement(service)
    current = assurance_of(actor)
    if current.aal < aal or current.ial < ial:
        _refuse(actor, step, service, ial, aal, current)


def require_session(actor: Any, step: Step = Step.VIEW_DOCUMENT) -> None:
    """A step with no service behind it still needs someone actually signed in (AAL 1)."""
    current = assurance_of(actor)
    if current.aal < AAL1:
        _refuse(actor, step, None, Decimal(0), AAL1, current)


def require_staff(actor: Any, *, service: Any = None, approving: bool = False) -> None:
    """Staff work needs AAL 2; approving for a service that requires AAL 3 needs AAL 3. No IAL is asked of staff
    here: agencies vet their own people when they grant a role."""
    needed = STAFF_AAL
    if approving and service is not None and service_requirement(service)[1] >= AAL3:
        needed = AAL3
    current = assurance_of(actor)
    if current.aal < needed:
        _refuse(actor, Step.APPROVE if approving else Step.STAFF, service, Decimal(0), needed, current)
