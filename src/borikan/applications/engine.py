"""The case engine: the one path by which a case moves (ADR 0002, ADR 0017).

`transition` locks the case, checks the table (`workflow.py`), the actor's role and assurance, the guards and the
checks other apps registered (`core.caseflow`), then writes status, event and audit, runs the registered records,
writes one durable row per registered effect, and takes any follow-up step the platform owes — all in one
transaction. Nothing slow happens here: effects that call the bank or render and sign a document run after commit
(`effects.py`). Whatever the entry point (API, page, job, approval chain, payment notification), a decision has the
same consequences, because they are declared once, here and in the registry, not in the entry points.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.approvals import services as approvals
from borikan.audit.services import audit_record
from borikan.casework.deadlines import working_days_due
from borikan.casework.models import PublicHoliday
from borikan.catalog.models import PaymentTiming, Service, StepMode
from borikan.core import caseflow
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed, conflict_of_interest
from borikan.core.thaidate import be_year
from borikan.identity.enforcement import Step, require_for_service, require_staff
from borikan.identity.juristic import may_act_for

from .models import Application, ApplicationEvent, CaseEffect, TrackingCounter
from .workflow import ACTION_ROLES, REASON_REQUIRED, TRANSITIONS, Action, Role, Status


class TransitionRefused(ApplicationError):
    status = 409


@dataclass(frozen=True)
class Guard:
    ok: bool
    code: str = ""
    message_th: str = ""
    message_en: str = ""


ALLOWED = Guard(True)

# Approval decisions reach the case only through the approval chain (`decide`), never past it.
DECISION_OUTCOMES = {
    Action.APPROVE: "approve",
    Action.APPROVE_LEVEL: "approve",
    Action.REJECT: "reject",
    Action.RETURN: "return",
}

# The applicant's protected steps; staff actions all need staff assurance (identity/enforcement.py decides).
APPLICANT_STEPS = {Action.SUBMIT: Step.SUBMIT, Action.RESUBMIT: Step.ANSWER_REQUEST, Action.APPEAL: Step.SUBMIT}


# --- fees: which step of the lifecycle asks for one --------------------------------------------------------------


def charges_fee(service: Service) -> bool:
    """A fee taken on the platform — online (Thai QR) or at the counter, recorded by an officer: a flat
    `fee_satang`, or a fee schedule in payments."""
    if service.mode_payment not in (StepMode.ONLINE, StepMode.COUNTER):
        return False
    return bool(service.fee_satang) or hasattr(service, "fee_schedule")


def fee_due(app: Application, timing: PaymentTiming) -> bool:
    return not app.fee_waived and app.service.payment_timing == timing and charges_fee(app.service)


# --- guards: plain predicates over the case, no I/O ---------------------------------------------------------------


def guard(app: Application, action: Action, reason: str) -> Guard:
    """Conditions beyond the table and the role."""
    service, status = app.service, Status(app.status)
    if action in REASON_REQUIRED and not reason.strip():
        return Guard(False, "reason_required", "กรุณาระบุเหตุผล", "A reason is required for this action")
    if action == Action.START_REVIEW and status == Status.SUBMITTED and fee_due(app, PaymentTiming.BEFORE_REVIEW):
        return Guard(False, "payment_required", "ต้องชำระค่าธรรมเนียมก่อนการพิจารณา", "The fee must be paid before review")
    if (
        action == Action.START_REVIEW
        and status == Status.PAID
        and service.payment_timing != PaymentTiming.BEFORE_REVIEW
    ):
        return Guard(False, "already_reviewed", "คำขอนี้ผ่านการพิจารณาแล้ว", "This application has already been reviewed")
    if action == Action.WITHDRAW and status == Status.PAID and service.payment_timing != PaymentTiming.BEFORE_REVIEW:
        return Guard(False, "already_decided", "คำขอได้รับการอนุมัติแล้ว ถอนไม่ได้", "The application is already approved")
    if action == Action.REQUEST_PAYMENT:
        timing = PaymentTiming.BEFORE_REVIEW if status == Status.SUBMITTED else PaymentTiming.AFTER_APPROVAL
        if not fee_due(app, timing):
            return Guard(False, "no_fee_due", "ไม่มีค่าธรรมเนียมที่ต้องชำระในขั้นนี้", "No fee is due at this step")
    if action == Action.ISSUE:
        if status == Status.APPROVED and fee_due(app, PaymentTiming.AFTER_APPROVAL):
            return Guard(False, "payment_required", "ต้องชำระค่าธรรมเนียมก่อนออกเอกสาร", "The fee must be paid first")
        if status == Status.PAID and service.payment_timing != PaymentTiming.AFTER_APPROVAL:
            return Guard(False, "not_approved", "คำขอยังไม่ได้รับการอนุมัติ", "The application is not approved yet")
    return ALLOWED


# --- who is acting ------------------------------------------------------------------------------------------------


def roles_of(actor: Any, app: Application) -> frozenset[Role]:
    """The actor's roles on this case (SYSTEM when the platform acts on its own)."""
    if actor is None:
        return frozenset({Role.SYSTEM})
    if actor.pk == app.applicant_id:
        return frozenset({Role.APPLICANT})  # conflict of interest: no staff role on one's own case
    roles: set[Role] = set()
    held = staff_roles(user=actor, agency_id=app.agency_id)
    if StaffRole.OFFICER in held:
        roles.add(Role.OFFICER)
    if StaffRole.APPROVER in held:
        roles.add(Role.APPROVER)
    elif (
        held and app.status == Status.PENDING_APPROVAL and approvals.can_decide_now(actor=actor, case_ref=app.case_ref)
    ):
        roles.add(Role.APPROVER)  # a director or admin named in the chain, or a delegate standing in
    return frozenset(roles)


def representing(actor: Any, registration_number: str) -> Any:
    """The company the applicant acts for, refused unless they stand as its representative now."""
    company = may_act_for(actor, registration_number)
    if company is None:
        raise PermissionDenied(
            "ท่านไม่ได้เป็นผู้แทนที่ได้รับมอบอำนาจของนิติบุคคลนี้ (หรือการมอบอำนาจสิ้นสุดแล้ว)",
            "You are not a recorded authorised representative of this company (or the authority has ended)",
            code="not_a_representative",
        )
    return company


def _require_assurance(actor: Any, app: Application, action: Action, acting_roles: frozenset[Role]) -> None:
    if Role.APPLICANT in acting_roles:
        if action in APPLICANT_STEPS:
            require_for_service(actor, app.service, APPLICANT_STEPS[action])
            company = app.on_behalf_of
            if company is not None:  # the authority may have ended since the draft was started
                representing(actor, company.registration_number)
        return
    require_staff(actor, service=app.service, approving=action == Action.APPROVE)


# --- locking ------------------------------------------------------------------------------------------------------


def case_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("application", "คำขอ") from None


def lock_case(application_id: Any) -> Application:
    """The case row, locked until the surrounding transaction ends (call inside `transaction.atomic`)."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "agency", "applicant")
        .filter(pk=case_uuid(application_id))
        .first()
    )
    if app is None:
        raise NotFound("application", "คำขอ")
    return app


# --- the engine ---------------------------------------------------------------------------------------------------


def _parse(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise ValidationFailed("unknown_action", "ไม่รู้จักการดำเนินการนี้", f"Unknown action {action!r}") from None


def transition(
    *,
    application_id: Any,
    action: Action | str,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    extras: Iterable[object] = (),
) -> Application:
    """Move a case one step, from any entry point. Approve, reject and return are decisions of the approval
    chain and are recorded there first (`decide`)."""
    action = _parse(action)
    if action == Action.APPEAL:
        return appeal(actor=actor, application_id=application_id, reason=reason)
    if action in DECISION_OUTCOMES:
        return decide(
            actor=actor,
            application_id=application_id,
            outcome=DECISION_OUTCOMES[action],
            reason=reason,
            expected_version=expected_version,
        )
    with transaction.atomic():
        case_ref = str(case_uuid(application_id))
        for lock in caseflow.lock_first_hooks(action.value):
            lock(case_ref, action.value)
        app = lock_case(case_ref)
        return transition_locked(
            app, action=action, actor=actor, reason=reason, expected_version=expected_version, extras=extras
        )


def _context(app: Application, action: Action, actor: Any, reason: str, extras: Iterable[object]) -> Any:
    source = Status(app.status)
    return caseflow.TransitionContext(
        case=app,
        action=action.value,
        source=source.value,
        target=TRANSITIONS[(source, action)].value,
        actor=actor,
        reason=reason.strip(),
        now=timezone.now(),
        extras=caseflow.extras_map(extras),
    )


def _illegal(source: Status, action: Action) -> TransitionRefused:
    return TransitionRefused(
        "illegal_transition",
        f"ไม่สามารถ{action.label}คำขอที่อยู่ในสถานะ {source.label} ได้",
        f"Cannot {action.label} an application that is {source.label}",
        details={"status": source.value, "action": action.value},
    )


def transition_locked(
    app: Application,
    *,
    action: Action,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    extras: Iterable[object] = (),
    decided: bool = False,
    roles: frozenset[Role] | None = None,
) -> Application:
    """The engine's body, for entry points of this app that already hold the case's row lock in this
    transaction (submission validates the form under the same lock). `roles`: the actor's roles judged earlier
    in this transaction (a decider's, before their decision moved the chain on)."""
    roles = roles_of(actor, app) if roles is None else roles
    if not roles:
        # Not the applicant and not staff of the case's agency: the case does not exist for them.
        raise NotFound("application", "คำขอ")
    source = Status(app.status)
    if (source, action) not in TRANSITIONS:
        raise _illegal(source, action)
    acting_roles = roles & ACTION_ROLES[action]
    if not acting_roles:
        if actor is not None and actor.pk == app.applicant_id and staff_roles(user=actor, agency_id=app.agency_id):
            raise conflict_of_interest()
        raise PermissionDenied("คุณไม่มีสิทธิ์ดำเนินการนี้", f"You may not {action.label} this application")
    if actor is not None:
        _require_assurance(actor, app, action, acting_roles)
    if expected_version is not None and expected_version != app.version:
        raise TransitionRefused(
            "stale_version",
            "คำขอถูกแก้ไขโดยผู้อื่นแล้ว กรุณาโหลดใหม่",
            "Someone else changed this application; reload it",
        )
    if action in DECISION_OUTCOMES and not decided:
        raise TransitionRefused(
            "decision_required",
            "การอนุมัติต้องบันทึกผ่านสายการอนุมัติ",
            "An approval decision is recorded through the approval chain",
        )
    verdict = guard(app, action, reason)
    if not verdict.ok:
        raise TransitionRefused(verdict.code, verdict.message_th, verdict.message_en)
    ctx = _context(app, action, actor, reason, extras)
    for check in caseflow.hooks("check", ctx):
        check(ctx)

    target = Status(ctx.target)
    app.status = target
    app.version += 1
    _own_changes(ctx, app, action, target, actor)
    for change in caseflow.hooks("change", ctx):
        change(ctx)
    app.save(update_fields=["status", "version", "updated_at", *ctx.changed_fields])
    role = Role.SYSTEM if actor is None else sorted(acting_roles)[0]
    ApplicationEvent.objects.create(
        application=app,
        actor=actor,
        actor_role=role,
        action=action,
        from_status=source,
        to_status=target,
        reason=ctx.reason,
    )
    audit_record(
        actor=actor,
        action=f"application.{action.value}",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data={"from": source.value, "to": target.value, "tracking_number": app.tracking_number or ""},
    )
    for record in caseflow.hooks("record", ctx):
        record(ctx)
    _record_effects(ctx, app)
    for follow in caseflow.hooks("follow", ctx):
        next_action = follow(ctx)
        if next_action:
            return transition_locked(app, action=Action(next_action), actor=None)
    return app


def transition_locked_named(app: Application, *, action: str, **move: Any) -> Application:
    """`transition_locked` for the apps below the engine, which name the action by its value (the port)."""
    return transition_locked(app, action=Action(action), **move)


def _own_changes(ctx: Any, app: Application, action: Action, target: Status, actor: Any) -> None:
    """The case's own fields that go with a move."""
    if action == Action.SUBMIT:
        ctx.change(
            tracking_number=_next_tracking_number(app),
            submitted_at=ctx.now,
            due_date=due_date_from(timezone.localdate(ctx.now), app.service.processing_time_days),
        )
    if target in (Status.APPROVED, Status.REJECTED):
        ctx.change(decided_at=ctx.now)
    if action == Action.START_REVIEW and actor is not None:
        ctx.change(assigned_to=actor)


def _record_effects(ctx: Any, app: Application) -> None:
    """One durable row per registered effect of this move, in its transaction; a worker is asked after commit."""
    rows = [
        CaseEffect(
            application=app,
            name=effect.name,
            # One effect per name per move: the move is identified by the case's version after it.
            key=f"{effect.name}:{app.pk}:{app.version}",
            payload=effect.payload(ctx),
            max_attempts=effect.max_attempts,
            next_attempt_at=ctx.now,
        )
        for effect in caseflow.effects_for(ctx)
    ]
    if rows:
        from .effects import schedule

        CaseEffect.objects.bulk_create(rows)
        schedule([row.key for row in rows])


def due_date_from(start: dt.date, days: int) -> dt.date:
    # Enough calendar days to hold `days` working days even around Songkran and New Year.
    horizon = start + dt.timedelta(days=days * 2 + 30)
    holidays = set(PublicHoliday.objects.filter(date__range=(start, horizon)).values_list("date", flat=True))
    return working_days_due(start, days, holidays)


def _next_tracking_number(app: Application) -> str:
    """'DLT-2569-000042': agency, Buddhist-Era year, a gap-free sequence per agency and year. The counter row stays
    locked until the submission commits (a rollback takes the number back); nothing slow runs in that transaction."""
    year = be_year(timezone.localdate())
    counter = TrackingCounter.objects.select_for_update().filter(agency_id=app.agency_id, year_be=year).first()
    if counter is None:  # first case of the year; get_or_create copes with a concurrent first submission
        TrackingCounter.objects.get_or_create(agency_id=app.agency_id, year_be=year)
        counter = TrackingCounter.objects.select_for_update().get(agency_id=app.agency_id, year_be=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{app.agency.code}-{year}-{counter.last:06d}"


# --- approval decisions -------------------------------------------------------------------------------------------


def decide(
    *, actor: Any, application_id: Any, outcome: str, reason: str, expected_version: int | None = None
) -> Application:
    """Record an approver's decision at the chain's current level (approvals app), then move the case: the chain
    approved → approved; a level approved and another follows → still pending approval; reject; return."""
    with transaction.atomic():
        app = lock_case(application_id)
        roles = roles_of(actor, app)  # who may decide is judged before the decision moves the chain on
        if app.status != Status.PENDING_APPROVAL or (expected_version is not None and expected_version != app.version):
            # refused by the table or the version check, with their reason
            return transition_locked(
                app,
                action=Action(outcome),
                actor=actor,
                reason=reason,
                expected_version=expected_version,
                decided=True,
                roles=roles,
            )
        if not approvals.is_pinned(app.case_ref):
            from .lifecycle import pin_versions

            pin_versions(app)  # a case submitted before approval chains existed: pinned at its first decision
        step = approvals.next_step(app.case_ref)
        if step.level is None:  # the chain is complete, yet the case still waits: refuse rather than guess
            raise TransitionRefused(
                "approval_chain_complete",
                "สายการอนุมัติของคำขอนี้เสร็จสิ้นแล้ว",
                "The approval chain of this case is already complete",
            )
        decision = approvals.decision_record(
            actor=actor,
            case_ref=app.case_ref,
            service=app.service,
            level=step.level,
            outcome=outcome,
            reason=reason,
            form_data_digest=approvals.form_data_digest(app.form_data),
        )
        action = approvals.lifecycle_action(decision)
        next_action = Action(action) if action else Action.APPROVE_LEVEL
        return transition_locked(app, action=next_action, actor=actor, reason=reason, decided=True, roles=roles)


def appeal(*, actor: Any, application_id: Any, reason: str) -> Application:
    """The applicant appeals a rejection (once, within the window, with a reason): approvals lodges the appeal and
    reopens the chain at the next level; the case goes back to pending approval."""
    with transaction.atomic():
        app = lock_case(application_id)
        if app.applicant_id != getattr(actor, "pk", None):
            raise NotFound("application", "คำขอ")
        if (Status(app.status), Action.APPEAL) not in TRANSITIONS:
            raise _illegal(Status(app.status), Action.APPEAL)
        approvals.appeal_lodge(actor=actor, case_ref=app.case_ref, reason=reason)
        return transition_locked(app, action=Action.APPEAL, actor=actor, reason=reason)


def available_actions(*, actor: Any, app: Application) -> list[str]:
    """The actions this person could take now: drives the buttons on pages and `allowed_actions` in the API."""
    roles = roles_of(actor, app)
    available = []
    for (source, action), _target in TRANSITIONS.items():
        if source != app.status or not (roles & ACTION_ROLES[action]) or Role.SYSTEM in ACTION_ROLES[action]:
            continue
        if not guard(app, action, reason="-").ok:
            continue
        ctx = _context(app, action, actor, "-", ())
        try:
            for check in caseflow.hooks("check", ctx, for_buttons=True):
                check(ctx)
        except ApplicationError:
            continue
        available.append(action.value)
    return available
