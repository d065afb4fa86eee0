"""Search quality and speed (issue 3 §1).

Quality: the query set in bench/search_queries.json over the sample catalogue, MRR@10 and recall@3 of the
product's search beside plain BM25 over the same text (whitespace + newmm terms, no synonyms, no typo tolerance,
no field weights, no compound splitting).
Speed: a 10,000-service catalogue (variants of the sample) in a fresh SQLite file and a fresh PostgreSQL
database; index build time and in-process query latency p50/p95 through the same function the API calls
(revision check, ranking, facets, highlights, loading the page of hits), beside plain BM25 over the same index.

`run()` does the set-up and runs each measurement in a subprocess with the database in its environment, the
way bench/run.py starts its server. `python bench/scenario_search.py` prints the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUERIES = ROOT / "bench" / "search_queries.json"
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = "borikan_bench_search"
SERVICES = 10_000


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="borikan.config.settings.local",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        PYTHONPATH=str(ROOT / "src"),
        LOG_LEVEL="ERROR",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([PYTHON, "-m", "django", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def _worker(env: dict[str, str], task: str) -> dict:
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--worker", task], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"search bench worker {task} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres_database() -> str:
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    return PG_BASE.rsplit("/", 1)[0] + f"/{PG_NAME}"


def _drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


# --- inside the worker process (Django set up) -------------------------------------------------------------


def _metrics(rank, queries: list[dict]) -> tuple[float, float, list[list[str]]]:
    reciprocal = recall = 0.0
    rankings = []
    for item in queries:
        top = rank(item["q"])
        rankings.append(top)
        expected = item["expected"]
        first = next((i + 1 for i, slug in enumerate(top[:10]) if slug in expected), None)
        reciprocal += 1 / first if first else 0.0
        recall += len(set(top[:3]) & set(expected)) / min(3, len(expected))
    return reciprocal / len(queries), recall / len(queries), rankings


def work_quality() -> dict:
    from borikan.catalog.search import analysis
    from borikan.catalog.search.engine import SearchOptions, plain_rank, rank_slugs
    from borikan.catalog.search.index import build_index, clear_caches
    from borikan.catalog.search.state import build_state, load_documents

    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    documents = load_documents()
    state = build_state()
    plain = build_index(documents, plain=True)
    full = _metrics(lambda q: rank_slugs(state.index, state.synonyms, q, SearchOptions()), queries)
    floor = _metrics(lambda q: plain_rank(plain, q), queries)
    ablation = {
        "no_synonyms": _metrics(
            lambda q: rank_slugs(state.index, state.synonyms, q, SearchOptions(synonyms=False)), queries
        )[:2],
        "no_typos": _metrics(lambda q: rank_slugs(state.index, state.synonyms, q, SearchOptions(typos=False)), queries)[
            :2
        ],
    }
    engines = {}
    for engine in ("newmm", "mm", "longest"):  # the segmenters PyThaiNLP ships without a model download
        analysis.TOKENIZER_ENGINE = engine
        clear_caches()
        started = time.perf_counter()
        engine_state = build_state()
        seconds = time.perf_counter() - started
        mrr, recall, _ = _metrics(
            lambda q, s=engine_state: rank_slugs(s.index, s.synonyms, q, SearchOptions()), queries
        )
        engines[engine] = {"mrr": round(mrr, 4), "recall3": round(recall, 4), "build_s": round(seconds, 2)}
    analysis.TOKENIZER_ENGINE = "newmm"
    clear_caches()
    by_kind: dict[str, list[float]] = {}
    for item, top in zip(queries, full[2], strict=True):
        first = next((i + 1 for i, slug in enumerate(top[:10]) if slug in item["expected"]), None)
        by_kind.setdefault(item["kind"], []).append(1 / first if first else 0.0)
    return {
        "queries": len(queries),
        "mrr": full[0],
        "recall3": full[1],
        "floor_mrr": floor[0],
        "floor_recall3": floor[1],
        "rankings": full[2],
        "ablation": ablation,
        "engines": engines,
        "mrr_by_kind": {k: round(sum(v) / len(v), 3) for k, v in by_kind.items()},
    }


def _variant_services(count: int) -> list:
    """Variants of the sample: each service again for other provinces, with its own name, text and keywords."""
    from pythainlp.corpus.common import provinces

    from borikan.agencies.models import Agency
    from borikan.catalog.loading import DEFAULT_CATALOGUE, _service_defaults, read_catalogue_file
    from borikan.catalog.models import Service

    data = read_catalogue_file(DEFAULT_CATALOGUE)
    agencies = {a.code: a for a in Agency.objects.all()}
    places = sorted(provinces(details=True), key=lambda p: p["name_th"])
    base = data["services"]
    made = []
    existing = len(base)
    for i in range(count - existing):
        record = base[i % len(base)]
        place = places[(i // len(base)) % len(places)]
        round_ = i // (len(base) * len(places))
        fields = _service_defaults(record, agencies[record["agency_code"]])
        fields["name_th"] = f"{record['name_th']} จังหวัด{place['name_th']}" + (f" ชุด {round_}" if round_ else "")
        fields["name_en"] = f"{record['name_en']}, {place['name_en']} province"
        fields["description_th"] = (
            f"{record['description_th']} ให้บริการที่สำนักงานจังหวัด{place['name_th']} และอำเภอในเขตจังหวัด{place['name_th']}"
        )
        fields["keywords_th"] = [f"{k} {place['name_th']}" for k in record.get("keywords_th", [])[:3]]
        made.append(Service(slug=f"{record['id']}-{place['name_en'].lower().replace(' ', '-')}-{i}"[:100], **fields))
    return made


def work_speed() -> dict:
    import numpy as np
    from django.db import connection

    from borikan.catalog.models import Service
    from borikan.catalog.search.engine import plain_rank
    from borikan.catalog.search.index import build_index
    from borikan.catalog.search.selectors import service_search
    from borikan.catalog.search.state import catalogue_revision, current_state, load_documents

    if Service.objects.count() < SERVICES:
        Service.objects.bulk_create(_variant_services(SERVICES), batch_size=500)
    total = Service.objects.count()
    started = time.perf_counter()
    state = current_state()  # a cold process: loads PyThaiNLP's dictionary and tokenises everything
    build = time.perf_counter() - started
    started = time.perf_counter()
    plain = build_index(load_documents(), plain=True)
    plain_build = time.perf_counter() - started
    queries = [item["q"] for item in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]]
    for q in queries:  # warm-up: the first call of each query fills per-process caches of query analysis
        service_search(query=q)
    latencies, floor, revision = [], [], []
    for _ in range(3):
        for q in queries:
            t = time.perf_counter()
            service_search(query=q)
            latencies.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plain_rank(plain, q)
            floor.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            catalogue_revision()
            revision.append((time.perf_counter() - t) * 1000)
    # an edit in "another process": the next query rebuilds with only the edited text re-tokenised
    service = Service.objects.order_by("slug").first()
    service.keywords_th = [*service.keywords_th, "คำค้นใหม่"]
    service.save()
    t = time.perf_counter()
    service_search(query="คำค้นใหม่")
    rebuild = time.perf_counter() - t
    return {
        "vendor": connection.vendor,
        "services": total,
        "build_s": build,
        "index_s": state.index.build_seconds,
        "plain_build_s": plain_build,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "floor_p50_ms": float(np.percentile(floor, 50)),
        "floor_p95_ms": float(np.percentile(floor, 95)),
        "revision_p50_ms": float(np.percentile(revision, 50)),
        "rebuild_after_edit_s": rebuild,
        "queries": len(latencies),
    }


# --- the scenario -------------------------------------------------------------------------------------------


def _one_database(name: str, url: str) -> tuple[dict, dict]:
    env = _env(url)
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_catalogue")
    quality = _worker(env, "quality")
    speed = _worker(env, "speed")
    return quality, speed


def run() -> list[dict]:
    results: dict[str, tuple[dict, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="borikan-bench-search-") as folder:
        results["sqlite"] = _one_database("sqlite", f"sqlite:///{folder}/bench.sqlite3")
    try:
        results["postgresql"] = _one_database("postgresql", _postgres_database())
    finally:
        _drop_postgres_database()
    quality = results["sqlite"][0]
    same = quality["rankings"] == results["postgresql"][0]["rankings"]
    engines = ", ".join(f"{k} MRR {v['mrr']:.3f} build {v['build_s']}s" for k, v in quality["engines"].items())
    figures = [
        {
            "name": "search_mrr_at_10",
            "value": round(quality["mrr"], 3),
            "unit": "MRR",
            "target": 0.93,
            "better": "higher",
            "floor": round(quality["floor_mrr"], 3),
            "detail": f"{quality['queries']} queries (bench/search_queries.json) over the 102-service sample; "
            f"floor = plain BM25 (whitespace+newmm, no synonyms/typos/field weights); "
            f"by kind {quality['mrr_by_kind']}; "
            f"without synonyms {quality['ablation']['no_synonyms'][0]:.3f}, without typo tolerance "
            f"{quality['ablation']['no_typos'][0]:.3f}; segmenters: {engines}",
        },
        {
            "name": "search_recall_at_3",
            "value": round(quality["recall3"], 3),
            "unit": "recall",
            "target": 0.96,
            "better": "higher",
            "floor": round(quality["floor_recall3"], 3),
            "detail": "share of each query's expected services (at most 3) in the top 3; floor = plain BM25",
        },
        {
            "name": "search_same_results_sqlite_postgresql",
            "value": 1 if same else 0,
            "unit": "bool",
            "target": 1,
            "better": "higher",
            "floor": 0,
            "detail": "the top-10 rankings of every query are identical on SQLite and PostgreSQL",
        },
    ]
    for vendor in ("sqlite", "postgresql"):
        speed = results[vendor][1]
        figures.append(
            {
                "name": f"search_index_build_s_{vendor}",
                "value": round(speed["build_s"], 2),
                "unit": "s",
                "target": 60,
                "better": "lower",
                "floor": round(speed["plain_build_s"], 2),
                "detail": f"{speed['services']} services, cold process (dictionary load, tokenising, BM25F impacts, "
                f"typo tables) incl. reading the database; tokenising+index {speed['index_s']:.2f}s; floor = plain "
                f"BM25 index over the same services; after one edit the next query rebuilt in "
                f"{speed['rebuild_after_edit_s']:.2f}s",
            }
        )
        figures.append(
            {
                "name": f"search_query_p95_ms_{vendor}",
                "value": round(speed["p95_ms"], 2),
                "unit": "ms",
                "target": 15,
                "better": "lower",
                "floor": round(speed["floor_p95_ms"], 2),
                "detail": f"{speed['queries']} queries in-process on {speed['services']} services through "
                f"service_search (revision check {speed['revision_p50_ms']:.2f} ms, ranking, facets, highlights, "
                f"loading 20 hits); p50 {speed['p50_ms']:.2f} ms; floor = plain BM25 ranking alone over the same "
                f"index, p50 {speed['floor_p50_ms']:.2f} ms",
            }
        )
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        import django

        django.setup()
        result = {"quality": work_quality, "speed": work_speed}[sys.argv[2]]()
        print(json.dumps(result, ensure_ascii=False))
    else:
        for figure in run():
            print(json.dumps(figure, ensure_ascii=False))
