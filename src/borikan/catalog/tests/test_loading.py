import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from borikan.agencies.models import Agency
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.catalog.models import PaymentTiming, Service, StepMode


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return read_catalogue_file(DEFAULT_CATALOGUE)


@pytest.mark.django_db
def test_sample_catalogue_loads_completely(catalogue):
    report = load_catalogue(data=catalogue)
    assert report.ok, report.errors
    assert Service.objects.count() == len(catalogue["services"]) == 102
    assert Agency.objects.count() == len(catalogue["agencies"])


@pytest.mark.django_db
def test_loading_twice_updates_instead_of_duplicating(catalogue):
    load_catalogue(data=catalogue)
    report = load_catalogue(data=catalogue)
    assert report.services_created == 0
    assert report.services_updated == 102


@pytest.mark.django_db
def test_step_modes_follow_channels_and_fee(catalogue):
    load_catalogue(data=catalogue)
    liquor = Service.objects.get(slug="liquor-sale-licence")
    assert liquor.fee_satang == 165000
    assert liquor.mode_application == StepMode.ONLINE
    assert liquor.mode_payment == StepMode.ONLINE
    assert liquor.payment_timing == PaymentTiming.AFTER_APPROVAL
    assert liquor.document_title_th == "ใบอนุญาตขายสุรา"
    first_id_card = Service.objects.get(slug="id-card-first-issue")
    assert first_id_card.mode_application == StepMode.COUNTER
    assert first_id_card.mode_payment == StepMode.NOT_APPLICABLE
    assert first_id_card.agency.ministry_th == "กระทรวงมหาดไทย"


@pytest.mark.django_db
def test_file_with_bad_records_loads_nothing_and_names_each(catalogue):
    broken = copy.deepcopy(catalogue)
    broken["services"][3]["agency_code"] = "NOPE"
    broken["services"][7]["fee_thb"] = -5
    broken["services"][9]["id"] = broken["services"][8]["id"]
    report = load_catalogue(data=broken)
    assert not report.ok
    assert len(report.errors) == 3
    assert any("services[3]" in e and "unknown agency_code 'NOPE'" in e for e in report.errors)
    assert any("services[7]" in e and "fee_thb" in e for e in report.errors)
    assert any("services[9]" in e and "duplicate id" in e for e in report.errors)
    assert Service.objects.count() == 0
    assert Agency.objects.count() == 0


@pytest.mark.django_db
def test_command_reports_bad_file_and_keeps_existing_data(tmp_path, catalogue):
    load_catalogue(data=catalogue)
    broken = copy.deepcopy(catalogue)
    broken["services"][0]["name_th"] = "CHANGED"
    broken["services"][1]["transaction_type"] = "bribe"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken, ensure_ascii=False))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("load_catalogue", str(path))
    assert Service.objects.get(slug=catalogue["services"][0]["id"]).name_th != "CHANGED"


@pytest.mark.django_db
def test_command_refuses_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_catalogue", str(path))
