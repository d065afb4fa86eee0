"""Who a person is proven to be, and the form answers that must agree with it (identity binding).

A form that asks for the applicant's citizen ID, name or birth date asks for facts the proofing already
settled: the answers are prefilled from the proven identity, and a submission whose answers name someone else is
refused. The licence names the proven person, never what was typed (applications.lifecycle.holder_name).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from borikan.core.errors import ValidationFailed

from .selectors import SELF_ASSERTED_IAL, proofing_records_valid


@dataclass(frozen=True)
class ProvenIdentity:
    citizen_id: str
    name_th: str
    name_en: str
    birth_date: dt.date | None
    ial: Decimal
    method: str
    verified_at: dt.datetime


def proven_identity(user: Any) -> ProvenIdentity | None:
    """The best valid proofing above self-assertion, with the names its evidence gave (the newest record that
    named the person supplies the name); None when nothing is proven."""
    if user is None or not getattr(user, "pk", None):
        return None
    records = list(proofing_records_valid(user=user).filter(ial__gt=SELF_ASSERTED_IAL).order_by("-ial", "-verified_at"))
    if not records:
        return None
    best = records[0]
    named = max((r for r in records if r.name_th or r.name_en), key=lambda r: r.verified_at, default=None)
    dated = max((r for r in records if r.birth_date), key=lambda r: r.verified_at, default=None)
    return ProvenIdentity(
        citizen_id=getattr(user, "citizen_id", "") or "",
        name_th=named.name_th if named else "",
        name_en=named.name_en if named else "",
        birth_date=dated.birth_date if dated else None,
        ial=Decimal(best.ial).quantize(Decimal("0.1")),
        method=best.method,
        verified_at=best.verified_at,
    )


BOUND_KEYS = ("citizen_id", "name_th", "name_en", "birth_date")


def bound_key(name: str, prop: dict[str, Any]) -> str:
    """Which proven fact a top-level form field asks for ("" when none): its `x-bound` marker (one of
    BOUND_KEYS), else by format for citizen IDs, else by the conventional names the default forms use."""
    if prop.get("x-bound") in BOUND_KEYS:  # an agency's own field, marked in its form definition
        return str(prop["x-bound"])
    if prop.get("format") == "thai-citizen-id" or prop.get("x-kind") == "citizen_id" or name == "citizen_id":
        return "citizen_id"
    if name in ("full_name", "full_name_th", "name_th"):
        return "name_th"
    if name in ("full_name_en", "name_en"):
        return "name_en"
    if name in ("birth_date", "date_of_birth"):
        return "birth_date"
    return ""


def bound_values(identity: ProvenIdentity | None) -> dict[str, str]:
    if identity is None:
        return {}
    values = {
        "citizen_id": identity.citizen_id,
        "name_th": identity.name_th,
        "name_en": identity.name_en,
        "birth_date": identity.birth_date.isoformat() if identity.birth_date else "",
    }
    return {key: value for key, value in values.items() if value}


def _same(key: str, typed: Any, proven: str) -> bool:
    if not isinstance(typed, str):
        return False
    if key == "citizen_id":
        return typed.replace("-", "").replace(" ", "") == proven
    if key == "birth_date":
        return typed.strip() == proven
    normal = lambda text: " ".join(unicodedata.normalize("NFC", text).split()).casefold()  # noqa: E731
    return normal(typed) == normal(proven)


def identity_mismatches(
    schema: dict[str, Any], form_data: dict[str, Any], user: Any, *, identity: ProvenIdentity | None = None
) -> list[str]:
    """The form fields whose answers differ from what is proven about `user` (empty answers are the form
    check's business). `identity`: the user's proven identity when the caller has read it already."""
    values = bound_values(identity if identity is not None else proven_identity(user))
    mismatched = []
    for name, prop in (schema.get("properties") or {}).items():
        key = bound_key(name, prop if isinstance(prop, dict) else {})
        typed = form_data.get(name)
        if key in values and typed not in (None, "") and not _same(key, typed, values[key]):
            mismatched.append(name)
    return mismatched


def require_identity_agrees(schema: dict[str, Any], form_data: dict[str, Any], user: Any) -> None:
    mismatched = identity_mismatches(schema, form_data, user)
    if mismatched:
        raise ValidationFailed(
            "identity_mismatch",
            "ข้อมูลผู้ยื่นคำขอในแบบฟอร์มไม่ตรงกับตัวตนที่พิสูจน์แล้ว (ยื่นคำขอแทนผู้อื่นไม่ได้)",
            "The applicant's details in the form differ from the proven identity (you cannot apply as someone else)",
            field=mismatched[0],
            status=422,
            details={"fields": mismatched},
        )


def prefill_values(schema: dict[str, Any], user: Any) -> dict[str, str]:
    """The proven answers for the form's bound fields, by field name."""
    values = bound_values(proven_identity(user))
    offered = {}
    for name, prop in (schema.get("properties") or {}).items():
        key = bound_key(name, prop if isinstance(prop, dict) else {})
        if key in values:
            offered[name] = values[key]
    return offered


def holder_name(user: Any) -> str:
    """The name a document may print for `user`: the proven Thai name, else (nothing proven names them) the
    account's."""
    identity = proven_identity(user)
    return (identity.name_th if identity and identity.name_th else "") or getattr(user, "full_name", "")
