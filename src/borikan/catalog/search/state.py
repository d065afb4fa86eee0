"""One search index per process, rebuilt when the catalogue or the synonyms change.

Every query first reads the catalogue's revision in one cheap statement: the SearchRevision token, which every
save or delete of a service, agency or synonym replaces in the writer's transaction, and the highest ids
(bulk inserts send no signals). Another web process adding, editing or withdrawing a service changes it, and
this process rebuilds before answering. Rebuilding re-tokenises only texts it has not seen (the analysis is
cached per text), so an edit costs one service's tokenising plus the BM25 arithmetic.

Limit: QuerySet.update() on services sends no signal and is not seen until the next change that does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connections

from borikan.agencies.models import Agency

from ..models import SearchRevision, SearchSynonym, Service
from .engine import SynonymTable
from .index import SearchIndex, build_index, document_from_service


@dataclass(slots=True)
class SearchState:
    index: SearchIndex
    synonyms: SynonymTable


_lock = threading.Lock()
_states: dict[str, SearchState] = {}


def catalogue_revision(using: str = "default") -> tuple:
    """One cheap statement: the revision token and the highest ids (all index lookups, no table scan)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    revision_table = quote(SearchRevision._meta.db_table)
    # Table and column names come from the models; nothing from a request reaches this SQL.
    parts = [f"(SELECT {quote('token')} FROM {revision_table} WHERE {quote('key')} = 'catalogue')"]  # noqa: S608
    for model in (Service, Agency, SearchSynonym):
        parts.append(f"(SELECT MAX({quote('id')}) FROM {quote(model._meta.db_table)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return tuple(str(v) for v in row)


def load_documents(using: str = "default"):
    services = (
        Service.objects.using(using)
        .filter(is_published=True)
        .select_related("agency")
        .only(
            "slug",
            "name_th",
            "name_en",
            "description_th",
            "description_en",
            "keywords_th",
            "required_documents",
            "category",
            "transaction_type",
            "life_events",
            "channels",
            "fee_satang",
            "agency__code",
            "agency__name_th",
            "agency__name_en",
        )
        .order_by("slug")
    )
    return [document_from_service(s) for s in services.iterator(chunk_size=2000)]


def build_state(using: str = "default", revision: tuple = ()) -> SearchState:
    synonyms = SynonymTable.from_rows(
        [row for row in SearchSynonym.objects.using(using).values_list("terms", flat=True) if isinstance(row, list)]
    )
    return SearchState(build_index(load_documents(using), revision=revision), synonyms)


def current_state(using: str = "default") -> SearchState:
    """The index for the catalogue as it is now in the database."""
    revision = catalogue_revision(using)
    state = _states.get(using)
    if state is not None and state.index.revision == revision:
        return state
    with _lock:
        state = _states.get(using)
        if state is None or state.index.revision != revision:
            state = build_state(using, revision)
            _states[using] = state
    return state


def reset() -> None:
    """Forget the built index (tests that rewind the clock or the database)."""
    with _lock:
        _states.clear()
