"""Writes: platform operators keep the synonym dictionary. Each change is audited; the search index of every
web process picks it up on its next query (the revision check in state.py)."""

from __future__ import annotations

import unicodedata

from django.db import transaction

from borikan.audit.services import audit_record
from borikan.core.errors import NotFound, PermissionDenied, ValidationFailed
from borikan.identity.enforcement import require_staff

from ..models import SearchSynonym
from .analysis import normalise

MAX_TERMS = 20
MAX_TERM_CHARS = 100


def _require_operator(actor) -> None:
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบเท่านั้น", "Only platform operators may do this", code="operator_only")
    require_staff(actor)  # operators work at AAL 2 like agency staff


def _clean_terms(terms: list[str]) -> list[str]:
    clean: list[str] = []
    seen: set[str] = set()
    for term in terms:
        text = " ".join(str(term).split())
        if not text:
            continue
        if len(text) > MAX_TERM_CHARS or any(unicodedata.category(ch)[0] == "C" for ch in text):
            raise ValidationFailed(
                "synonym_term_invalid",
                f"คำต้องยาวไม่เกิน {MAX_TERM_CHARS} ตัวอักษรและเป็นข้อความเท่านั้น",
                f"Each term must be text of at most {MAX_TERM_CHARS} characters",
                field="terms",
            )
        key = normalise(text)
        if key not in seen:
            seen.add(key)
            clean.append(text)
    if not 2 <= len(clean) <= MAX_TERMS:
        raise ValidationFailed(
            "synonym_terms_count",
            f"กลุ่มคำพ้องต้องมีคำที่ต่างกัน 2 ถึง {MAX_TERMS} คำ",
            f"A synonym group needs 2 to {MAX_TERMS} different terms",
            field="terms",
        )
    return clean


def synonym_create(*, actor, terms: list[str], note: str = "") -> SearchSynonym:
    _require_operator(actor)
    clean = _clean_terms(terms)
    note = " ".join(note.split())[:300]
    with transaction.atomic():
        synonym = SearchSynonym.objects.create(terms=clean, note=note)
        audit_record(
            actor=actor,
            action="search.synonym_added",
            object_type="search_synonym",
            object_id=synonym.pk,
            data={"terms": clean, "note": note},
        )
    return synonym


def synonym_delete(*, actor, synonym_id: int) -> None:
    _require_operator(actor)
    with transaction.atomic():
        synonym = SearchSynonym.objects.select_for_update().filter(pk=synonym_id).first()
        if synonym is None:
            raise NotFound("synonym", "คำพ้อง")
        terms = synonym.terms
        synonym.delete()
        audit_record(
            actor=actor,
            action="search.synonym_removed",
            object_type="search_synonym",
            object_id=synonym_id,
            data={"terms": terms},
        )
