"""Signed licences per second on one core, against WeasyPrint rendering the same template unsigned.

`run()` starts a fresh Python process pinned to one core (os.sched_setaffinity) that, in alternating rounds,
renders the licence as it would be unsigned (the QR holds only the verification URL) and issues it signed:
the compact credential (JWS, ES256), the PDF with that credential in its QR code, and the PAdES signature
with the agency's key (development CA, ECDSA P-256), exactly as `documents.services.document_issue` does,
without the database and storage around it. Issue 6 target: signed ≥ 0.8 × the unsigned floor.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 6
PER_ROUND = 6


def _measure() -> dict:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    settings.BORIKAN_SIGNING_DEV_KEYS = True
    settings.BORIKAN_SIGNING_DIR = Path(tempfile.mkdtemp(prefix="bench-pki-"))

    from borikan.agencies.models import Agency
    from borikan.documents.models import IssuedDocument, new_verification_code
    from borikan.documents.services import document_render_signed, document_render_unsigned
    from borikan.documents.signing import signing_identity

    agency = Agency(
        code="DLT",
        name_th="กรมการขนส่งทางบก",
        name_en="Department of Land Transport",
        ministry_th="กระทรวงคมนาคม",
        ministry_en="Ministry of Transport",
    )
    identity = signing_identity(agency_code=agency.code, agency_name=agency.name_en)
    sequence = iter(range(1, 1_000_000))

    def licence() -> IssuedDocument:
        today = timezone.localdate()
        return IssuedDocument(
            number=f"DLT-DOC-2569-{next(sequence):06d}",
            agency=agency,
            holder_name="นางสาวสมหญิง ใจดีมาก",
            title_th="ใบอนุญาตขับรถยนต์ส่วนบุคคลชั่วคราว",
            title_en="Temporary private car driving licence",
            body_fields=[
                {"label": "ประเภทใบอนุญาต", "value": "ใบอนุญาตขับรถยนต์ส่วนบุคคลชั่วคราว (ชนิดที่ 1)"},
                {"label": "หมู่โลหิต", "value": "โอ"},
                {"label": "ที่อยู่ตามทะเบียนบ้าน", "value": "99/9 ถนนพหลโยธิน แขวงจตุจักร เขตจตุจักร กรุงเทพมหานคร"},
            ],
            issued_at=timezone.now(),
            valid_from=today,
            valid_until=today + dt.timedelta(days=729),
            verification_code=new_verification_code(),
        )

    def unsigned() -> None:
        document_render_unsigned(document=licence())

    def signed() -> None:
        document_render_signed(document=licence(), identity=identity)

    for _ in range(3):  # fonts, stylesheet and key loaded; code paths warm
        unsigned()
        signed()

    def rate(work) -> float:
        started = time.perf_counter()
        for _ in range(PER_ROUND):
            work()
        return PER_ROUND / (time.perf_counter() - started)

    floors, values = [], []
    for _ in range(ROUNDS):  # alternate, so drift on a shared machine hits both alike
        floors.append(rate(unsigned))
        values.append(rate(signed))
    return {"cpu": cpu, "floors": floors, "values": values, "kid": identity.kid}


def run() -> list[dict]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="borikan.config.settings.local",
        DJANGO_DEBUG="0",
        PYTHONPATH=str(ROOT / "src"),
        LOG_LEVEL="ERROR",
    )
    done = subprocess.run(
        [sys.executable, __file__, "--measure"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"issuance benchmark failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    floor = statistics.median(measured["floors"])
    value = statistics.median(measured["values"])
    ratios = [v / f for v, f in zip(measured["values"], measured["floors"], strict=True)]
    return [
        {
            "name": "documents_signed_per_second",
            "value": round(value, 2),
            "unit": "documents/s",
            "target": round(0.8 * floor, 2),
            "better": "higher",
            "floor": round(floor, 2),
            "detail": (
                f"one core (cpu {measured['cpu']}), median of {ROUNDS} alternating rounds of {PER_ROUND}; "
                f"signed = JWS credential + WeasyPrint PDF/A-3 with it in the QR + PAdES B-B (ECDSA P-256, pyHanko); "
                f"floor = WeasyPrint rendering the same licence template unsigned (QR with the URL only); "
                f"signed/floor per round {min(ratios):.2f}-{max(ratios):.2f} (median {statistics.median(ratios):.2f})"
            ),
        }
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(json.dumps(_measure()))
    else:
        for figure in run():
            print(json.dumps(figure, ensure_ascii=False))
