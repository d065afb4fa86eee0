"""Identity proofing at a counter, against the sandbox civil registry running as a real process."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError
from borikan.identity import authn, civil_registry, proofing
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import ProofingRecord, User
from borikan.identity.selectors import current_ial
from borikan.identity.services import api_token_issue, user_set_citizen_id, user_sign_up

from .registrykit import (
    EXPIRED_CARD,
    LIFELONG_CARD,
    NOT_REGISTERED,
    REVOKED_CARD,
    SOMCHAI,
    SOMSRI,
    RegistryProcess,
    start_registry,
    stop_registry,
    use_registry,
    write_people,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def registry_process() -> Iterator[RegistryProcess]:
    process = start_registry()
    yield process
    stop_registry(process)


@pytest.fixture
def registry(registry_process: RegistryProcess, settings: Any) -> RegistryProcess:
    use_registry(settings, registry_process)
    return registry_process


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def strong_officer(officer: User) -> User:
    """The officer as a request would present them after signing in with a password and an authenticator app."""
    authn.attach(officer, aal=Decimal("2.2"), methods=("password", "totp"))
    return officer


def _prove(actor: User, user: User, agency: Any, card: dict[str, str], **checks: Any) -> ProofingRecord:
    arguments = {"face_compared": True, "chip_read": True} | checks
    return proofing.proofing_counter_record(actor=actor, user=user, agency=agency, **card, **arguments)


def _refusals(reason: str) -> int:
    return AuditEntry.objects.filter(action="identity.proofing_refused", data__reason=reason).count()


# --- the sandbox speaks its protocol ---------------------------------------------------------------------


def test_sandbox_answers_each_result(registry_process: RegistryProcess):
    answers = {
        "match": SOMCHAI,
        "mismatch": SOMCHAI | {"laser_code": "JT1-1234567-88"},
        "card_revoked": REVOKED_CARD,
        "card_expired": EXPIRED_CARD,
        "not_found": NOT_REGISTERED,
    }
    for expected, body in answers.items():
        response = registry_process.check(body)
        assert response.status_code == 200, response.text
        assert response.json()["result"] == expected
    matched = registry_process.check(SOMCHAI).json()
    assert matched["card_expires_on"] == "2033-03-13"
    assert dt.datetime.fromisoformat(matched["checked_at"]).tzinfo is not None
    # Details that do not agree reveal nothing about the card.
    assert registry_process.check(answers["mismatch"]).json()["card_expires_on"] is None
    # Same details written differently (spaces, lower case) still match.
    assert registry_process.check(SOMCHAI | {"laser_code": "jt1 1234567 89"}).json()["result"] == "match"


def test_sandbox_needs_its_key_and_well_formed_input(registry_process: RegistryProcess):
    assert registry_process.check(SOMCHAI, api_key="").status_code == 401
    assert registry_process.check(SOMCHAI, api_key="wrong").status_code == 401
    assert registry_process.check(b"not json").status_code == 400
    for broken in (
        SOMCHAI | {"citizen_id": "11017002307"},
        SOMCHAI | {"laser_code": "1234"},
        SOMCHAI | {"first_name_th": ""},
        SOMCHAI | {"birth_date": "14/03/1985"},
        SOMCHAI | {"birth_date": "1985-02-30"},
        {key: value for key, value in SOMCHAI.items() if key != "last_name_th"},
    ):
        response = registry_process.check(broken)
        assert response.status_code == 400, broken
        assert response.json()["error"]


def test_sandbox_refuses_a_data_file_with_a_bad_check_digit(tmp_path: Path):
    from borikan.sandboxes import civil_registry as sandbox

    bad = write_people(tmp_path / "people.json", [_person("1101700230709", card_expires_on="2033-01-01")])
    with pytest.raises(RuntimeError, match="check digit"):
        sandbox.spawn(api_key="k", data=bad, timeout=10)


def test_adapter_never_reads_a_strange_answer_as_a_match():
    for answer in (
        [],
        {"result": "yes", "checked_at": "2026-11-25T10:00:00+00:00"},
        {"result": "match"},
        {"result": "match", "checked_at": "2026-11-25T10:00:00"},
        {"result": "match", "checked_at": "2026-11-25T10:00:00+00:00", "card_expires_on": "soon"},
    ):
        with pytest.raises(civil_registry.RegistryBadAnswer):
            civil_registry.parse_answer(answer)


# --- proving ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_then_counter_proofing_raises_the_ial(registry, agency, strong_officer):
    person = user_sign_up(email="somchai@example.com", password="long enough passphrase 2569", full_name="สมชาย ใจดี")
    assert current_ial(user=person) == Decimal("1.1")

    record = _prove(strong_officer, person, agency, SOMCHAI)

    assert record.ial == Decimal("2.3")
    assert record.method == "counter"
    assert record.verified_by == strong_officer and record.agency == agency
    assert current_ial(user=person) == Decimal("2.3")
    person.refresh_from_db()
    assert person.citizen_id == SOMCHAI["citizen_id"]  # an account without an ID gets the proven one
    assert record.evidence["document"] == "thai_id_card"
    assert record.evidence["registry_result"] == "match"
    assert record.evidence["face_compared"] is True and record.evidence["chip_read"] is True
    assert dt.datetime.fromisoformat(record.evidence["registry_checked_at"])
    stored = json.dumps(record.evidence, ensure_ascii=False)
    assert SOMCHAI["citizen_id"] not in stored and "1234567" not in stored  # never the ID or the laser code
    proofed = AuditEntry.objects.get(action="identity.proofed")
    assert proofed.subject_user_id == person.pk and proofed.data["ial"] == "2.3"
    assert SOMCHAI["citizen_id"] not in json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))


@pytest.mark.django_db
def test_counter_proofing_records_the_cards_name_and_the_account_shows_it(registry, agency, strong_officer):
    """A self-chosen account name is what documents printed before; from the proofing on, it is the card's."""
    person = user_sign_up(email="chosen@example.com", password="long enough passphrase 2569", full_name="นายแอบอ้าง")
    record = _prove(strong_officer, person, agency, SOMCHAI)
    assert record.name_th == f"{SOMCHAI['first_name_th']} {SOMCHAI['last_name_th']}"
    assert str(record.birth_date) == str(SOMCHAI["birth_date"])
    person.refresh_from_db()
    assert person.full_name == record.name_th


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("face_compared", "chip_read", "level"),
    [(False, False, "1.3"), (True, False, "2.1"), (False, True, "1.3"), (True, True, "2.3")],
)
def test_level_follows_the_checks_made(registry, agency, strong_officer, citizen, face_compared, chip_read, level):
    record = _prove(strong_officer, citizen, agency, SOMCHAI, face_compared=face_compared, chip_read=chip_read)
    assert record.ial == Decimal(level)
    assert current_ial(user=citizen) == Decimal(level)


@pytest.mark.django_db
def test_account_with_the_same_citizen_id_is_proven(registry, agency, strong_officer, citizen):
    user_set_citizen_id(actor=citizen, user=citizen, citizen_id=SOMCHAI["citizen_id"])
    record = _prove(strong_officer, citizen, agency, SOMCHAI | {"citizen_id": "1-1017-00230-70-8"})
    assert record.ial == Decimal("2.3")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("card", "code"),
    [
        (SOMCHAI | {"laser_code": "JT1-1234567-88"}, "registry_mismatch"),
        (SOMCHAI | {"first_name_th": "สมชัย"}, "registry_mismatch"),
        (SOMCHAI | {"birth_date": "1985-03-15"}, "registry_mismatch"),
        (REVOKED_CARD, "card_revoked"),
        (EXPIRED_CARD, "card_expired"),
        (NOT_REGISTERED, "citizen_not_found"),
    ],
)
def test_registry_refusals_write_nothing_but_the_audit(registry, agency, strong_officer, citizen, card, code):
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, card)
    assert refused.value.code == code
    assert refused.value.status == 422
    assert refused.value.message_th and refused.value.message_en
    assert not ProofingRecord.objects.exists()
    citizen.refresh_from_db()
    assert citizen.citizen_id_hash is None  # the ID is not set on a refusal
    assert current_ial(user=citizen) == Decimal("1.1")
    entry = AuditEntry.objects.get(action="identity.proofing_refused")
    assert entry.data["reason"] == code and entry.actor_id == strong_officer.pk
    assert card["citizen_id"] not in json.dumps(entry.data)


@pytest.mark.django_db
def test_bad_check_digit_is_refused_before_the_registry_is_asked(settings, agency, strong_officer, citizen):
    use_registry(settings, None, url="http://127.0.0.1:9")  # nobody listens: asking would be a 503
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI | {"citizen_id": "1101700230709"})
    assert refused.value.code == "invalid_citizen_id" and refused.value.status == 422
    assert _refusals("invalid_citizen_id") == 1
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"laser_code": "JT1-123"}, "invalid_laser_code"),
        ({"first_name_th": "  "}, "name_required"),
        ({"birth_date": "2990-01-01"}, "invalid_birth_date"),  # a Buddhist-era year typed as Gregorian
    ],
)
def test_malformed_card_details_are_refused(settings, agency, strong_officer, citizen, change, code):
    use_registry(settings, None, url="http://127.0.0.1:9")
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI | change)
    assert refused.value.code == code
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_citizen_id_of_another_account_is_refused(registry, agency, strong_officer, citizen, other_citizen):
    user_set_citizen_id(actor=other_citizen, user=other_citizen, citizen_id=SOMCHAI["citizen_id"])
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI)
    assert refused.value.code == "citizen_id_taken" and refused.value.status == 409
    citizen.refresh_from_db()
    assert citizen.citizen_id_hash is None
    assert not ProofingRecord.objects.exists()
    assert _refusals("citizen_id_taken") == 1


@pytest.mark.django_db
def test_citizen_id_other_than_the_accounts_own_is_refused(registry, agency, strong_officer, citizen):
    user_set_citizen_id(actor=citizen, user=citizen, citizen_id=SOMSRI["citizen_id"])
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI)
    assert refused.value.code == "citizen_id_differs" and refused.value.status == 409
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_officer_below_aal2_is_refused(registry, agency, officer, citizen):
    authn.attach(officer, aal=authn.AAL1, methods=("password",))
    with pytest.raises(AssuranceRequired) as refused:
        _prove(officer, citizen, agency, SOMCHAI)
    assert refused.value.code == "assurance_required" and refused.value.status == 403
    assert refused.value.details["required_aal"] == "2.1"
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_officer_outside_a_request_has_no_aal(registry, agency, officer, citizen):
    with pytest.raises(AssuranceRequired) as refused:
        _prove(User.objects.get(pk=officer.pk), citizen, agency, SOMCHAI)  # no session behind it: AAL 0
    assert refused.value.code == "assurance_required"


@pytest.mark.django_db
def test_non_staff_and_other_agencys_staff_are_refused(registry, agency, citizen, other_citizen, foreign_officer):
    for actor in (other_citizen, foreign_officer):
        authn.attach(actor, aal=Decimal("2.2"), methods=("password", "totp"))
        with pytest.raises(ApplicationError) as refused:
            _prove(actor, citizen, agency, SOMCHAI)
        assert refused.value.code == "not_agency_staff" and refused.value.status == 403
    assert _refusals("not_agency_staff") == 2
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_officer_cannot_prove_themself(registry, agency, strong_officer):
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, strong_officer, agency, SOMCHAI)
    assert refused.value.code == "self_proofing"


@pytest.mark.django_db
def test_registry_down_is_503_and_nothing_is_written(settings, agency, strong_officer, citizen):
    from borikan.sandboxes.civil_registry import free_port

    use_registry(settings, None, url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI)
    assert refused.value.code == "registry_unavailable" and refused.value.status == 503
    assert not ProofingRecord.objects.exists()
    citizen.refresh_from_db()
    assert citizen.citizen_id_hash is None
    assert not AuditEntry.objects.filter(action__in=["identity.proofed", "identity.citizen_id_set"]).exists()


@pytest.mark.django_db
def test_registry_refusing_our_key_is_502(registry, settings, agency, strong_officer, citizen):
    settings.BORIKAN_CIVIL_REGISTRY_API_KEY = "not-the-key"
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI)
    assert refused.value.code == "registry_error" and refused.value.status == 502
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_repeated_registry_refusals_are_throttled(registry, agency, strong_officer, citizen):
    for _ in range(proofing.PERSON_REFUSALS.attempts):
        with pytest.raises(ApplicationError):
            _prove(strong_officer, citizen, agency, SOMCHAI | {"laser_code": "JT1-1234567-88"})
    with pytest.raises(ApplicationError) as refused:
        _prove(strong_officer, citizen, agency, SOMCHAI)  # even the right details, for the rest of the window
    assert refused.value.code == "too_many_attempts" and refused.value.status == 429
    assert not ProofingRecord.objects.exists()


# --- expiry, revocation, suspension ----------------------------------------------------------------------


def _person(citizen_id: str, *, card_expires_on: str | None, status: str = "active") -> dict[str, Any]:
    return {
        "citizen_id": citizen_id,
        "laser_code": "XY1-7654321-00",
        "first_name_th": "ทดสอบ",
        "last_name_th": "วันหมดอายุ",
        "birth_date": "1990-01-01",
        "card_expires_on": card_expires_on,
        "card_status": status,
    }


@pytest.fixture(scope="module")
def dated_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    """A registry whose cards expire relative to today: one in 400 days, one in ten years."""
    today = timezone.localdate()
    people = [
        _person("1409900128766", card_expires_on=(today + dt.timedelta(days=400)).isoformat()),
        _person("8300600123491", card_expires_on=(today + dt.timedelta(days=3650)).isoformat()),
    ]
    process = start_registry(data=write_people(tmp_path_factory.mktemp("registry") / "people.json", people))
    yield process
    stop_registry(process)


def _card(citizen_id: str) -> dict[str, str]:
    person = _person(citizen_id, card_expires_on=None)
    return {key: person[key] for key in ("citizen_id", "laser_code", "first_name_th", "last_name_th", "birth_date")}


@pytest.mark.django_db
def test_record_ends_with_the_card_and_the_ial_falls_back(dated_registry, settings, agency, strong_officer, citizen):
    use_registry(settings, dated_registry)
    record = _prove(strong_officer, citizen, agency, _card("1409900128766"))
    card_end = timezone.localdate() + dt.timedelta(days=401)  # the end of the card's last day, Thai time
    assert timezone.localtime(record.expires_at).date() == card_end
    assert timezone.localtime(record.expires_at).time() == dt.time(0, 0)
    assert current_ial(user=citizen) == Decimal("2.3")
    later = record.expires_at + dt.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert current_ial(user=citizen) == Decimal("1.1")
        assert proofing.record_status(record) == "expired"


@pytest.mark.django_db
def test_record_lasts_at_most_five_years(dated_registry, registry, settings, agency, strong_officer, citizen):
    use_registry(settings, dated_registry)
    record = _prove(strong_officer, citizen, agency, _card("8300600123491"))
    years = (record.expires_at - record.verified_at).days / 365.25
    assert 4.99 < years <= 5.0
    use_registry(settings, registry)  # a lifelong card: five years too
    elder = User.objects.create_user("elder@example.com", "long enough passphrase 2569", full_name="บุญมี คำแสน")
    lifelong = _prove(strong_officer, elder, agency, LIFELONG_CARD)
    assert 4.99 < (lifelong.expires_at - lifelong.verified_at).days / 365.25 <= 5.0


@pytest.mark.django_db
def test_revocation_lowers_the_ial(registry, agency, strong_officer, citizen, foreign_officer):
    record = _prove(strong_officer, citizen, agency, SOMCHAI)
    authn.attach(foreign_officer, aal=Decimal("2.2"), methods=("password", "totp"))
    with pytest.raises(ApplicationError) as refused:
        proofing.proofing_revoke(actor=foreign_officer, record=record, reason="mistake")
    assert refused.value.code == "not_agency_staff"
    with pytest.raises(ApplicationError) as no_reason:
        proofing.proofing_revoke(actor=strong_officer, record=record, reason=" ")
    assert no_reason.value.code == "reason_required"

    proofing.proofing_revoke(actor=strong_officer, record=record, reason="card photo did not match")
    assert current_ial(user=citizen) == Decimal("1.1")
    record.refresh_from_db()
    assert record.revoked_reason == "card photo did not match"
    assert AuditEntry.objects.filter(action="identity.proofing_revoked", object_id=str(record.pk)).exists()
    with pytest.raises(ApplicationError) as again:
        proofing.proofing_revoke(actor=strong_officer, record=record, reason="again")
    assert again.value.code == "already_revoked" and again.value.status == 409


@pytest.mark.django_db
def test_recovery_without_second_factor_suspends_high_assurance(registry, agency, strong_officer, citizen):
    low = _prove(strong_officer, citizen, agency, SOMCHAI, face_compared=False, chip_read=False)
    high = _prove(strong_officer, citizen, agency, SOMCHAI)
    assert current_ial(user=citizen) == Decimal("2.3")

    assert proofing.proofing_suspend_high_assurance(user=citizen, reason="account_recovery") == 1

    high.refresh_from_db()
    low.refresh_from_db()
    assert high.revoked_at is not None and high.revoked_reason == "account_recovery"
    assert low.revoked_at is None
    assert current_ial(user=citizen) == Decimal("1.3")
    entry = AuditEntry.objects.get(action="identity.proofing_suspended")
    assert entry.subject_user_id == citizen.pk and entry.data["ial_after"] == "1.3"
    assert proofing.proofing_suspend_high_assurance(user=citizen, reason="account_recovery") == 0
    # Proving again at the counter restores the level.
    _prove(strong_officer, citizen, agency, SOMCHAI)
    assert current_ial(user=citizen) == Decimal("2.3")


# --- API ----------------------------------------------------------------------------------------------------


def _strong_client(user: User) -> Client:
    key, token = api_token_issue(user=user)
    authn.token_step_up(token, authn.Method.TOTP)
    return Client(headers={"Authorization": f"Bearer {key}"})


COUNTER_URL = "/api/v1/auth/proofing/counter"


@pytest.mark.django_db
def test_api_counter_proofing_then_assurance(registry, agency, officer, citizen, api_as):
    before = api_as(citizen).get("/api/v1/auth/assurance").json()
    assert before == {"ial": "1.1", "aal": "1", "methods": ["password"], "records": []}

    body = SOMCHAI | {"email": citizen.email, "agency": agency.code, "face_compared": True, "chip_read": False}
    response = _strong_client(officer).post(COUNTER_URL, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["ial"] == "2.1" and response.json()["agency"] == agency.code

    after = api_as(citizen).get("/api/v1/auth/assurance").json()
    assert after["ial"] == "2.1"
    assert [record["ial"] for record in after["records"]] == ["2.1"]
    assert after["records"][0]["status"] == "valid"


@pytest.mark.django_db
def test_api_counter_proofing_refusals(registry, agency, officer, citizen, api_as):
    body = SOMCHAI | {"email": citizen.email, "agency": agency.code, "face_compared": True, "chip_read": True}
    weak = api_as(officer, "password").post(COUNTER_URL, body, content_type="application/json")
    assert weak.status_code == 403 and weak.json()["code"] == "assurance_required"
    assert AuditEntry.objects.filter(action="auth.assurance_refused", actor_id=officer.pk).exists()

    not_staff = _strong_client(citizen).post(COUNTER_URL, body, content_type="application/json")
    assert not_staff.status_code == 403 and not_staff.json()["code"] == "not_agency_staff"

    strong = _strong_client(officer)
    mismatch = strong.post(COUNTER_URL, body | {"last_name_th": "ใจร้าย"}, content_type="application/json")
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "registry_mismatch"
    assert mismatch.json()["detail_th"] and mismatch.json()["detail_en"]
    nobody = strong.post(COUNTER_URL, body | {"email": "nobody@example.com"}, content_type="application/json")
    assert nobody.status_code == 404
    bad_date = strong.post(COUNTER_URL, body | {"birth_date": "14/03/1985"}, content_type="application/json")
    assert bad_date.status_code == 422
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_api_registry_down_is_503(settings, agency, officer, citizen):
    from borikan.sandboxes.civil_registry import free_port

    use_registry(settings, None, url=f"http://127.0.0.1:{free_port()}")
    body = SOMCHAI | {"account_id": citizen.pk, "agency": agency.code}
    response = _strong_client(officer).post(COUNTER_URL, body, content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "registry_unavailable"
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_api_revoke(registry, agency, officer, citizen, api_as):
    record = _prove(authn_attached(officer), citizen, agency, SOMCHAI)
    url = f"/api/v1/auth/proofing/records/{record.pk}/revoke"
    assert api_as(citizen).post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    response = _strong_client(officer).post(url, {"reason": "fraud found"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert current_ial(user=citizen) == Decimal("1.1")


def authn_attached(user: User) -> User:
    authn.attach(user, aal=Decimal("2.2"), methods=("password", "totp"))
    return user


# --- pages --------------------------------------------------------------------------------------------------


def _on_page(card: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A card's details as the counter page takes them: the date of birth as day, month and a B.E. year."""
    born = dt.date.fromisoformat(card["birth_date"])
    fields = {k: v for k, v in card.items() if k != "birth_date"}
    return fields | {"birth_day": born.day, "birth_month": born.month, "birth_year_be": born.year + 543} | extra


def _session(client: Client, user: User, *methods: str) -> Client:
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[authn.SESSION_KEY] = {"methods": [{"method": m, "at": now} for m in methods], "last_activity": now}
    session.save()
    return client


@pytest.mark.django_db
def test_assurance_page_shows_levels_records_and_ways_up(registry, agency, other_agency, officer, citizen, settings):
    settings.BORIKAN_OIDC_PROVIDERS = []
    page = _session(Client(), citizen, "password").get("/account/assurance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-ial="1.1"' in html and 'data-aal="1"' in html
    assert agency.name_th in html and other_agency.name_th in html  # where to go
    assert 'href="/account/security/"' in html
    assert "/account/federation/" not in html
    assert "/account/counter-proofing/" not in html  # officers only
    assert (
        "/account/counter-proofing/"
        in _session(Client(), officer, "password").get("/account/assurance/").content.decode()
    )

    record = _prove(authn_attached(officer), citizen, agency, SOMCHAI, chip_read=False)
    proofing.proofing_revoke(actor=officer, record=_prove(officer, citizen, agency, SOMCHAI), reason="test")
    settings.BORIKAN_OIDC_PROVIDERS = [{"slug": "thaid", "name_th": "ไทยดี", "name_en": "ThaiD"}]
    html = _session(Client(), citizen, "password", "totp").get("/account/assurance/").content.decode()
    assert 'data-ial="2.1"' in html and 'data-aal="2.2"' in html
    assert f"IAL {record.ial}" in html and "IAL 2.3" in html  # valid and past
    assert 'href="/account/federation/thaid/link/"' in html and "ไทยดี" in html


@pytest.mark.django_db
def test_counter_page_is_for_staff_at_aal2(registry, agency, officer, citizen):
    assert _session(Client(), citizen, "password", "totp").get("/account/counter-proofing/").status_code == 403
    weak = _session(Client(), officer, "password").get("/account/counter-proofing/")
    assert weak.status_code == 302 and "aal=2.1" in weak["Location"]
    assert "next=%2Faccount%2Fcounter-proofing%2F" in weak["Location"]
    assert AuditEntry.objects.filter(action="auth.assurance_refused", actor_id=officer.pk).exists()


@pytest.mark.django_db
def test_counter_page_proves_a_person(registry, agency, officer, citizen):
    client = _session(Client(), officer, "password", "totp")
    assert client.get("/account/counter-proofing/").status_code == 200
    form = _on_page(SOMCHAI, account=citizen.email, agency=agency.pk, face_compared="on", chip_read="on")
    done = client.post("/account/counter-proofing/", form)
    assert done.status_code == 200
    assert "2.3" in done.content.decode()
    assert current_ial(user=citizen) == Decimal("2.3")

    refused = client.post("/account/counter-proofing/", form | {"citizen_id": REVOKED_CARD["citizen_id"]})
    assert refused.status_code == 409  # the ID differs from the account's, now set
    assert "citizen_id_differs" in refused.content.decode()
    stranger = User.objects.create_user("new@example.com", "long enough passphrase 2569", full_name="ประเสริฐ")
    form = _on_page(REVOKED_CARD, account=stranger.email, agency=agency.pk)
    revoked = client.post("/account/counter-proofing/", form)
    assert revoked.status_code == 422 and "card_revoked" in revoked.content.decode()


@pytest.mark.django_db
def test_counter_page_refuses_an_agency_not_the_officers(registry, agency, other_agency, citizen):
    officer = make_staff("desk@excise.go.th", agency, StaffRole.OFFICER)
    client = _session(Client(), officer, "password", "totp")
    form = _on_page(SOMCHAI, account=citizen.email, agency=other_agency.pk)
    assert client.post("/account/counter-proofing/", form).status_code == 400  # not a choice
    assert not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_counter_page_finds_an_account_made_with_a_mobile_number(registry, agency, officer):
    """Issue 12: lookup by e-mail only left mobile-number accounts at IAL 1.1 for ever."""
    person = User.objects.create_user(
        None,
        "long enough passphrase 2569",
        full_name="สมชาย ใจดี",
        mobile="+66812345678",
        mobile_verified_at=timezone.now(),
    )
    client = _session(Client(), officer, "password", "totp")
    form = _on_page(SOMCHAI, account="081-234-5678", agency=agency.pk, face_compared="on", chip_read="on")
    done = client.post("/account/counter-proofing/", form)
    assert done.status_code == 200, done.content.decode()[:2000]
    assert current_ial(user=person) == Decimal("2.3")
    assert "+66812345678" in done.content.decode()  # the account, named by its number


@pytest.mark.django_db
def test_counter_page_does_not_name_an_unconfirmed_address(registry, agency, officer):
    User.objects.create_user("squatter@example.com", "long enough passphrase 2569", email_verified_at=None)
    client = _session(Client(), officer, "password", "totp")
    form = _on_page(SOMCHAI, account="squatter@example.com", agency=agency.pk)
    refused = client.post("/account/counter-proofing/", form)
    assert refused.status_code == 400 and not ProofingRecord.objects.exists()


@pytest.mark.django_db
def test_counter_page_asks_the_birth_date_in_buddhist_era(registry, agency, officer, citizen):
    """Issue 12: the officer types the date as on the card (day, month, year พ.ศ.); the form makes the date."""
    client = _session(Client(), officer, "password", "totp")
    page = client.get("/account/counter-proofing/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert 'class="govuk-date-input"' in page and 'name="birth_year_be"' in page
    assert 'type="date"' not in page
    form = _on_page(SOMCHAI, account=citizen.email, agency=agency.pk, face_compared="on", chip_read="on")
    assert form["birth_year_be"] == 2528
    done = client.post("/account/counter-proofing/", form)
    assert done.status_code == 200, done.content.decode()[:2000]
    assert str(ProofingRecord.objects.get(user=citizen, method="counter").birth_date) == SOMCHAI["birth_date"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "month", "year", "shown"),
    [
        (14, 3, 1985, "1985 + 543 = 2528"),  # the Gregorian year of the card's date
        (30, 2, 2528, "no such date"),
        (31, 4, 2528, "no such date"),
        (14, 3, 3000, "between 2400 and"),
        (14, 13, 2528, "Ensure this value is less than or equal to 12"),
    ],
)
def test_counter_page_refuses_a_gregorian_year_or_an_impossible_date(
    registry, agency, officer, citizen, day, month, year, shown
):
    client = _session(Client(), officer, "password", "totp")
    client.cookies["django_language"] = "en"
    form = _on_page(SOMCHAI, account=citizen.email, agency=agency.pk) | {
        "birth_day": day,
        "birth_month": month,
        "birth_year_be": year,
    }
    refused = client.post("/account/counter-proofing/", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert shown in html and "govuk-error-message" in html
    assert not ProofingRecord.objects.filter(method="counter").exists()


def test_birth_date_from_be_reads_the_year_as_buddhist_era():
    from borikan.identity.proofing_views import birth_date_from_be

    today = dt.date(2026, 12, 3)
    assert birth_date_from_be(day=29, month=2, year_be=2543, today=today) == dt.date(2000, 2, 29)
    assert birth_date_from_be(day=3, month=12, year_be=2569, today=today) == today
    for day, month, year in [(29, 2, 2544), (4, 12, 2569), (1, 1, 2026), (1, 1, 2399)]:
        with pytest.raises(Exception) as refused:
            birth_date_from_be(day=day, month=month, year_be=year, today=today)
        assert refused.value.code in {"gregorian_year", "impossible_date"}
