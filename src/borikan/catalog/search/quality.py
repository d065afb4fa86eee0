"""Search quality on a query set: MRR@10, hit@3 and recall@3 of a ranking function.

Two query sets: the tuning set (bench/search_queries.json), which the synonyms and weights were tuned on, and the
held-out set (data/queries_heldout.json), written separately and never tuned on, which says how the search does on
words the tuning did not see. The test in tests/test_search_quality.py and bench/scenario_search.py measure both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HELDOUT_QUERIES = Path(__file__).resolve().parent.parent / "data" / "queries_heldout.json"
TUNING_QUERIES = Path(__file__).resolve().parents[4] / "bench" / "search_queries.json"


@dataclass(slots=True)
class Quality:
    queries: int
    mrr: float  # mean reciprocal rank of the first expected service in the top 10
    hit3: float  # share of queries with an expected service in the top 3
    recall3: float  # share of each query's expected services (at most 3) in the top 3
    missed: list[str] = field(default_factory=list)  # queries with no expected service in the top 10
    by_kind: dict[str, float] = field(default_factory=dict)  # MRR per kind of query


def read_queries(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


def measure(rank: Callable[[str], list[str]], queries: list[dict]) -> Quality:
    reciprocal = hits = recall = 0.0
    missed: list[str] = []
    kinds: dict[str, list[float]] = {}
    for item in queries:
        top = rank(item["q"])[:10]
        expected = item["expected"]
        first = next((i + 1 for i, slug in enumerate(top) if slug in expected), None)
        value = 1 / first if first else 0.0
        reciprocal += value
        hits += 1.0 if first and first <= 3 else 0.0
        recall += len(set(top[:3]) & set(expected)) / min(3, len(expected))
        if not first:
            missed.append(item["q"])
        kinds.setdefault(item.get("kind", ""), []).append(value)
    n = len(queries) or 1
    return Quality(
        queries=len(queries),
        mrr=reciprocal / n,
        hit3=hits / n,
        recall3=recall / n,
        missed=missed,
        by_kind={k: round(sum(v) / len(v), 3) for k, v in kinds.items()},
    )
