"""Export the directory as JSON and CSV and load it back: nothing may change."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from borikan.agencies.models import Agency
from borikan.catalog.assurance import CATEGORIES
from borikan.catalog.exporting import catalogue_from_csv, catalogue_to_csv, export_catalogue
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.catalog.models import RiskAssessment, Service
from borikan.catalog.services import risk_assessment_record
from borikan.conftest import make_staff

FIELDS = [f.name for f in Service._meta.fields if f.name not in ("id", "created_at", "updated_at", "agency")]


def _snapshot() -> dict:
    services = {s.slug: {f: getattr(s, f) for f in FIELDS} | {"agency": s.agency.code} for s in Service.objects.all()}
    agencies = {
        a.code: (a.name_th, a.name_en, a.email, a.ministry_th, a.ministry_en, a.complaint_channel)
        for a in Agency.objects.all()
    }
    assessments = {
        a.service.slug: (a.ratings, a.justification, a.required_ial, a.required_aal, a.override_reason)
        for a in RiskAssessment.objects.filter(is_current=True).select_related("service")
    }
    return {"services": services, "agencies": agencies, "risk": assessments}


@pytest.fixture
def edited_catalogue(db):
    """The sample, plus what operators change on the platform (modes, publication, forms, contacts)."""
    assert load_catalogue(data=read_catalogue_file(DEFAULT_CATALOGUE)).ok
    service = Service.objects.get(slug="liquor-sale-licence")
    service.mode_delivery = "counter"
    service.is_published = False
    service.document_validity_days = 365
    service.fee_satang = 165050
    service.form_schema = {**service.form_schema, "description": "แบบคำขอฉบับปรับปรุง"}
    service.save()
    Agency.objects.filter(code="EXCISE").update(email="saraban@excise.go.th", complaint_channel="โทร 1713")
    admin = make_staff("admin@excise.go.th", Agency.objects.get(code="EXCISE"), "agency_admin")
    ratings = dict.fromkeys(CATEGORIES, "low")
    risk_assessment_record(
        actor=admin,
        service=service,
        ratings=ratings,
        justification="ร้านใกล้สถานศึกษา",
        ial="2.3",
        override_reason="เคยมีการปลอมเอกสาร",
    )
    return _snapshot()


def _reload(data: dict) -> dict:
    RiskAssessment.objects.all().delete()
    Service.objects.all().delete()
    Agency.objects.all().delete()
    report = load_catalogue(data=data)
    assert report.ok, report.errors
    return _snapshot()


@pytest.mark.django_db
def test_json_export_loads_back_unchanged(edited_catalogue):
    exported = json.loads(json.dumps(export_catalogue(), ensure_ascii=False))
    assert _reload(exported) == edited_catalogue


@pytest.mark.django_db
def test_csv_export_loads_back_unchanged(edited_catalogue):
    text = catalogue_to_csv(export_catalogue())
    assert _reload(catalogue_from_csv(text)) == edited_catalogue


@pytest.mark.django_db
def test_export_command_then_load_command_round_trip(edited_catalogue, tmp_path):
    for fmt in ("json", "csv"):
        path = tmp_path / f"directory.{fmt}"
        call_command("export_catalogue", "--format", fmt, "--output", str(path))
        RiskAssessment.objects.all().delete()
        Service.objects.all().delete()
        call_command("load_catalogue", str(path))
        assert _snapshot() == edited_catalogue


@pytest.mark.django_db
def test_csv_with_bad_cells_is_refused_whole(edited_catalogue, tmp_path):
    text = catalogue_to_csv(export_catalogue())
    lines = text.splitlines()
    lines[3] = lines[3].replace('"[', '"[oops', 1)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    Service.objects.filter(slug="liquor-sale-licence").update(name_th="KEEP")
    with pytest.raises(CommandError, match="not valid JSON; nothing was loaded"):
        call_command("load_catalogue", str(path))
    assert Service.objects.get(slug="liquor-sale-licence").name_th == "KEEP"


@pytest.mark.django_db
def test_import_with_bad_platform_settings_names_them(edited_catalogue):
    data = export_catalogue()
    data["services"][0]["platform"]["process_modes"]["review"] = "fax"
    data["services"][1]["platform"]["form_schema"] = {"type": "no-such-type"}
    report = load_catalogue(data=data)
    assert len(report.errors) == 2
    assert "services[0].platform.process_modes.review" in report.errors[0]
    assert "services[1]" in report.errors[1] and "form_schema" in report.errors[1]


@pytest.mark.django_db
def test_json_schema_is_published_and_export_is_for_operators(edited_catalogue, citizen, api_as):
    from django.test import Client

    schema = Client().get("/api/v1/services/catalogue.schema.json")
    assert schema.status_code == 200
    assert schema.json()["title"] == "borikan service directory"
    assert api_as(citizen).get("/api/v1/services/export").status_code == 403
    citizen.is_staff = True
    citizen.save(update_fields=["is_staff"])
    exported = api_as(citizen).get("/api/v1/services/export").json()
    assert len(exported["services"]) == 102
    csv_text = api_as(citizen).get("/api/v1/services/export?format=csv").content.decode()
    assert csv_text.count("\n") == 103
