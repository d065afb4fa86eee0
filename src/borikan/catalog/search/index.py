"""The in-memory search index: BM25F impacts per term, facet columns, and the vocabularies for typo tolerance.

Built from the database in Python so SQLite and PostgreSQL give the same results. Every posting carries its
precomputed BM25F impact (idf × saturated, length-normalised, field-weighted term frequency), so a query is a
weighted sum of a few numpy arrays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .analysis import analyse, char_bigrams, deletes, normalise, plain_terms, thai_sound_key


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    weight: float
    b: float  # length normalisation


# Names and the colloquial keywords say most about what a service is; documents least.
FIELDS = (
    FieldSpec("name", 3.0, 0.5),
    FieldSpec("keywords", 2.0, 0.5),
    FieldSpec("agency", 1.0, 0.3),
    FieldSpec("description", 1.0, 0.75),
    FieldSpec("documents", 0.5, 0.75),
)
PLAIN_FIELDS = (FieldSpec("all", 1.0, 0.75),)
K1 = 1.2

SINGLE_FACETS = ("category", "agency", "transaction_type", "fee")
MULTI_FACETS = ("life_event", "channel")
FACETS = ("category", "agency", "life_event", "transaction_type", "channel", "fee")


@dataclass(slots=True)
class SearchDocument:
    """What the index needs of one published service."""

    pk: int
    slug: str
    sort_key: str
    fields: dict[str, list[str]]
    facets: dict[str, list[str]]


def document_from_service(service) -> SearchDocument:
    agency = service.agency
    documents: list[str] = []
    for doc in service.required_documents or []:
        if isinstance(doc, dict):
            documents.extend(str(doc.get(k) or "") for k in ("name_th", "name_en"))
    return SearchDocument(
        pk=service.pk,
        slug=service.slug,
        sort_key=service.name_th,
        fields={
            "name": [service.name_th, service.name_en],
            "keywords": [str(k) for k in service.keywords_th or []],
            "agency": [agency.name_th, agency.name_en, agency.code],
            "description": [service.description_th, service.description_en],
            "documents": documents,
        },
        facets={
            "category": [service.category],
            "agency": [agency.code],
            "transaction_type": [service.transaction_type],
            "fee": ["paid" if service.fee_satang else "free"],
            "life_event": [str(v) for v in service.life_events or []],
            "channel": [str(v) for v in service.channels or []],
        },
    )


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(slots=True)
class FacetColumn:
    values: list[str]
    codes: np.ndarray | None = None  # single-valued: value index per document
    matrix: np.ndarray | None = None  # multi-valued: documents × values, bool

    def mask(self, value: str) -> np.ndarray:
        n = len(self.codes) if self.codes is not None else self.matrix.shape[0]
        if value not in self.values:
            return np.zeros(n, dtype=bool)
        i = self.values.index(value)
        return self.codes == i if self.codes is not None else self.matrix[:, i]

    def counts(self, mask: np.ndarray) -> list[FacetCount]:
        if self.codes is not None:
            counted = np.bincount(self.codes[mask], minlength=len(self.values))
        else:
            counted = self.matrix[mask].sum(axis=0)
        pairs = [FacetCount(v, int(c)) for v, c in zip(self.values, counted, strict=True) if c]
        return sorted(pairs, key=lambda p: (-p.count, p.value))


@dataclass(slots=True)
class SearchIndex:
    revision: tuple
    plain: bool
    pks: np.ndarray
    slugs: list[str]
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    facets: dict[str, FacetColumn]
    browse_order: np.ndarray
    # typo tolerance
    deletes: dict[str, list[str]] = field(default_factory=dict)
    sounds: dict[str, list[str]] = field(default_factory=dict)
    sorted_terms: list[str] = field(default_factory=list)
    # suggestions
    phrase_sources: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    phrase_bigrams: dict[str, np.ndarray] = field(default_factory=dict)
    phrase_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    build_seconds: float = 0.0

    @property
    def size(self) -> int:
        return len(self.slugs)

    def has_term(self, term: str) -> bool:
        return term in self.postings

    def df(self, term: str) -> int:
        posting = self.postings.get(term)
        return 0 if posting is None else len(posting[0])


# Term ids shared by every index this process builds (they only grow), and each distinct text's terms as arrays
# of ids and weights: services share agency names, document names and most of their words.
_term_ids: dict[str, int] = {}
_term_names: list[str] = []


def _term_id(term: str) -> int:
    found = _term_ids.get(term)
    if found is None:
        found = _term_ids[term] = len(_term_names)
        _term_names.append(term)
    return found


@lru_cache(maxsize=400_000)
def _text_terms(text: str, plain: bool) -> tuple[np.ndarray, np.ndarray]:
    terms = [(t, 1.0) for t in plain_terms(text)] if plain else analyse(text)
    ids = np.fromiter((_term_id(t) for t, _ in terms), dtype=np.int64, count=len(terms))
    weights = np.fromiter((w for _, w in terms), dtype=np.float64, count=len(terms))
    return ids, weights


def clear_caches() -> None:
    """Forget cached analyses (the benchmark switches the Thai segmenter)."""
    _text_terms.cache_clear()
    analyse.cache_clear()


def build_index(documents: Iterable[SearchDocument], *, revision: tuple = (), plain: bool = False) -> SearchIndex:
    import time

    started = time.perf_counter()
    specs = PLAIN_FIELDS if plain else FIELDS
    docs = list(documents)
    n = len(docs)
    width = len(specs)
    id_chunks: list[np.ndarray] = []
    weight_chunks: list[np.ndarray] = []
    slot_chunks: list[np.ndarray] = []  # document × field
    for d, doc in enumerate(docs):
        for f, spec in enumerate(specs):
            texts = [t for name in doc.fields for t in doc.fields[name]] if plain else doc.fields.get(spec.name, [])
            slot = d * width + f
            for text in texts:
                if not text:
                    continue
                ids, weights = _text_terms(text, plain)
                if len(ids):
                    id_chunks.append(ids)
                    weight_chunks.append(weights)
                    slot_chunks.append(np.full(len(ids), slot, dtype=np.int64))
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if id_chunks:
        term_ids = np.concatenate(id_chunks)
        weights = np.concatenate(weight_chunks)
        slots = np.concatenate(slot_chunks)
        lengths = np.bincount(slots, weights=weights, minlength=n * width).reshape(n, width)
        average = np.maximum(lengths.mean(axis=0), 1e-9)
        field_weight = np.array([spec.weight for spec in specs])
        field_b = np.array([spec.b for spec in specs])
        # BM25F: one saturation over the weighted, length-normalised frequencies of all fields.
        norm = (field_weight / (1 - field_b + field_b * lengths / average)).ravel()
        contributions = weights * norm[slots]
        keys = term_ids * max(n, 1) + slots // width
        unique, inverse = np.unique(keys, return_inverse=True)
        frequency = np.bincount(inverse, weights=contributions)
        terms_of = unique // max(n, 1)
        docs_of = (unique % max(n, 1)).astype(np.int32)
        starts = np.concatenate(([0], np.flatnonzero(np.diff(terms_of)) + 1))
        counts = np.diff(np.concatenate((starts, [len(unique)])))
        df = np.repeat(counts, counts)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        impacts = (idf * frequency * (K1 + 1) / (K1 + frequency)).astype(np.float32)
        for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
            postings[_term_names[int(terms_of[start])]] = (
                docs_of[start : start + count],
                impacts[start : start + count],
            )
    facets: dict[str, FacetColumn] = {}
    for name in FACETS:
        values = sorted({v for doc in docs for v in doc.facets.get(name, [])})
        position = {v: i for i, v in enumerate(values)}
        if name in SINGLE_FACETS:
            codes = np.fromiter((position[doc.facets[name][0]] for doc in docs), dtype=np.int32, count=n)
            facets[name] = FacetColumn(values, codes=codes)
        else:
            matrix = np.zeros((n, len(values)), dtype=bool)
            for d, doc in enumerate(docs):
                for v in doc.facets.get(name, []):
                    matrix[d, position[v]] = True
            facets[name] = FacetColumn(values, matrix=matrix)
    index = SearchIndex(
        revision=revision,
        plain=plain,
        pks=np.array([doc.pk for doc in docs], dtype=np.int64),
        slugs=[doc.slug for doc in docs],
        postings=postings,
        facets=facets,
        browse_order=np.array(sorted(range(n), key=lambda d: (docs[d].sort_key, docs[d].slug)), dtype=np.int32),
    )
    if not plain:
        _build_typo_tables(index)
        _build_phrases(index, docs)
    index.build_seconds = time.perf_counter() - started
    return index


def typo_distance(term: str) -> int:
    """How many edits a word of this length may carry and still be recognised."""
    if len(term) < 4:
        return 0
    return 1 if len(term) < 7 else 2


def _build_typo_tables(index: SearchIndex) -> None:
    table: dict[str, list[str]] = defaultdict(list)
    sounds: dict[str, list[str]] = defaultdict(list)
    for term in index.postings:
        if term.isdigit() or len(term) < 3 or " " in term:
            continue
        for key in deletes(term, max(1, typo_distance(term))):
            table[key].append(term)
        if len(term) >= 3 and "\u0e01" <= term[0] <= "\u0e4e":
            sounds[thai_sound_key(term)].append(term)
    index.sorted_terms = sorted(t for t in index.postings if " " not in t)
    index.deletes = dict(table)
    index.sounds = dict(sounds)


def _build_phrases(index: SearchIndex, docs: list[SearchDocument]) -> None:
    """Keep the phrases offered as suggestions when nothing matches (service names and colloquial keywords);
    their bigram table is made on the first query that needs it."""
    index.phrase_sources = [t for doc in docs for t in (*doc.fields.get("keywords", []), *doc.fields.get("name", []))]


def phrase_table(index: SearchIndex) -> tuple[list[str], dict[str, np.ndarray], np.ndarray]:
    if index.phrases or not index.phrase_sources:
        return index.phrases, index.phrase_bigrams, index.phrase_sizes
    seen: dict[str, str] = {}
    for text in index.phrase_sources:
        key = normalise(text).strip()
        if key and key not in seen:
            seen[key] = text.strip()
    bigrams: dict[str, list[int]] = defaultdict(list)
    sizes = []
    for i, key in enumerate(seen):
        grams = char_bigrams(key)
        sizes.append(len(grams))
        for gram in grams:
            bigrams[gram].append(i)
    index.phrase_bigrams = {gram: np.array(ids, dtype=np.int32) for gram, ids in bigrams.items()}
    index.phrase_sizes = np.array(sizes, dtype=np.float64)
    index.phrases = list(seen.values())
    return index.phrases, index.phrase_bigrams, index.phrase_sizes
