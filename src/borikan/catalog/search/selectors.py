"""Reads: search the published catalogue; list the synonym dictionary."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
from django.db.models import QuerySet

from borikan.core.errors import PermissionDenied, ValidationFailed

from ..models import SearchSynonym, Service
from .analysis import normalise
from .engine import (
    HIT_RATIO,
    Highlight,
    SearchOptions,
    facet_counts,
    highlights_for,
    matched_terms,
    plan_query,
    ranked,
    score,
    suggest_phrases,
)
from .index import FACETS, FacetCount
from .state import current_state

MAX_QUERY_CHARS = 200
MAX_FILTER_CHARS = 60
MAX_LIMIT = 100
# What a list of hits never shows; loading the application form of twenty services per query is most of the time.
HIT_DEFERRED_FIELDS = ("form_schema", "steps", "personal_data_fields", "risk_notes", "legal_basis_th")


@dataclass(frozen=True, slots=True)
class SearchFilters:
    category: str = ""
    agency: str = ""
    life_event: str = ""
    transaction_type: str = ""
    channel: str = ""
    fee: str = ""  # "free" or "paid"

    def active(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FACETS if getattr(self, name)}


@dataclass(slots=True)
class SearchHit:
    service: Service
    score: float
    highlights: list[Highlight]
    reasons: list[str]


@dataclass(slots=True)
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]
    suggestions: list[str] = field(default_factory=list)
    interpretations: list[str] = field(default_factory=list)


def clean_query(query: str) -> str:
    """Refuse what cannot be a search (too long); drop what cannot be text (control characters, NUL)."""
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationFailed(
            "query_too_long",
            f"คำค้นยาวเกินไป (ไม่เกิน {MAX_QUERY_CHARS} ตัวอักษร)",
            f"The search text is too long (at most {MAX_QUERY_CHARS} characters)",
            field="q",
        )
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" or ch == "\ufffd" else ch for ch in query)
    return " ".join(kept.split())


def _check_filters(filters: SearchFilters) -> None:
    for name, value in filters.active().items():
        if len(value) > MAX_FILTER_CHARS or any(unicodedata.category(ch)[0] == "C" for ch in value):
            raise ValidationFailed("filter_invalid", "ตัวกรองไม่ถูกต้อง", f"The filter '{name}' is not valid", field=name)
    if filters.fee and filters.fee not in ("free", "paid"):
        raise ValidationFailed(
            "filter_invalid", "ตัวกรองค่าธรรมเนียมต้องเป็น free หรือ paid", "fee must be 'free' or 'paid'", field="fee"
        )


def service_search(
    *,
    query: str = "",
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
    options: SearchOptions | None = None,
) -> SearchResult:
    """Ranked search of the published catalogue: the API, the search page and the service list all call this.

    An empty query lists every service that passes the filters, by Thai name.
    """
    filters = filters or SearchFilters()
    options = options or SearchOptions()
    raw = query
    query = clean_query(query)
    _check_filters(filters)
    if raw.strip() and not query:  # only control characters or binary junk: nothing to look for
        return SearchResult(query="", total=0, hits=[], facets={name: [] for name in FACETS})
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    state = current_state()
    index = state.index
    filter_masks = {name: index.facets[name].mask(value) for name, value in filters.active().items()}
    everything = np.ones(index.size, dtype=bool)
    allowed = everything.copy()
    for mask in filter_masks.values():
        allowed &= mask
    plan = None
    if query:
        plan = plan_query(index, state.synonyms, query, options)
        scores = score(index, [(c.term, c.weight) for c in plan.clauses.values()])
        best = float(scores.max()) if index.size else 0.0
        matching = (scores > 0) & (scores >= HIT_RATIO * best) if best > 0 else np.zeros(index.size, dtype=bool)
        order = ranked(scores, matching & allowed)
    else:
        scores = np.zeros(index.size, dtype=np.float32)
        matching = everything
        order = index.browse_order[allowed[index.browse_order]]
    page = order[offset : offset + limit]
    services = (
        Service.objects.select_related("agency").defer(*HIT_DEFERRED_FIELDS).in_bulk([int(index.pks[d]) for d in page])
    )
    hits: list[SearchHit] = []
    terms = list(plan.clauses) if plan else []
    for d in page:
        service = services.get(int(index.pks[d]))
        if service is None:  # withdrawn between the revision check and now
            continue
        found = matched_terms(index, int(d), terms) if plan else []
        reasons = sorted({plan.clauses[t].reason for t in found if plan.clauses[t].reason}) if plan else []
        hits.append(SearchHit(service, round(float(scores[d]), 4), highlights_for(service, set(found)), reasons))
    result = SearchResult(
        query=query,
        total=len(order),
        hits=hits,
        facets=facet_counts(index, matching, filter_masks),
        interpretations=plan.interpretations if plan else [],
    )
    if query and not len(order):
        result.suggestions = suggest_phrases(index, query)
    return result


def corrected_query(result: SearchResult) -> str:
    """The query as the search read it after correcting spelling or finishing a word, in the searcher's words
    (the synonyms it also looked for are the engine's business); "" when nothing was corrected."""
    words = result.query.split()
    changed = False
    for text in result.interpretations:
        if " → " not in text:
            continue
        typed, meant = text.split(" → ", 1)
        typed = typed.rstrip("…")
        for i, word in enumerate(words):
            if typed and typed in normalise(word) and meant not in normalise(word):
                words[i] = normalise(word).replace(typed, meant, 1)
                changed = True
                break
    return " ".join(words) if changed else ""


def synonym_list(*, actor) -> QuerySet[SearchSynonym]:
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบเท่านั้น", "Only platform operators may do this", code="operator_only")
    return SearchSynonym.objects.order_by("id")
