"""The officer queue with 1,000,000 cases in PostgreSQL: first page of a filtered queue, p95 against the floor.

The floor is PostgreSQL alone answering the same page (the SQL the queue runs, sent with psycopg, no ORM).
Issue 5 target: p95 ≤ 50 ms for the first page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = int(os.environ.get("BENCH_QUEUE_CASES", "1000000"))
DB = "borikan_bench_queue"
BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

GENERATE = """
INSERT INTO identity_user (password, is_superuser, email, full_name, phone, citizen_id_hash, citizen_id_encrypted,
                           session_epoch, is_active, is_staff, date_joined)
SELECT '!', false, 'applicant' || n || '@bench.invalid', 'ผู้ยื่น ' || n, '', NULL, '', 0, true, false, now()
FROM generate_series(1, 2000) n;
INSERT INTO identity_user (password, is_superuser, email, full_name, phone, citizen_id_hash, citizen_id_encrypted,
                           session_epoch, is_active, is_staff, date_joined)
VALUES ('!', false, 'officer@bench.invalid', 'เจ้าหน้าที่ ทดสอบ', '', NULL, '', 0, true, false, now());
INSERT INTO agencies_staffmembership (created_at, updated_at, user_id, agency_id, role)
SELECT now(), now(), (SELECT id FROM identity_user WHERE email = 'officer@bench.invalid'), id, 'officer'
FROM agencies_agency WHERE code = 'DLT';
WITH services AS (
    SELECT id, agency_id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS total FROM catalog_service
), applicants AS (SELECT min(id) AS first FROM identity_user WHERE email LIKE 'applicant%%'),
statuses AS (
    SELECT ARRAY['submitted','in_review','info_requested','pending_approval','awaiting_payment','approved',
                 'delivered','closed','closed','rejected','withdrawn','delivered']::varchar[] AS s
)
INSERT INTO applications_application (id, created_at, updated_at, service_id, agency_id, applicant_id, status,
                                      tracking_number, form_data, version, submitted_at, due_date, assigned_to_id,
                                      fee_waived, sla_paused_days, delay_reason)
SELECT gen_random_uuid(), ts, ts, sv.id, sv.agency_id, applicants.first + (i %% 2000),
       statuses.s[1 + (i * 7919) %% 12], 'Q' || i, '{}'::jsonb, 1, ts, (ts + ((i %% 30) || ' days')::interval)::date,
       CASE WHEN i %% 3 = 0 THEN (SELECT id FROM identity_user WHERE email = 'officer@bench.invalid') END,
       false, 0, ''
FROM generate_series(1::bigint, %(cases)s) i
CROSS JOIN applicants CROSS JOIN statuses
JOIN services sv ON sv.k = (i * 31) %% sv.total
CROSS JOIN LATERAL (SELECT now() - ((i * 104729) %% 63072000) * interval '1 second' AS ts) t;
ANALYZE;
"""


def _prepare() -> str:
    import psycopg

    with psycopg.connect(BASE, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    url = BASE.rsplit("/", 1)[0] + f"/{DB}"
    env = _env(url)
    for command in (["migrate", "--noinput"], ["load_catalogue"]):
        subprocess.run([sys.executable, "-m", "django", *command], env=env, cwd=ROOT, check=True, capture_output=True)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERATE % {"cases": CASES})
    print(f"   generated {CASES:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "borikan.config.settings.local",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "PYTHONPATH": str(ROOT / "src"),
        "LOG_LEVEL": "ERROR",
    }


def _measure() -> dict:
    """Runs inside a Django process: time the queue's first page for several filters, and the bare SQL."""
    import statistics

    import django

    django.setup()
    from django.db import connection

    from borikan.applications.selectors import application_queue
    from borikan.identity import authn
    from borikan.identity.models import User

    officer = User.objects.get(email="officer@bench.invalid")
    # The officer as a request carries them: signed in with a password and an authenticator app (staff: AAL 2).
    authn.attach(officer, aal=authn.AAL2_2, methods=(authn.Method.PASSWORD, authn.Method.TOTP))
    service = (
        application_queue(user=officer).values_list("service__slug", flat=True).first()
    )  # one of the agency's services
    filters = [{}, {"status": "in_review"}, {"service_slug": service}, {"assigned_to_me": True},
               {"status": "pending_approval", "service_slug": service},
               {"due": "overdue"}, {"due": "soon"}, {"assignee": "none", "due": "overdue"},
               {"due_within_days": 10, "service_slug": service}]  # fmt: skip
    product, floor = [], []
    for _ in range(3):  # warm caches and prepared plans
        for f in filters:
            list(application_queue(user=officer, **f)[:50])
    for _ in range(60):
        for f in filters:
            queryset = application_queue(user=officer, **f)[:50]
            started = time.perf_counter()
            rows = list(queryset)
            product.append((time.perf_counter() - started) * 1000)
            if len(rows) > 50:
                raise SystemExit("the queue page is larger than 50 rows")
            sql, params = queryset.query.sql_with_params()
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                floor.append((time.perf_counter() - started) * 1000)

    def p95(values: list[float]) -> float:
        return round(statistics.quantiles(values, n=20)[18], 1)

    return {"p95": p95(product), "p50": round(statistics.median(product), 1), "floor_p95": p95(floor)}


def run() -> list[dict]:
    url = _prepare()
    done = subprocess.run(
        [sys.executable, __file__, "--measure"], env=_env(url), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"queue measurement failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        {
            "name": "queue_first_page_p95",
            "value": result["p95"],
            "unit": "ms",
            "target": 50,
            "better": "lower",
            "floor": result["floor_p95"],
            "detail": f"{CASES:,} cases in PostgreSQL; officer of one agency; first page (50) of 9 queue filters "
            f"(open cases, by status, by service, assigned to me, status+service, overdue, due soon, unassigned "
            f"overdue, due within 10 working days+service), incl. the access query; "
            f"p50 {result['p50']} ms; floor = the same SQL sent by psycopg without the ORM",
        }
    ]


if __name__ == "__main__" and "--measure" in sys.argv:
    print(json.dumps(_measure()))
