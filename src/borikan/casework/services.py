"""Casework: the officer's queue work beyond the status table — assignment, internal notes, the per-service review
checklist, requests for information field by field, the SLA pause, and the deadline jobs (expiry of unanswered
requests, escalation to supervisors, late notices to applicants as the Licensing Facilitation Act B.E. 2558
requires).

Status changes only in the case engine (`engine.transition`). Casework declares what goes with a move in
`register()` — checks (more information only once; a complete checklist before forwarding), changes (the SLA pause,
the pinned checklist) and records (the information request opened and closed) — so every path (API, pages, jobs,
tests calling the engine) gets the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.agencies.models import StaffMembership, StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.catalog.models import Service
from borikan.core import caseflow
from borikan.core.caseflow import TransitionContext
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.messages import Message, citizen_case_url, office_case_url, render_message
from borikan.core.thaidate import thai_date
from borikan.identity.enforcement import require_staff

from . import sla
from .caseterms import Action, Case, Status, lock_case, open_statuses, the_case_model, transition_locked
from .models import (
    CaseEscalation,
    CaseNote,
    CaseworkSettings,
    ChecklistTick,
    Defect,
    DefectKind,
    DefectReason,
    EscalationKind,
    ExpiryOutcome,
    InfoRequestStatus,
    InformationRequest,
    LateNotice,
    ReviewChecklist,
)
from .states import INFORMATION_REQUEST

DEFECT_REASON_LABELS = {
    DefectReason.MISSING: ("ไม่ได้กรอกหรือไม่ได้แนบ", "missing"),
    DefectReason.ILLEGIBLE: ("อ่านไม่ออก ไม่ชัดเจน", "illegible"),
    DefectReason.INCONSISTENT: ("ไม่ตรงกับข้อมูลหรือเอกสารอื่น", "inconsistent with other data"),
    DefectReason.INVALID: ("ไม่ถูกต้อง", "invalid"),
    DefectReason.EXPIRED: ("หมดอายุ", "expired"),
    DefectReason.OTHER: ("อื่น ๆ", "other"),
}
MAX_REQUEST_DAYS = 90
NOTE_MAX = 5000
CHECKLIST_MAX_ITEMS = 50
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


class Conflict(ApplicationError):
    status = 409


def settings_for(service: Service) -> CaseworkSettings:
    """The service's casework settings, or the defaults (unsaved) when the agency set none."""
    found = CaseworkSettings.objects.filter(service=service).first()
    return found or CaseworkSettings(service=service)


# --- access ---------------------------------------------------------------------------------------------------


def _staff_case(actor: Any, application_id: Any, *, roles: set[str] | None = None) -> Case:
    """The case, locked, for staff of its agency holding one of `roles` (any role when None). Anyone else — the
    applicant included — gets 404: casework is internal."""
    app = lock_case(application_id)
    held = staff_roles(user=actor, agency_id=app.agency_id)
    # An officer's own application is not theirs to work (conflict of interest): to them it is not a case.
    if not held or app.status == Status.DRAFT or actor.pk == app.applicant_id:
        raise NotFound("application", "คำขอ")
    if roles is not None and not (held & roles):
        raise PermissionDenied("คุณไม่มีสิทธิ์ดำเนินการนี้กับคำขอนี้", "Your role does not allow this on the case")
    require_staff(actor, service=app.service)
    return app


def _stale(app: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != app.version:
        raise Conflict(
            "stale_version",
            "คำขอถูกแก้ไขโดยผู้อื่นแล้ว กรุณาโหลดใหม่",
            "Someone else changed this application; reload it",
            details={"current_version": app.version},
        )


def _audit(actor: Any, app: Case, action: str, data: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=f"application.{action}",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data=data,
    )


# --- assignment --------------------------------------------------------------------------------------------------


def case_assign(
    *, actor: Any, application_id: Any, assignee_id: int | None = None, expected_version: int | None = None
) -> Case:
    """Claim a case (no assignee: the actor) or assign it to another officer of the agency. A claim does not take a
    case from another officer (that is a reassignment, which names the officer)."""
    claim = assignee_id is None or assignee_id == getattr(actor, "pk", None)
    with transaction.atomic():
        app = _staff_case(actor, application_id, roles={StaffRole.OFFICER, StaffRole.AGENCY_ADMIN})
        _stale(app, expected_version)
        if app.status not in open_statuses():
            raise Conflict("case_closed", "คำขอนี้ดำเนินการเสร็จแล้ว", "This case is no longer open")
        target_id = actor.pk if claim or assignee_id is None else assignee_id
        is_officer = StaffMembership.objects.filter(
            user_id=target_id, agency_id=app.agency_id, role=StaffRole.OFFICER
        ).exists()
        if not is_officer:
            raise ValidationFailed(
                "not_an_officer",
                "ผู้รับมอบหมายต้องเป็นเจ้าหน้าที่ของหน่วยงานเจ้าของคำขอ",
                "The assignee must be an officer of the case's agency",
                field="assignee_id",
            )
        if claim and app.assigned_to_id not in (None, actor.pk):
            raise Conflict(
                "already_assigned",
                "คำขอนี้มีเจ้าหน้าที่รับผิดชอบแล้ว (ใช้การมอบหมายใหม่หากต้องการโอนงาน)",
                "Another officer holds this case; reassign it by name to take it over",
            )
        previous = app.assigned_to_id
        if previous == target_id:
            return app
        app.assigned_to_id = target_id
        app.version += 1
        app.save(update_fields=["assigned_to", "version", "updated_at"])
        _audit(actor, app, "assigned", {"from": previous, "to": target_id, "claim": claim})
    return app


# --- internal notes -------------------------------------------------------------------------------------------


def case_note_add(*, actor: Any, application_id: Any, body: str) -> CaseNote:
    body = (body or "").strip()
    if not body or len(body) > NOTE_MAX:
        raise ValidationFailed(
            "invalid_note",
            f"กรุณาเขียนบันทึก (ไม่เกิน {NOTE_MAX} ตัวอักษร)",
            f"Write the note (at most {NOTE_MAX} characters)",
            field="body",
        )
    with transaction.atomic():
        app = _staff_case(actor, application_id)
        note = CaseNote.objects.create(application=app, author=actor, body=body)
        # The note's text may hold personal data: the log keeps which note, not what it says.
        _audit(actor, app, "note_added", {"note_id": note.pk, "length": len(body)})
    return note


# --- review checklist -----------------------------------------------------------------------------------------


def _clean_items(items: Any) -> list[dict[str, str]]:
    def bad(message_th: str, message_en: str, index: int | None = None) -> ValidationFailed:
        return ValidationFailed(
            "invalid_checklist", message_th, message_en, field="items" if index is None else f"items[{index}]"
        )

    if not isinstance(items, list) or not 1 <= len(items) <= CHECKLIST_MAX_ITEMS:
        raise bad(
            f"รายการตรวจสอบต้องมี 1 ถึง {CHECKLIST_MAX_ITEMS} ข้อ", f"A checklist has 1 to {CHECKLIST_MAX_ITEMS} items"
        )
    cleaned, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad("แต่ละข้อต้องเป็นออบเจกต์", "Each item must be an object", index)
        code = str(item.get("code", "")).strip()
        label_th = str(item.get("label_th", "")).strip()
        label_en = str(item.get("label_en", "")).strip()
        if not CODE_PATTERN.match(code) or code in seen:
            raise bad(
                "รหัสข้อต้องเป็นอักษรอังกฤษตัวเล็ก ตัวเลข - หรือ _ และไม่ซ้ำกัน",
                "Item codes are lower-case letters, digits, - or _, and unique",
                index,
            )
        if not label_th or len(label_th) > 300 or len(label_en) > 300:
            raise bad("กรุณาระบุชื่อข้อเป็นภาษาไทย (ไม่เกิน 300 ตัวอักษร)", "Give each item a Thai label (≤ 300)", index)
        seen.add(code)
        cleaned.append({"code": code, "label_th": label_th, "label_en": label_en or label_th})
    return cleaned


def review_checklist_define(*, actor: Any, service_slug: str, items: Any) -> ReviewChecklist:
    """The agency admin defines the service's checklist: a new version; cases already in review keep theirs."""
    from borikan.catalog.selectors import service_get

    service = service_get(slug=service_slug)
    held = staff_roles(user=actor, agency_id=service.agency_id)
    if not held:
        raise NotFound("service", "บริการ")
    if StaffRole.AGENCY_ADMIN not in held:
        raise PermissionDenied("เฉพาะผู้ดูแลของหน่วยงานกำหนดรายการตรวจสอบได้", "Only the agency's admins define checklists")
    require_staff(actor, service=service)
    cleaned = _clean_items(items)  # after the authority check: an outsider learns nothing from the input rules
    with transaction.atomic():
        Service.objects.select_for_update().filter(pk=service.pk).first()  # one new version at a time
        last = ReviewChecklist.objects.filter(service=service).order_by("-version").first()
        checklist = ReviewChecklist.objects.create(
            service=service, version=(last.version + 1 if last else 1), items=cleaned, created_by=actor
        )
        audit_record(
            actor=actor,
            action="service.review_checklist_defined",
            object_type="service",
            object_id=service.pk,
            data={"version": checklist.version, "codes": checklist.codes},
        )
    return checklist


def current_checklist(service: Service) -> ReviewChecklist | None:
    return ReviewChecklist.objects.filter(service=service).order_by("-version").first()


def case_checklist(app: Case) -> ReviewChecklist | None:
    """The version the case is checked against: pinned when review started (or at the first tick), else current."""
    if app.review_checklist_id:
        return app.review_checklist
    return current_checklist(app.service)


def checklist_state(app: Case) -> dict[str, Any]:
    checklist = case_checklist(app)
    if checklist is None:
        return {"version": None, "items": [], "missing": [], "complete": True}
    ticks = {t.item_code: t for t in app.checklist_ticks.filter(checklist=checklist).select_related("ticked_by")}
    items = [
        {
            **item,
            "done": item["code"] in ticks,
            "ticked_by": ticks[item["code"]].ticked_by.full_name if item["code"] in ticks else "",
            "ticked_at": ticks[item["code"]].ticked_at if item["code"] in ticks else None,
        }
        for item in checklist.items
    ]
    missing = [item["code"] for item in items if not item["done"]]
    return {"version": checklist.version, "items": items, "missing": missing, "complete": not missing}


def checklist_tick(*, actor: Any, application_id: Any, item_code: str, done: bool = True) -> dict[str, Any]:
    with transaction.atomic():
        app = _staff_case(actor, application_id, roles={StaffRole.OFFICER})
        if app.status != Status.IN_REVIEW:
            raise Conflict(
                "not_in_review", "ทำรายการตรวจสอบได้ระหว่างการพิจารณาเท่านั้น", "The checklist is ticked during review"
            )
        checklist = case_checklist(app)
        if checklist is None or item_code not in checklist.codes:
            raise ValidationFailed(
                "unknown_checklist_item",
                "ไม่มีข้อนี้ในรายการตรวจสอบของคำขอ",
                "The case's checklist has no such item",
                field="item",
                details={"known": checklist.codes if checklist else []},
            )
        if not app.review_checklist_id:
            app.review_checklist = checklist
            app.save(update_fields=["review_checklist", "updated_at"])
        if done:
            ChecklistTick.objects.get_or_create(
                application=app, checklist=checklist, item_code=item_code, defaults={"ticked_by": actor}
            )
        else:
            ChecklistTick.objects.filter(application=app, checklist=checklist, item_code=item_code).delete()
        _audit(
            actor,
            app,
            "checklist_ticked" if done else "checklist_unticked",
            {"item": item_code, "version": checklist.version},
        )
        return checklist_state(app)


# --- what casework declares around a move (registered with the engine in `register`) ----------------------------


@dataclass(frozen=True)
class PreparedRequest:
    """A request for information marked field by field (`information_request_create`), handed to the engine."""

    defects: list[dict[str, str]]
    message: str
    deadline: dt.date


@dataclass(frozen=True)
class ClockResumed:
    """The working days the case waited for the applicant, counted when it came back (or ended)."""

    paused_working_days: int


def _ask_only_once(ctx: TransitionContext) -> None:
    if ctx.case.events.filter(action=Action.REQUEST_INFO).exists():
        # Licensing Facilitation Act B.E. 2558: the official may ask for additional documents only once.
        raise Conflict(
            "information_already_requested",
            "ขอเอกสารหรือข้อมูลเพิ่มเติมได้เพียงครั้งเดียวตาม พ.ร.บ.การอำนวยความสะดวกฯ พ.ศ. 2558",
            "More information may be requested only once (Licensing Facilitation Act B.E. 2558)",
        )


def _checklist_complete(ctx: TransitionContext) -> None:
    state = checklist_state(ctx.case)
    if state["complete"]:
        return
    labels = {item["code"]: item for item in state["items"]}
    raise Conflict(
        "checklist_incomplete",
        "ยังตรวจรายการไม่ครบ: " + ", ".join(labels[code]["label_th"] for code in state["missing"]),
        "The review checklist is incomplete: " + ", ".join(labels[code]["label_en"] for code in state["missing"]),
        details={
            "missing": [
                {"code": c, "label_th": labels[c]["label_th"], "label_en": labels[c]["label_en"]}
                for c in state["missing"]
            ],
            "checklist_version": state["version"],
        },
    )


def _stop_clock(ctx: TransitionContext) -> None:
    ctx.change(sla_paused_on=sla.today())


def _restart_clock(ctx: TransitionContext) -> None:
    """Leaving "information requested": the due date moves by the working days the case waited (on an answer)."""
    app = ctx.case
    if ctx.source != Status.INFO_REQUESTED or app.sla_paused_on is None:
        return
    if ctx.action == Action.RESUBMIT:
        paused = sla.working_days_between(app.sla_paused_on, sla.today())
        if app.due_date is not None:
            ctx.change(due_date=sla.add_working_days(app.due_date, paused))
        ctx.change(sla_paused_days=app.sla_paused_days + paused)
        ctx.put(ClockResumed(paused))
    ctx.change(sla_paused_on=None)


def _pin_checklist(ctx: TransitionContext) -> None:
    if not ctx.case.review_checklist_id:
        checklist = current_checklist(ctx.case.service)
        if checklist is not None:
            ctx.change(review_checklist=checklist)


def _open_request(ctx: TransitionContext) -> None:
    """The request for information, with its deadline, its marked defects and the notice to the applicant. A
    request made without marking fields (the plain action) gets the service's deadline."""
    app = ctx.case
    prepared = ctx.get(PreparedRequest) or PreparedRequest(
        defects=[],
        message=ctx.reason,
        deadline=sla.add_working_days(sla.today(), settings_for(app.service).info_request_days),
    )
    request = InformationRequest.objects.create(
        application=app, requested_by=ctx.actor, message=prepared.message, deadline=prepared.deadline
    )
    if prepared.defects:
        attachments = _attachment_snapshots(app)
        Defect.objects.bulk_create(
            Defect(
                request=request,
                kind=d["kind"],
                name=d["name"],
                reason=d["reason"],
                note=d["note"],
                before=app.form_data.get(d["name"]) if d["kind"] == DefectKind.FIELD else attachments.get(d["name"]),
            )
            for d in prepared.defects
        )
    information_request_notify(request=request, app=app)


def _close_request(ctx: TransitionContext) -> None:
    """The open request ends with the move out of "information requested": answered, expired or closed."""
    if ctx.source != Status.INFO_REQUESTED:
        return
    app = ctx.case
    request = InformationRequest.objects.filter(application=app, status=InfoRequestStatus.OPEN).first()
    if request is None:
        return
    request.closed_at = timezone.now()
    if ctx.action == Action.RESUBMIT:
        INFORMATION_REQUEST.move(request, "answer")
        resumed = ctx.get(ClockResumed)
        request.paused_working_days = resumed.paused_working_days if resumed else 0
        attachments = _attachment_snapshots(app)
        for defect in request.defects.all():
            after = app.form_data.get(defect.name) if defect.kind == DefectKind.FIELD else attachments.get(defect.name)
            defect.after = after
            defect.changed = after != defect.before
            defect.save(update_fields=["after", "changed"])
    elif ctx.action in (Action.LAPSE_REJECT, Action.LAPSE_WITHDRAW):
        INFORMATION_REQUEST.move(request, "expire")
    else:
        INFORMATION_REQUEST.move(request, "close")
    request.save(update_fields=["status", "closed_at", "paused_working_days"])
    if request.status == InfoRequestStatus.EXPIRED:
        information_request_expired_notify(request=request, app=app)  # the applicant hears why the case ended


LEAVING_INFO_REQUESTED = [Action.RESUBMIT, Action.WITHDRAW, Action.LAPSE_REJECT, Action.LAPSE_WITHDRAW]


def register() -> None:
    caseflow.on_check(_ask_only_once, actions=[Action.REQUEST_INFO])
    caseflow.on_check(_checklist_complete, actions=[Action.FORWARD])
    caseflow.on_change(_stop_clock, actions=[Action.REQUEST_INFO])
    caseflow.on_change(_restart_clock, actions=LEAVING_INFO_REQUESTED)
    caseflow.on_change(_pin_checklist, actions=[Action.START_REVIEW])
    caseflow.on_record(_open_request, actions=[Action.REQUEST_INFO])
    caseflow.on_record(_close_request, actions=LEAVING_INFO_REQUESTED)


# --- requests for information -----------------------------------------------------------------------------------


def _schema(app: Case) -> dict[str, Any]:
    """The form definition the case was started with (eforms pins it)."""
    from borikan.eforms.services import schema_for_case

    return schema_for_case(app.case_ref, app.service) or {}


def _field_names(app: Case) -> set[str]:
    return set((_schema(app).get("properties") or {}).keys())


def attachment_names(app: Case) -> set[str]:
    spec = _schema(app).get("x-attachment") or {}
    names = {spec["name"]} if spec.get("name") else set()
    return names | set(app.attachments.values_list("field_name", flat=True))


def _attachment_snapshots(app: Case) -> dict[str, dict[str, Any]]:
    return {
        a.field_name: {"sha256": a.sha256, "name": a.original_name, "size": a.size}
        for a in app.attachments.all().order_by("field_name", "id")
    }


def _clean_defects(app: Case, defects: Any) -> list[dict[str, str]]:
    if not isinstance(defects, list) or not defects:
        raise ValidationFailed(
            "defects_required",
            "กรุณาระบุอย่างน้อยหนึ่งช่องหรือเอกสารที่ต้องแก้ไข",
            "Mark at least one field or attachment to correct",
            field="defects",
        )
    fields, attachments = _field_names(app), attachment_names(app)
    cleaned, seen, errors = [], set(), {}
    for index, raw in enumerate(defects):
        key = f"defects[{index}]"
        if not isinstance(raw, dict):
            errors[key] = {"th": "รูปแบบไม่ถูกต้อง", "en": "Each defect must be an object"}
            continue
        kind = str(raw.get("kind") or DefectKind.FIELD)
        name = str(raw.get("name") or raw.get("field") or "").strip()
        reason = str(raw.get("reason") or "")
        note = str(raw.get("note") or "").strip()
        known = fields if kind == DefectKind.FIELD else attachments if kind == DefectKind.ATTACHMENT else None
        if known is None:
            errors[key] = {"th": "ชนิดต้องเป็น field หรือ attachment", "en": "kind must be field or attachment"}
        elif name not in known:
            errors[key] = {
                "th": f"แบบคำขอนี้ไม่มีช่อง {name!r}",
                "en": f"The form has no {'field' if kind == DefectKind.FIELD else 'attachment'} {name!r}",
            }
        elif reason not in DefectReason.values:
            errors[key] = {
                "th": "เหตุผลต้องเป็นรหัสที่กำหนด: " + ", ".join(DefectReason.values),
                "en": "The reason must be one of: " + ", ".join(DefectReason.values),
            }
        elif reason == DefectReason.OTHER and not note:
            errors[key] = {"th": "เหตุผล 'อื่น ๆ' ต้องมีคำอธิบาย", "en": "Reason 'other' needs a note"}
        elif len(note) > 1000:
            errors[key] = {"th": "คำอธิบายยาวเกิน 1000 ตัวอักษร", "en": "The note is longer than 1000 characters"}
        elif (kind, name) in seen:
            errors[key] = {"th": "ระบุช่องนี้ซ้ำ", "en": "This field is marked twice"}
        else:
            seen.add((kind, name))
            cleaned.append({"kind": kind, "name": name, "reason": reason, "note": note})
    if errors:
        first = next(iter(errors.values()))
        raise ValidationFailed(
            "invalid_defects",
            "รายการที่ต้องแก้ไขไม่ถูกต้อง: " + first["th"],
            "The defects are not valid: " + first["en"],
            field="defects",
            details=errors,
        )
    return cleaned


def _deadline(app: Case, deadline_days: int | None, deadline: dt.date | None) -> dt.date:
    today = sla.today()
    if deadline is not None:
        if deadline < today:
            raise ValidationFailed(
                "deadline_in_past", "กำหนดส่งต้องไม่เป็นวันที่ผ่านมาแล้ว", "The deadline is in the past", field="deadline"
            )
        if deadline > sla.add_working_days(today, MAX_REQUEST_DAYS):
            raise ValidationFailed(
                "deadline_too_far",
                f"กำหนดส่งต้องไม่เกิน {MAX_REQUEST_DAYS} วันทำการ",
                f"The deadline is at most {MAX_REQUEST_DAYS} working days away",
                field="deadline",
            )
        return deadline
    days = settings_for(app.service).info_request_days if deadline_days is None else deadline_days
    if not 1 <= days <= MAX_REQUEST_DAYS:
        raise ValidationFailed(
            "invalid_deadline_days",
            f"ระยะเวลาต้องเป็น 1 ถึง {MAX_REQUEST_DAYS} วันทำการ",
            f"The deadline is 1 to {MAX_REQUEST_DAYS} working days",
            field="deadline_days",
        )
    return sla.add_working_days(today, days)


def _summary(defects: list[dict[str, str]]) -> str:
    return "; ".join(
        f"{d['name']}: {DEFECT_REASON_LABELS[DefectReason(d['reason'])][0]}" + (f" ({d['note']})" if d["note"] else "")
        for d in defects
    )


def information_request_create(
    *,
    actor: Any,
    application_id: Any,
    defects: Any,
    message: str = "",
    deadline_days: int | None = None,
    deadline: dt.date | None = None,
    expected_version: int | None = None,
) -> InformationRequest:
    """Mark the defects field by field (and attachment by attachment) and send the case back to the applicant."""
    with transaction.atomic():
        app = _staff_case(actor, application_id, roles={StaffRole.OFFICER})
        cleaned = _clean_defects(app, defects)
        due = _deadline(app, deadline_days, deadline)
        message = (message or "").strip()[:2000] or _summary(cleaned)
        prepared = PreparedRequest(defects=cleaned, message=message, deadline=due)
        app = transition_locked(
            app,
            action=Action.REQUEST_INFO,
            actor=actor,
            reason=message,
            expected_version=expected_version,
            extras=[prepared],
        )
        request = InformationRequest.objects.get(application=app, status=InfoRequestStatus.OPEN)
        _audit(
            actor,
            app,
            "information_defects_marked",
            {
                "request_id": request.pk,
                "deadline": due.isoformat(),
                "defects": [[d["kind"], d["name"], d["reason"]] for d in cleaned],
            },
        )
    return request


def open_request(app: Case) -> InformationRequest | None:
    return (
        InformationRequest.objects.filter(application=app, status=InfoRequestStatus.OPEN)
        .prefetch_related("defects")
        .first()
    )


def latest_request(app: Case) -> InformationRequest | None:
    return InformationRequest.objects.filter(application=app).prefetch_related("defects").order_by("-id").first()


def _marked(request: InformationRequest | None, kind: str) -> set[str] | None:
    """The names the applicant may change now, or None when the request marked nothing (a general request)."""
    if request is None:
        return None
    defects = list(request.defects.all())
    if not defects:
        return None
    return {d.name for d in defects if d.kind == kind}


def refuse_unrequested_changes(app: Case, form_data: dict[str, Any]) -> None:
    """While a request for information is open, the applicant changes only the fields it marked."""
    if app.status != Status.INFO_REQUESTED or not isinstance(form_data, dict):
        return
    allowed = _marked(open_request(app), DefectKind.FIELD)
    if allowed is None:
        return
    changed = {k for k in set(app.form_data) | set(form_data) if app.form_data.get(k) != form_data.get(k)}
    refused = sorted(changed - allowed)
    if refused:
        raise ValidationFailed(
            "field_not_requested",
            "แก้ไขได้เฉพาะช่องที่เจ้าหน้าที่ขอให้แก้ไข",
            "Only the fields the officer marked may be changed",
            field=refused[0],
            details={
                name: {"th": "ช่องนี้ไม่ได้ถูกขอให้แก้ไข", "en": "This field was not marked for correction"} for name in refused
            },
        )


def refuse_unrequested_attachment(app: Case, field_name: str) -> None:
    if app.status != Status.INFO_REQUESTED:
        return
    request = open_request(app)
    if _marked(request, DefectKind.FIELD) is None:
        return
    if field_name not in (_marked(request, DefectKind.ATTACHMENT) or set()):
        raise ValidationFailed(
            "attachment_not_requested",
            "เจ้าหน้าที่ไม่ได้ขอให้แนบเอกสารนี้ใหม่",
            "The officer did not ask for this attachment again",
            field="file",
        )


def target_labels(app: Case) -> dict[str, tuple[str, str]]:
    """Thai and English labels of the form's fields and attachments, by name (what a defect points at)."""
    schema = _schema(app)
    labels = {
        name: (spec.get("x-title-th") or spec.get("title") or name, spec.get("title") or name)
        for name, spec in (schema.get("properties") or {}).items()
        if isinstance(spec, dict)
    }
    spec = schema.get("x-attachment") or {}
    if spec.get("name"):
        labels.setdefault(spec["name"], (spec.get("x-title-th") or spec["name"], spec.get("title") or spec["name"]))
    return labels


def defect_view(defect: Defect, labels: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    th, en = DEFECT_REASON_LABELS[DefectReason(defect.reason)]
    label_th, label_en = (labels or {}).get(defect.name, (defect.name, defect.name))
    return {
        "kind": defect.kind,
        "name": defect.name,
        "label_th": label_th,
        "label_en": label_en,
        "reason": defect.reason,
        "reason_th": th,
        "reason_en": en,
        "note": defect.note,
        "before": defect.before,
        "after": defect.after,
        "changed": defect.changed,
    }


def expire_information_requests(*, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Apply the service's outcome to each request still unanswered after its deadline. Each case in its own
    transaction, under its row lock; a case answered in the meantime is left alone."""
    on = on or sla.today()
    results = []
    due = InformationRequest.objects.filter(status=InfoRequestStatus.OPEN, deadline__lt=on).values_list(
        "pk", "application_id"
    )
    for request_id, application_id in list(due):
        with transaction.atomic():
            app = lock_case(application_id)
            request = InformationRequest.objects.filter(pk=request_id, status=InfoRequestStatus.OPEN).first()
            if request is None or app.status != Status.INFO_REQUESTED:
                continue
            outcome = settings_for(app.service).info_request_expiry
            action = Action.LAPSE_REJECT if outcome == ExpiryOutcome.REJECT else Action.LAPSE_WITHDRAW
            reason = (
                f"ไม่ได้รับข้อมูลที่ขอภายในวันที่ {thai_date(request.deadline)} / "
                f"the information requested was not received by {request.deadline.isoformat()}"
            )
            app = transition_locked(app, action=action, actor=None, reason=reason)
            results.append({"application": str(app.pk), "request": request_id, "outcome": app.status})
    return results


# --- delays, escalation and late notices ----------------------------------------------------------------------


def case_delay_explain(*, actor: Any, application_id: Any, reason: str, expected_date: dt.date | None = None) -> Case:
    """The officer records why the case is late and when it should now be decided (told to the applicant)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise ValidationFailed(
            "reason_required", "กรุณาระบุเหตุที่ล่าช้า (ไม่เกิน 1000 ตัวอักษร)", "Give the reason (≤ 1000)", field="reason"
        )
    if expected_date is not None and expected_date < sla.today():
        raise ValidationFailed(
            "date_in_past", "วันที่คาดว่าจะแล้วเสร็จต้องไม่ผ่านมาแล้ว", "The expected date is in the past", field="expected_date"
        )
    with transaction.atomic():
        app = _staff_case(actor, application_id, roles={StaffRole.OFFICER, StaffRole.APPROVER})
        app.delay_reason, app.expected_date = reason, expected_date
        app.save(update_fields=["delay_reason", "expected_date", "updated_at"])
        _audit(actor, app, "delay_explained", {"expected_date": expected_date.isoformat() if expected_date else ""})
    return app


def supervisors_of(agency_id: int) -> list[Any]:
    """Who is told about late cases: the agency's admins."""
    from borikan.identity.models import User

    return list(
        User.objects.filter(
            memberships__agency_id=agency_id, memberships__role=StaffRole.AGENCY_ADMIN, is_active=True
        ).distinct()
    )


def _due(app: Case) -> dt.date:
    """The due date of a submitted case (set at submission; only such cases are escalated or late)."""
    if app.due_date is None:
        raise ValueError(f"case {app.pk} has no due date")
    return app.due_date


def _escalate_agency(agency: Any, on: dt.date, soon_limit: dt.date) -> int:
    with transaction.atomic():
        cases = list(
            the_case_model()
            .objects.filter(agency=agency)
            .filter(sla.running_q(), due_date__lte=soon_limit)
            .exclude(escalations__day=on)
            .select_related("service", "assigned_to")
            .defer("form_data")
            .order_by("due_date", "submitted_at")
        )
        if not cases:
            return 0
        supervisors = [s for s in supervisors_of(agency.pk) if s.email]
        recipients = [(s.email, s.pk) for s in supervisors] or ([(agency.email, None)] if agency.email else [])
        rows = []
        for app in cases:
            kind = EscalationKind.OVERDUE if _due(app) < on else EscalationKind.DUE_SOON
            rows.append(
                CaseEscalation(
                    application=app, day=on, kind=kind, due_date=_due(app), recipients=[s.pk for s in supervisors]
                )
            )
        CaseEscalation.objects.bulk_create(rows)  # the unique (case, day) makes a second run that day a no-op
        overdue = sum(1 for row in rows if row.kind == EscalationKind.OVERDUE)
        message = render_message(
            "casework/messages/escalation",
            {
                "agency_code": agency.code,
                "agency_th": agency.name_th,
                "agency_en": agency.name_en,
                "on_th": thai_date(on),
                "on_iso": on.isoformat(),
                "overdue": overdue,
                "due_soon": len(rows) - overdue,
                "cases": [
                    {
                        "tracking": app.tracking_number,
                        "service_th": app.service.name_th,
                        "due_th": thai_date(_due(app)),
                        "overdue": row.kind == EscalationKind.OVERDUE,
                        "officer": app.assigned_to.full_name if app.assigned_to else "-",
                        "url": office_case_url(app.pk),
                    }
                    for app, row in zip(cases, rows, strict=True)
                ],
            },
        )
        # Written to the delivery outbox with the escalation rows: sent once they commit, retried if mail fails.
        for to, user_id in recipients:
            _outbox(
                "email",
                to,
                message.subject,
                message.body,
                reference=f"escalation-{agency.code}-{on}",
                user_id=user_id,
                agency_id=agency.pk,
            )
        for app, row in zip(cases, rows, strict=True):
            _audit(
                None,
                app,
                "escalated",
                {"kind": row.kind, "due_date": _due(app).isoformat(), "to": row.recipients, "sent": len(recipients)},
            )
    return len(rows)


def _expected_date(app: Case, on: dt.date, interval: int) -> dt.date:
    if app.expected_date and app.expected_date >= on:
        return app.expected_date
    # No estimate from the officer: the next notice's day, when the applicant hears again at the latest.
    return sla.next_working_day_on_or_after(on + dt.timedelta(days=interval))


def _late_notice_message(app: Case, expected: dt.date) -> Message:
    return render_message(
        "casework/messages/late_notice",
        {
            "name": app.applicant.full_name,
            "tracking": app.tracking_number,
            "service_th": app.service.name_th,
            "service_en": app.service.name_en,
            "reason_th": app.delay_reason or "อยู่ระหว่างการพิจารณาของเจ้าหน้าที่",
            "reason_en": app.delay_reason or "the case is still under consideration",
            "due_th": thai_date(_due(app)),
            "due_iso": _due(app).isoformat(),
            "expected_th": thai_date(expected),
            "expected_iso": expected.isoformat(),
            "case_url": citizen_case_url(app.pk),
        },
    )


def _send_late_notice(app_id: Any, on: dt.date) -> LateNotice | None:
    with transaction.atomic():
        app = lock_case(app_id)
        if not (app.status in sla.SLA_RUNNING and app.decided_at is None and app.due_date and app.due_date < on):
            return None
        interval = settings_for(app.service).late_notice_interval_days
        last = LateNotice.objects.filter(application=app).order_by("-sent_on").first()
        if last is not None and (on - last.sent_on).days < interval:
            return None
        expected = _expected_date(app, on, interval)
        sent = _tell_applicant(app, _late_notice_message(app, expected), key=f"late-{app.pk.hex}-{on:%Y%m%d}")
        if sent is None:
            return None
        channel, message_id = sent
        notice = LateNotice.objects.create(
            application=app,
            sent_on=on,
            channel=channel,
            message_id=message_id,
            due_date=app.due_date,
            expected_date=expected,
            reason=app.delay_reason,
        )
        _audit(
            None,
            app,
            "late_notice_sent",
            {
                "channel": channel,
                "message_id": message_id,
                "due_date": _due(app).isoformat(),
                "expected_date": expected.isoformat(),
                "reason_known": bool(app.delay_reason),
            },
        )
    return notice


def escalate_overdue_cases(*, on: dt.date | None = None) -> dict[str, int]:
    """(a) e-mail each agency's supervisors its overdue and soon-due cases, once per case per day; (b) send each
    applicant whose case passed its processing time the late notice, repeated every interval (7 days by default)."""
    from borikan.agencies.models import Agency

    on = on or sla.today()
    soon_limit = sla.due_soon_limit(on)
    agency_ids = (
        the_case_model()
        .objects.filter(sla.running_q(), due_date__lte=soon_limit)
        .values_list("agency_id", flat=True)
        .distinct()
    )
    escalated = 0
    for agency in Agency.objects.filter(pk__in=list(agency_ids)):
        try:
            escalated += _escalate_agency(agency, on, soon_limit)
        except IntegrityError:  # another run escalated the same cases today
            continue
    notices = 0
    late = the_case_model().objects.filter(sla.overdue_q(on)).values_list("pk", flat=True)
    for app_id in list(late):
        if _send_late_notice(app_id, on) is not None:
            notices += 1
    return {"escalated": escalated, "late_notices": notices}


def escalation_state(app: Case, on: dt.date | None = None) -> dict[str, Any]:
    return {
        **sla.flags(app, on),
        "escalations": list(app.escalations.all()[:10]),
        "late_notices": list(app.late_notices.all()[:10]),
    }


def staff_casework(*, user: Any, app: Case) -> dict[str, Any]:
    """Everything internal about a case for its agency's staff (notes, checklist, escalation). Callers have loaded
    the case through projection.case_view_for; this refuses anyone but the agency's staff."""
    if not staff_roles(user=user, agency_id=app.agency_id) or user.pk == app.applicant_id:
        raise NotFound("application", "คำขอ")  # the applicant, staff or not, reads their own case as applicant
    last = latest_request(app)
    return {
        "notes": list(app.notes.select_related("author")),
        "checklist": checklist_state(app),
        "escalation": escalation_state(app),
        "request": last,
        "defects": [defect_view(d, target_labels(app)) for d in last.defects.all()] if last else [],
        "officers": list(
            StaffMembership.objects.filter(agency_id=app.agency_id, role=StaffRole.OFFICER)
            .select_related("user")
            .order_by("user__full_name")
        ),
    }


def review_checklist_current_for_staff(*, user: Any, service_slug: str) -> ReviewChecklist:
    from borikan.catalog.selectors import service_get

    service = service_get(slug=service_slug)
    if not staff_roles(user=user, agency_id=service.agency_id):
        raise NotFound("checklist", "รายการตรวจสอบ")
    require_staff(user, service=service)
    checklist = current_checklist(service)
    if checklist is None:
        raise NotFound("checklist", "รายการตรวจสอบ")
    return checklist


# --- the service's casework settings (agency admin) ----------------------------------------------------------


def casework_settings_set(
    *,
    actor: Any,
    service_slug: str,
    info_request_expiry: str,
    info_request_days: int,
    late_notice_interval_days: int,
) -> CaseworkSettings:
    from borikan.catalog.selectors import service_get

    service = service_get(slug=service_slug)
    held = staff_roles(user=actor, agency_id=service.agency_id)
    if not held:
        raise NotFound("service", "บริการ")
    if StaffRole.AGENCY_ADMIN not in held:
        raise PermissionDenied("เฉพาะผู้ดูแลของหน่วยงาน", "Only the agency's admins change these settings")
    require_staff(actor, service=service)
    if info_request_expiry not in ExpiryOutcome.values:
        raise ValidationFailed(
            "invalid_settings",
            "ผลเมื่อไม่ตอบภายในกำหนดต้องเป็น reject หรือ withdraw",
            "info_request_expiry is reject or withdraw",
            field="info_request_expiry",
        )
    if not 1 <= info_request_days <= MAX_REQUEST_DAYS:
        raise ValidationFailed(
            "invalid_settings",
            f"ระยะเวลาต้องเป็น 1 ถึง {MAX_REQUEST_DAYS} วันทำการ",
            f"info_request_days is 1 to {MAX_REQUEST_DAYS}",
            field="info_request_days",
        )
    if not 1 <= late_notice_interval_days <= 7:
        # The Act asks for a notice every 7 days at the longest.
        raise ValidationFailed(
            "invalid_settings",
            "แจ้งความล่าช้าได้ทุก 1 ถึง 7 วัน",
            "late_notice_interval_days is 1 to 7",
            field="late_notice_interval_days",
        )
    with transaction.atomic():
        settings, _created = CaseworkSettings.objects.update_or_create(
            service=service,
            defaults={
                "info_request_expiry": info_request_expiry,
                "info_request_days": info_request_days,
                "late_notice_interval_days": late_notice_interval_days,
            },
        )
        audit_record(
            actor=actor,
            action="service.casework_settings_changed",
            object_type="service",
            object_id=service.pk,
            data={
                "info_request_expiry": info_request_expiry,
                "info_request_days": info_request_days,
                "late_notice_interval_days": late_notice_interval_days,
            },
        )
    return settings


def casework_settings_for_staff(*, user: Any, service_slug: str) -> CaseworkSettings:
    from borikan.catalog.selectors import service_get

    service = service_get(slug=service_slug)
    if not staff_roles(user=user, agency_id=service.agency_id):
        raise NotFound("service", "บริการ")
    require_staff(user, service=service)
    return settings_for(service)


# --- telling the applicant about the request ---------------------------------------------------------------------


def _outbox(
    channel: str,
    to: str,
    subject: str,
    body: str,
    *,
    reference: str,
    key: str | None = None,
    user_id: int | None = None,
    agency_id: int | None = None,
    case_ref: str = "",
) -> str:
    """Write one notification into the delivery outbox, in the caller's transaction; its message ID."""
    from borikan.delivery.services import notification_enqueue

    delivery = notification_enqueue(
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        reference=reference,
        idempotency_key=key,
        user_id=user_id,
        agency_id=agency_id,
        case_ref=case_ref,
    )
    return delivery.email_message_id if channel == "email" else delivery.idempotency_key


def _tell_applicant(app: Case, message: Message, *, key: str) -> tuple[str, str] | None:
    """E-mail the address on the form or the account's; without one, an SMS to the proven mobile number. Goes
    through the outbox in the caller's transaction (sent after commit, retried). None, audited, when the address
    is refused: the change that asked for the message still stands."""
    # Through the field policies, as every read of the case (purpose "notice").
    to = caseflow.visible_form_data(None, app, "notice").get("email") or app.applicant.email
    channel, to, subject = ("email", to, message.subject) if to else ("sms", app.applicant.mobile or "", "")
    try:
        message_id = _outbox(
            channel,
            to,
            subject,
            message.body if channel == "email" else message.sms,
            reference=app.tracking_number or "",
            key=key,
            user_id=app.applicant_id,
            agency_id=app.agency_id,
            case_ref=app.case_ref,
        )
    except ValidationFailed as error:
        _audit(None, app, "notice_undeliverable", {"code": error.code, "channel": channel, "key": key})
        return None
    return channel, message_id


def information_request_expired_notify(*, request: InformationRequest, app: Case) -> None:
    """Tell the applicant their case ended because the request was not answered in time (with the change)."""
    rejected = app.status == Status.REJECTED
    message = render_message(
        "casework/messages/information_request_lapsed",
        {
            "name": app.applicant.full_name,
            "tracking": app.tracking_number,
            "service_th": app.service.name_th,
            "service_en": app.service.name_en,
            "outcome_th": "ไม่ได้รับอนุมัติ" if rejected else "ถูกส่งคืน (ถือว่าถอนคำขอ)",
            "outcome_en": "rejected" if rejected else "returned to you (closed as withdrawn)",
            "deadline_th": thai_date(request.deadline),
            "deadline_iso": request.deadline.isoformat(),
            "case_url": citizen_case_url(app.pk),
        },
    )
    sent = _tell_applicant(app, message, key=f"inforeq-lapsed-{request.pk}")
    if sent is not None:
        _audit(None, app, "information_request_expired_notified", {"channel": sent[0], "message_id": sent[1]})


def information_request_notify(*, request: InformationRequest, app: Case) -> None:
    """Tell the applicant (e-mail, or SMS) what to correct, by when, and what happens otherwise; written to the
    outbox with the request, so a request that rolls back tells nobody."""
    labels = target_labels(app)
    outcome = settings_for(app.service).info_request_expiry
    lines_th, lines_en = [], []
    for d in (defect_view(d, labels) for d in request.defects.all()):
        note = f" — {d['note']}" if d["note"] else ""
        lines_th.append(f"- {d['label_th']}: {d['reason_th']}{note}")
        lines_en.append(f"- {d['label_en']}: {d['reason_en']}{note}")
    if not lines_th:
        lines_th, lines_en = [f"- {request.message}"], [f"- {request.message}"]
    rejects = outcome == ExpiryOutcome.REJECT
    message = render_message(
        "casework/messages/information_request",
        {
            "name": app.applicant.full_name,
            "tracking": app.tracking_number,
            "agency_th": app.agency.name_th,
            "agency_en": app.agency.name_en,
            "lines_th": lines_th,
            "lines_en": lines_en,
            "deadline_th": thai_date(request.deadline),
            "deadline_iso": request.deadline.isoformat(),
            "otherwise_th": "คำขอจะไม่ได้รับอนุมัติ" if rejects else "คำขอจะถูกส่งคืน (ถือว่าถอนคำขอ)",
            "otherwise_en": "the application will be rejected" if rejects else "it will be returned",
            "case_url": citizen_case_url(app.pk),
        },
    )
    sent = _tell_applicant(app, message, key=f"inforeq-{request.pk}")
    if sent is not None:
        _audit(None, app, "information_request_notified", {"request_id": request.pk, "channel": sent[0],
                                                            "message_id": sent[1]})  # fmt: skip
