"""Query processing over the index: synonyms, typo tolerance, BM25F scoring, facets, highlights, suggestions."""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from .analysis import (
    STOPWORDS,
    analyse,
    char_bigrams,
    damerau_levenshtein,
    deletes,
    normalise,
    normalise_with_offsets,
    plain_terms,
    sound_form,
    thai_dictionary,
    thai_sound_key,
    tokenise,
)
from .index import FACETS, SearchIndex, phrase_table, typo_distance

MAX_CLAUSES = 48
# A hit scores at least this share of the best score: the long tail that only shares a common word is noise.
HIT_RATIO = 0.25
SYNONYM_WEIGHT = 0.9
PREFIX_WEIGHT = 0.6
PIECE_WEIGHT = 0.3
TYPO_WEIGHT = {0: 0.9, 1: 0.8, 2: 0.6, 3: 0.5}


@dataclass(frozen=True, slots=True)
class SearchOptions:
    synonyms: bool = True
    typos: bool = True


@dataclass(slots=True)
class Clause:
    term: str
    weight: float
    reason: str = ""  # why this term is searched for when the query does not contain it


@dataclass(slots=True)
class SynonymGroup:
    terms: list[str]
    keys: list[str]  # normalised, without spaces
    spaced: list[str]  # normalised


@dataclass(slots=True)
class SynonymTable:
    groups: list[SynonymGroup] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: list[list[str]]) -> SynonymTable:
        groups = []
        for terms in rows:
            clean = [str(t).strip() for t in terms if str(t).strip()]
            if len(clean) >= 2:
                spaced = [normalise(t).strip() for t in clean]
                groups.append(SynonymGroup(clean, [_compact(t) for t in spaced], spaced))
        return cls(groups)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


_LATIN_ONLY = re.compile(r"^[a-z0-9\s\-']+$")


def _phrase_in(key: str, raw_key: str, compact_query: str, spaced_query: str) -> bool:
    if _LATIN_ONLY.match(raw_key):
        return re.search(rf"(?<![a-z0-9]){re.escape(raw_key)}(?![a-z0-9])", spaced_query) is not None
    return key in compact_query


@dataclass(slots=True)
class QueryPlan:
    clauses: dict[str, Clause]
    interpretations: list[str]  # human-readable: "พาสปอร์ต = หนังสือเดินทาง", "pasport → passport"

    def add(self, term: str, weight: float, reason: str = "") -> None:
        if term in STOPWORDS or not term:
            return
        current = self.clauses.get(term)
        if current is None or weight > current.weight:
            self.clauses[term] = Clause(term, weight, reason if current is None or reason else current.reason)


def _expand_synonyms(plan: QueryPlan, synonyms: SynonymTable, normalised: str, weight: float = 1.0) -> None:
    compact = _compact(normalised)
    for group in synonyms.groups:
        matched = [
            (term, key)
            for term, key, spaced in zip(group.terms, group.keys, group.spaced, strict=True)
            if key and _phrase_in(key, spaced, compact, normalised)
        ]
        if not matched:
            continue
        source = max(matched, key=lambda m: len(m[1]))[0]
        for term, key in zip(group.terms, group.keys, strict=True):
            if key in {m[1] for m in matched}:
                continue
            reason = f"{source} = {term}"
            for part, part_weight in analyse(term):
                plan.add(part, weight * SYNONYM_WEIGHT * part_weight, reason)
            if reason not in plan.interpretations:
                plan.interpretations.append(reason)


def _best_corrections(
    index: SearchIndex, word: str, *, sound: bool, exclude: tuple[str, ...] = ()
) -> list[tuple[str, int]]:
    """Index terms close to a word not in the index: within the edit budget, or sounding the same (Thai).

    A real Thai word that the catalogue does not use (ห้องสมุด) is only taken for a misspelling of one that
    sounds the same; otherwise it would be "corrected" into an unrelated word (ห้องชุด).
    """
    budget = typo_distance(word)
    real_word = sound and word in thai_dictionary()
    if real_word:
        budget = 0
    found: dict[str, int] = {}
    if budget:
        for key in deletes(word, budget):
            for term in index.deletes.get(key, ()):
                if term not in found:
                    distance = damerau_levenshtein(word, term, budget)
                    if distance <= budget:
                        found[term] = distance
    if sound and len(word) >= 3:
        limit = 0 if real_word else max(1, min(3, len(word) // 3))
        spoken = sound_form(word, keep_tones=real_word)
        for term in index.sounds.get(thai_sound_key(word), ()):
            if term not in found:
                distance = damerau_levenshtein(spoken, sound_form(term, keep_tones=real_word), limit)
                if distance <= limit:
                    found[term] = distance
    for term in exclude:
        found.pop(term, None)
    ranked = sorted(found.items(), key=lambda item: (item[1], -index.df(item[0]), item[0]))
    return [item for item in ranked[:2] if item[1] == ranked[0][1]]  # only the closest


def _add_typo_corrections(plan: QueryPlan, index: SearchIndex, synonyms: SynonymTable, tokens, options) -> None:
    # English words (and numbers) one at a time.
    for token in tokens:
        if token.thai or token.text in STOPWORDS or index.has_term(token.text) or len(token.text) < 4:
            continue
        for term, distance in _best_corrections(index, token.text, sound=False):
            plan.add(term, TYPO_WEIGHT[distance], f"{token.text} → {term}")
            plan.interpretations.append(f"{token.text} → {term}")
            if options.synonyms:
                _expand_synonyms(plan, synonyms, term, TYPO_WEIGHT[distance])
    # A misspelt Thai word comes out of the segmenter in pieces (พาสปอด → พาส, ปอด): rejoin up to three adjacent
    # pieces around one the index does not know and look the whole up.
    thai = [t for t in tokens if t.thai]
    seen: set[str] = set()
    for size in (3, 2, 1):
        for i in range(len(thai) - size + 1):
            window = thai[i : i + size]
            if any(window[j].end != window[j + 1].start for j in range(size - 1)):
                continue
            if all(index.has_term(t.text) for t in window):
                continue
            word = "".join(t.text for t in window)
            if word in seen or len(word) < 3:
                continue
            seen.add(word)
            if index.has_term(word):
                plan.add(word, 0.9)
                _demote_pieces(plan, window)
                continue
            corrections = _best_corrections(index, word, sound=True, exclude=tuple(t.text for t in window))[:1]
            for term, distance in corrections:
                weight = TYPO_WEIGHT[min(distance, 3)]
                plan.add(term, weight, f"{word} → {term}")
                plan.interpretations.append(f"{word} → {term}")
                if options.synonyms:
                    _expand_synonyms(plan, synonyms, term, weight)
            if not corrections:  # perhaps a word not finished yet: พาสปอ → พาสปอร์ต
                completions = _completions(index, word)
                for term in completions:
                    plan.add(term, PREFIX_WEIGHT, f"{word}… → {term}")
                    plan.interpretations.append(f"{word}… → {term}")
                if not completions:
                    continue
            _demote_pieces(plan, window)


def _demote_pieces(plan: QueryPlan, window) -> None:
    """The segmenter's pieces of a misspelt or unfinished word are not words the searcher meant."""
    if len(window) < 2:
        return
    pieces = [t.text for t in window]
    keys = [*pieces, *(f"{a} {b}" for a, b in itertools.pairwise(pieces))]
    for key in keys:
        clause = plan.clauses.get(key)
        if clause is not None and not clause.reason:
            clause.weight = min(clause.weight, PIECE_WEIGHT)


def _completions(index: SearchIndex, prefix: str, limit: int = 3) -> list[str]:
    if len(prefix) < 3:
        return []
    terms = index.sorted_terms
    found: list[str] = []
    at = bisect.bisect_left(terms, prefix)
    while at < len(terms) and terms[at].startswith(prefix) and len(found) < 50:
        if terms[at] != prefix:
            found.append(terms[at])
        at += 1
    return sorted(found, key=lambda t: (-index.df(t), t))[:limit]


def plan_query(index: SearchIndex, synonyms: SynonymTable, query: str, options: SearchOptions) -> QueryPlan:
    normalised = normalise(query)
    plan = QueryPlan({}, [])
    tokens = tokenise(normalised)
    for term, weight in analyse(query):
        plan.add(term, weight)
    if not plan.clauses:  # a query of nothing but stopwords still means something
        for token in tokens:
            plan.clauses.setdefault(token.text, Clause(token.text, 1.0))
    if options.synonyms:
        _expand_synonyms(plan, synonyms, normalised)
    if options.typos:
        _add_typo_corrections(plan, index, synonyms, tokens, options)
    if len(plan.clauses) > MAX_CLAUSES:
        kept = sorted(plan.clauses.values(), key=lambda c: -c.weight)[:MAX_CLAUSES]
        plan.clauses = {c.term: c for c in kept}
    return plan


def score(index: SearchIndex, clauses: list[tuple[str, float]]) -> np.ndarray:
    scores = np.zeros(index.size, dtype=np.float32)
    for term, weight in clauses:
        posting = index.postings.get(term)
        if posting is not None:
            scores[posting[0]] += np.float32(weight) * posting[1]
    return scores


def ranked(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Documents with a positive score that pass the mask, best first; ties in index (slug) order."""
    candidates = np.flatnonzero(mask & (scores > 0))
    if not len(candidates):
        return candidates
    order = np.argsort(-scores[candidates], kind="stable")
    return candidates[order]


def plain_rank(index: SearchIndex, query: str, limit: int = 10) -> list[str]:
    """The floor: BM25 over the same text, whitespace + newmm terms, no synonyms, typos or field weights."""
    clauses: dict[str, float] = {}
    for term in plain_terms(query):
        clauses[term] = 1.0
    scores = score(index, list(clauses.items()))
    order = ranked(scores, np.ones(index.size, dtype=bool))[:limit]
    return [index.slugs[d] for d in order]


def facet_counts(index: SearchIndex, base: np.ndarray, filter_masks: dict[str, np.ndarray]) -> dict:
    """Counts per facet value over the hits, each facet ignoring its own filter (so the other values show)."""
    result = {}
    for name in FACETS:
        mask = base.copy()
        for other, other_mask in filter_masks.items():
            if other != name:
                mask &= other_mask
        result[name] = index.facets[name].counts(mask)
    return result


def suggest_phrases(index: SearchIndex, query: str, limit: int = 5) -> list[str]:
    """Phrases from the catalogue that look most like the query (character bigrams, Dice coefficient)."""
    phrases, bigrams, sizes = phrase_table(index)
    grams = char_bigrams(normalise(query))
    lists = [bigrams[g] for g in grams if g in bigrams]
    if not lists or not phrases:
        return []
    shared = np.bincount(np.concatenate(lists), minlength=len(phrases))
    dice = 2 * shared / (len(grams) + sizes)
    order = np.argsort(-dice, kind="stable")[:limit]
    return [phrases[i] for i in order if dice[i] >= 0.3]


# --- highlights ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Highlight:
    field: str
    text: str
    spans: list[tuple[int, int]]

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """(text, marked) pieces, for templates that must escape the text themselves."""
        pieces: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.spans:
            if start > at:
                pieces.append((self.text[at:start], False))
            pieces.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            pieces.append((self.text[at:], False))
        return pieces


SNIPPET_CHARS = 140


def _spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    normalised, where = normalise_with_offsets(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        same_kind = str.isdigit if term.isdigit() else (lambda ch: ch.isascii() and ch.isalpha())
        for match in re.finditer(re.escape(term), normalised):
            start, end = match.start(), match.end()
            if term.isascii():
                if start and same_kind(normalised[start - 1]):
                    continue
                while end < len(normalised) and same_kind(normalised[end]):  # stems: mark the whole word
                    end += 1
            found.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(where[start], where[end - 1] + 1) for start, end in merged]


def highlight_field(name: str, text: str, terms: set[str]) -> Highlight | None:
    if not text:
        return None
    field_terms = {t for t, _ in analyse(text)} & terms
    if not field_terms:
        return None
    spans = _spans(text, field_terms)
    if not spans:
        return None
    if len(text) > SNIPPET_CHARS:
        first = spans[0][0]
        start = max(0, first - SNIPPET_CHARS // 3)
        end = min(len(text), start + SNIPPET_CHARS)
        prefix = "…" if start else ""
        suffix = "…" if end < len(text) else ""
        shift = start - len(prefix)
        spans = [(s - shift, e - shift) for s, e in spans if s >= start and e <= end]
        text = prefix + text[start:end] + suffix
    return Highlight(name, text, spans)


def highlights_for(service, terms: set[str], limit: int = 3) -> list[Highlight]:
    candidates = [
        ("name_th", service.name_th),
        ("name_en", service.name_en),
        *(("keywords_th", str(k)) for k in service.keywords_th or []),
        ("description_th", service.description_th),
        ("description_en", service.description_en),
        ("agency", service.agency.name_th),
        ("agency", service.agency.name_en),
        *(
            ("required_documents", str(d.get("name_th") or ""))
            for d in service.required_documents or []
            if isinstance(d, dict)
        ),
    ]
    found: list[Highlight] = []
    fields_used: set[str] = set()
    for name, text in candidates:
        if name in fields_used:
            continue
        highlight = highlight_field(name, text, terms)
        if highlight is not None:
            found.append(highlight)
            fields_used.add(name)
            if len(found) >= limit:
                break
    return found


def matched_terms(index: SearchIndex, doc: int, terms: list[str]) -> list[str]:
    found = []
    for term in terms:
        posting = index.postings.get(term)
        if posting is None:
            continue
        ids = posting[0]
        position = int(np.searchsorted(ids, doc))
        if position < len(ids) and ids[position] == doc:
            found.append(term)
    return found


def rank_slugs(index: SearchIndex, synonyms: SynonymTable, query: str, options: SearchOptions, limit: int = 10):
    """The ranking alone (no database): what the quality benchmark measures."""
    plan = plan_query(index, synonyms, query, options)
    scores = score(index, [(c.term, c.weight) for c in plan.clauses.values()])
    return [index.slugs[d] for d in ranked(scores, np.ones(index.size, dtype=bool))[:limit]]
