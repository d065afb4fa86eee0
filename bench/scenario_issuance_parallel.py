"""issuance_parallel_speedup: signed documents per second of one agency with two task workers, over one worker.

Through the real task path on PostgreSQL: approved cases of one agency, each with its durable `documents.issue`
effect, whose tasks go onto Redis when the batch commits; `manage.py run_redis_tasks` workers render, sign and
store the documents and move the cases to issued and delivered. Since the agency's number counter is held only for
the number (never while rendering and signing), two workers should issue close to twice as fast as one on this
two-core machine. Rounds alternate (1, 2, 2, 1 workers) so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_BATCH = 40
ROUNDS = (1, 2, 2, 1)

SETUP = """
from borikan.agencies.models import Agency
from borikan.catalog.formschema import build_default_form_schema
from borikan.catalog.models import Service
from borikan.documents.services import document_issue
from borikan.identity.models import User

agency = Agency.objects.create(code="DLT", name_th="กรมการขนส่งทางบก", name_en="Department of Land Transport",
                               email="saraban@dlt.go.th")
fields = ["citizen_id", "full_name", "address", "phone"]
Service.objects.create(
    slug="bench-licence", agency=agency, name_th="ใบอนุญาตทดสอบ", name_en="Bench licence", description_th="-",
    category="business", transaction_type="licence-new", legal_basis_th="-", fee_satang=None,
    processing_time_days=3, channels=["online"], personal_data_fields=fields,
    form_schema=build_default_form_schema(fields), document_validity_days=365,
)
holder = User.objects.create_user("holder@example.com", None, full_name="นางสาวสมหญิง ใจดีมาก")
# The agency's key is made once here (development CA), not raced for by the first two tasks.
document_issue(actor=None, case_ref="warm-up", agency=agency, holder=holder, title_th="ทดสอบ", title_en="warm-up",
               fields={"ผู้ได้รับอนุญาต / Holder": holder.full_name}, valid_days=30)
"""

BATCH = """
import time
from django.db import transaction
from django.utils import timezone
from borikan.applications.effects import schedule
from borikan.applications.models import Application, CaseEffect
from borikan.catalog.models import Service
from borikan.documents.models import IssuedDocument
from borikan.identity.models import User

service = Service.objects.get(slug="bench-licence")
holder = User.objects.get(email="holder@example.com")
form = {"full_name": holder.full_name, "citizen_id": "1101700230708", "address": "99 ถนนพหลโยธิน", "phone": "0812345678"}
with transaction.atomic():
    cases = Application.objects.bulk_create(
        Application(service=service, agency=service.agency, applicant=holder, status="approved", form_data=form,
                    tracking_number=f"DLT-2569-{BATCH_NO:02d}{n:04d}", submitted_at=timezone.now())
        for n in range(PER_BATCH)
    )
    effects = CaseEffect.objects.bulk_create(
        CaseEffect(application=case, name="documents.issue", key=f"documents.issue:{case.pk}:bench",
                   next_attempt_at=timezone.now())
        for case in cases
    )
    schedule([effect.key for effect in effects])
started = time.monotonic()
refs = [str(case.pk) for case in cases]
while Application.objects.filter(pk__in=refs, status="delivered").count() < PER_BATCH:
    if time.monotonic() - started > 300:
        raise SystemExit("the documents were not issued within 300 s")
    time.sleep(0.05)
elapsed = time.monotonic() - started
assert IssuedDocument.objects.filter(case_ref__in=refs).count() == PER_BATCH
print(f"RATE {PER_BATCH / elapsed:.4f}")
"""


def _rate(env: dict[str, str], batch_no: int, workers: int) -> float:
    from run import PYTHON, manage

    processes = [
        subprocess.Popen(
            [PYTHON, "-m", "django", "run_redis_tasks", "--continuous", "--interval", "0.05"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(4)  # the workers are up and polling before the batch commits
        script = BATCH.replace("BATCH_NO", str(batch_no)).replace("PER_BATCH", str(PER_BATCH))
        out = manage(env, "shell", "-c", script)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("RATE ")))


def run() -> list[dict]:
    sys.path.insert(0, str(ROOT / "bench"))
    from run import _forget_redis_keys, bench_database_url, django_env, manage

    env = django_env(bench_database_url())
    prefix = f"borikan-bench-issue-{os.getpid()}"
    env.update(
        BORIKAN_TASKS="redis",
        BORIKAN_TASKS_KEY_PREFIX=prefix,
        BORIKAN_SIGNING_DIR=tempfile.mkdtemp(prefix="bench-pki-"),
    )
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", SETUP)
    rates: dict[int, list[float]] = {1: [], 2: []}
    try:
        for batch_no, workers in enumerate(ROUNDS, start=1):
            rates[workers].append(_rate(env, batch_no, workers))
    finally:
        _forget_redis_keys(prefix)
    one = sum(rates[1]) / len(rates[1])
    two = sum(rates[2]) / len(rates[2])
    return [
        {
            "name": "issuance_parallel_speedup",
            "value": round(two / one, 2),
            "unit": "x",
            "target": 1.6,
            "better": "higher",
            "floor": round(one, 2),
            "detail": (
                f"PostgreSQL, tasks on Redis; {PER_BATCH} documents of one agency per round, rounds of {ROUNDS} "
                f"workers; 2 workers {two:.2f} documents/s, 1 worker {one:.2f} documents/s (the floor, in "
                f"documents/s); each document rendered (WeasyPrint), signed (PAdES, JWS in the QR) and stored"
            ),
        }
    ]
