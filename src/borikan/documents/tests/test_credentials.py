"""The credential in the QR code, the published keys (JWKS), the signed revocation list and the offline verifier."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from joserfc import jws
from joserfc.jwk import ECKey

from borikan.agencies.models import Agency
from borikan.documents.credentials import (
    CheckStatus,
    content_digest,
    credential_check,
    status_list_sign,
)
from borikan.documents.models import IssuedDocument
from borikan.documents.services import STATUS_LIST_MEDIA_TYPE, document_revoke
from borikan.documents.signing import signing_identity
from borikan.identity.models import User

from .conftest import issue

pytestmark = pytest.mark.django_db


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _claims(token: str) -> dict:
    encoded = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def _jwks(agency_code: str | None = None) -> dict:
    path = "/api/v1/documents/keys" + (f"/{agency_code}" if agency_code else "")
    response = Client().get(path)
    assert response.status_code == 200
    return response.json()


def _status_list(agency_code: str) -> str:
    response = Client().get(f"/api/v1/documents/revocations/{agency_code}")
    assert response.status_code == 200
    assert response["Content-Type"] == STATUS_LIST_MEDIA_TYPE
    return response.content.decode("ascii")


def _verify(*args: str) -> tuple[dict, bool]:
    """Run the verifier command: (its JSON report, whether it exited 0)."""
    out = io.StringIO()
    try:
        call_command("verify_credential", *args, stdout=out)
    except CommandError:
        return json.loads(out.getvalue()), False
    return json.loads(out.getvalue()), True


def _files(tmp_path: Path, agency_code: str = "EXCISE") -> tuple[str, str]:
    jwks_path, list_path = tmp_path / "jwks.json", tmp_path / "revocations.jwt"
    jwks_path.write_text(json.dumps(_jwks(agency_code)))
    list_path.write_text(_status_list(agency_code))
    return str(jwks_path), str(list_path)


def _forge(token: str, **changes) -> str:
    """The token with its claims changed and the original signature kept."""
    header, _, signature = token.split(".")
    claims = {**_claims(token), **changes}
    payload = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{header}.{payload}.{signature}"


# --- the credential ---------------------------------------------------------------------------------------------


def test_credential_carries_number_name_validity_and_content_digest(document: IssuedDocument):
    claims = _claims(document.credential)

    assert claims == {
        "iss": "EXCISE",
        "num": document.number,
        "name": "สมชาย ใจดี",
        "iat": int(document.issued_at.timestamp()),
        "from": document.valid_from.isoformat(),
        "until": document.valid_until.isoformat(),
        "dig": content_digest(
            agency_code="EXCISE",
            number=document.number,
            title_th=document.title_th,
            title_en=document.title_en,
            holder_name=document.holder_name,
            fields=document.field_pairs,
            issued_on=timezone.localdate(document.issued_at),
            valid_from=document.valid_from,
            valid_until=document.valid_until,
        ),
    }
    header = json.loads(base64.urlsafe_b64decode(document.credential.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": document.signing_kid, "typ": "doc+jwt"}


def test_credential_of_a_document_without_expiry_has_no_until(agency: Agency, citizen: User):
    document = issue(agency=agency, holder=citizen, valid_days=None)

    assert "until" not in _claims(document.credential)


def test_qr_payload_is_the_verification_url_with_the_credential_as_fragment(document: IssuedDocument):
    url, _, token = document.qr_payload.partition("#")

    assert url == document.verification_url
    assert token == document.credential


# --- the published keys -----------------------------------------------------------------------------------------


def test_jwks_publishes_the_agencys_public_key_and_certificate_chain(document: IssuedDocument):
    keys = _jwks("EXCISE")["keys"]

    assert len(keys) == 1
    key = keys[0]
    assert key["kid"] == document.signing_kid
    assert (key["kty"], key["crv"], key["alg"], key["use"], key["agency"]) == ("EC", "P-256", "ES256", "sig", "EXCISE")
    assert "d" not in key  # never the private part
    assert len(key["x5c"]) == 2  # the agency certificate, then the CA
    identity = signing_identity(agency_code="EXCISE")
    assert base64.b64decode(key["x5c"][0]) == identity.certificate.public_bytes(serialization.Encoding.DER)


def test_jwks_of_all_agencies_lists_each_agencys_keys(document: IssuedDocument, other_agency: Agency, citizen: User):
    issue(agency=other_agency, holder=citizen)

    agencies = sorted(key["agency"] for key in _jwks()["keys"])

    assert agencies == ["DBD", "EXCISE"]


def test_jwks_is_public_and_cacheable(document: IssuedDocument):
    response = Client().get("/api/v1/documents/keys/excise")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_jwks_of_an_unknown_agency_is_404(db):
    response = Client().get("/api/v1/documents/keys/NOPE")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- the revocation list ----------------------------------------------------------------------------------------


def test_revocation_list_is_signed_by_the_agency_and_lists_a_revoked_document(
    document: IssuedDocument, approver: User, settings
):
    settings.BORIKAN_STATUS_LIST_TTL_SECONDS = 3600
    before = _status_list("EXCISE")
    document_revoke(actor=approver, document=document, reason="ปลอมแปลงเอกสารประกอบคำขอ")

    after = _status_list("EXCISE")

    key = ECKey.import_key(_jwks("EXCISE")["keys"][0])
    listed_before = json.loads(jws.deserialize_compact(before, key, algorithms=["ES256"]).payload)
    listed_after = json.loads(jws.deserialize_compact(after, key, algorithms=["ES256"]).payload)
    assert listed_before["revoked"] == []
    assert listed_after["revoked"] == [document.number]
    assert listed_after["iss"] == "EXCISE"
    assert listed_after["exp"] - listed_after["iat"] == 3600
    assert "ปลอมแปลง" not in json.dumps(listed_after, ensure_ascii=False)  # no reasons: they may be personal


def test_revocation_list_holds_only_that_agencys_documents(
    document: IssuedDocument, other_agency: Agency, citizen: User, approver: User
):
    document_revoke(actor=approver, document=document, reason="เหตุผล")

    listed = _claims(_status_list("DBD"))

    assert listed["iss"] == "DBD"
    assert listed["revoked"] == []


def test_revocation_list_of_an_unknown_agency_is_404(db):
    assert Client().get("/api/v1/documents/revocations/NOPE").status_code == 404


def test_revocation_list_without_a_key_outside_development_is_503(agency: Agency, settings):
    settings.BORIKAN_SIGNING_DEV_KEYS = False
    settings.BORIKAN_SIGNING_KEYS = {}

    response = Client().get("/api/v1/documents/revocations/EXCISE")

    assert response.status_code == 503
    assert response.json()["code"] == "signing_key_unavailable"


# --- the offline verifier ---------------------------------------------------------------------------------------


def test_verifier_says_valid_for_the_qr_payload_with_published_files(document: IssuedDocument, tmp_path: Path):
    jwks_path, list_path = _files(tmp_path)

    report, ok = _verify(document.qr_payload, "--jwks", jwks_path, "--status-list", list_path)

    assert ok
    assert report["status"] == "valid"
    assert report["revocation_checked"] is True
    assert (report["number"], report["holder_name"]) == (document.number, "สมชาย ใจดี")
    assert report["valid_until"] == document.valid_until.isoformat()


def test_verifier_accepts_the_bare_token_and_says_revocation_was_not_checked_without_a_list(
    document: IssuedDocument, tmp_path: Path
):
    jwks_path, _ = _files(tmp_path)

    report, ok = _verify(document.credential, "--jwks", jwks_path)

    assert ok
    assert report["status"] == "valid"
    assert report["revocation_checked"] is False


def test_verifier_says_revoked_with_a_list_fetched_after_revocation(
    document: IssuedDocument, approver: User, tmp_path: Path
):
    document_revoke(actor=approver, document=document, reason="เหตุผล")
    jwks_path, list_path = _files(tmp_path)

    report, ok = _verify(document.qr_payload, "--jwks", jwks_path, "--status-list", list_path)

    assert not ok
    assert report["status"] == "revoked"


def test_verifier_uses_this_servers_keys_and_list_when_given_no_files(document: IssuedDocument, approver: User):
    valid, valid_ok = _verify(document.qr_payload)
    document_revoke(actor=approver, document=document, reason="เหตุผล")
    revoked, revoked_ok = _verify(document.qr_payload)

    assert (valid["status"], valid_ok, valid["revocation_checked"]) == ("valid", True, True)
    assert (revoked["status"], revoked_ok) == ("revoked", False)


def test_verifier_says_expired_after_the_last_valid_day(agency: Agency, citizen: User, tmp_path: Path):
    document = issue(agency=agency, holder=citizen, valid_days=30)
    jwks_path, list_path = _files(tmp_path)
    last_day = document.valid_until.isoformat()
    day_after = (document.valid_until + dt.timedelta(days=1)).isoformat()

    args = (document.qr_payload, "--jwks", jwks_path, "--status-list", list_path)

    on_last_day, ok_last = _verify(*args, "--on", last_day)
    after, ok_after = _verify(*args, "--on", day_after)

    assert (on_last_day["status"], ok_last) == ("valid", True)
    assert (after["status"], ok_after) == ("expired", False)


def test_verifier_says_invalid_for_a_forged_name(document: IssuedDocument, tmp_path: Path):
    jwks_path, list_path = _files(tmp_path)
    forged = _forge(document.credential, name="นายปลอม ตัวจริง")

    report, ok = _verify(forged, "--jwks", jwks_path, "--status-list", list_path)

    assert not ok
    assert report["status"] == "invalid"
    assert report["holder_name"] is None  # nothing from a forged token is reported as fact


def test_verifier_says_invalid_for_an_extended_validity(document: IssuedDocument, tmp_path: Path):
    jwks_path, _ = _files(tmp_path)

    report, ok = _verify(_forge(document.credential, until="2999-12-31"), "--jwks", jwks_path)

    assert (report["status"], ok) == ("invalid", False)


def test_verifier_says_invalid_for_a_token_signed_with_another_key_under_the_agencys_kid(
    document: IssuedDocument, tmp_path: Path
):
    jwks_path, _ = _files(tmp_path)
    attacker = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    header = {"alg": "ES256", "kid": document.signing_kid, "typ": "doc+jwt"}
    token = jws.serialize_compact(header, json.dumps(_claims(document.credential)).encode(), attacker)

    report, ok = _verify(token, "--jwks", jwks_path)

    assert (report["status"], ok) == ("invalid", False)


def test_verifier_says_unknown_key_for_a_token_signed_by_a_key_not_published(document: IssuedDocument, tmp_path: Path):
    jwks_path, _ = _files(tmp_path)
    attacker = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    header = {"alg": "ES256", "kid": "attacker-key-0001", "typ": "doc+jwt"}
    token = jws.serialize_compact(header, json.dumps(_claims(document.credential)).encode(), attacker)

    report, ok = _verify(token, "--jwks", jwks_path)

    assert (report["status"], ok) == ("unknown_key", False)


def test_verifier_refuses_another_agencys_key_vouching_for_this_agency(
    document: IssuedDocument, other_agency: Agency, tmp_path: Path
):
    other = signing_identity(agency_code="DBD")
    issue(agency=other_agency, holder=document.holder)  # publishes DBD's key
    jwks_path = tmp_path / "jwks.json"
    jwks_path.write_text(json.dumps(_jwks()))
    header = {"alg": "ES256", "kid": other.kid, "typ": "doc+jwt"}
    token = jws.serialize_compact(header, json.dumps(_claims(document.credential)).encode(), other.jose_key)

    report, ok = _verify(token, "--jwks", str(jwks_path))

    assert (report["status"], ok) == ("invalid", False)


def test_verifier_refuses_a_revocation_list_passed_off_as_a_credential(document: IssuedDocument, tmp_path: Path):
    jwks_path, list_path = _files(tmp_path)

    report, ok = _verify(Path(list_path).read_text(), "--jwks", jwks_path)

    assert (report["status"], ok) == ("invalid", False)


def test_verifier_refuses_an_expired_revocation_list(document: IssuedDocument):
    identity = signing_identity(agency_code="EXCISE")
    stale = status_list_sign(identity=identity, revoked=[], issued_at=timezone.now() - dt.timedelta(days=2), ttl=86400)

    result = credential_check(
        qr_payload=document.qr_payload,
        jwks=_jwks("EXCISE"),
        status_list=stale,
        today=timezone.localdate(),
        now=timezone.now(),
    )

    assert result.status == CheckStatus.STATUS_LIST_INVALID
    assert "expired" in result.reason


def test_verifier_refuses_a_revocation_list_of_another_agency(
    document: IssuedDocument, other_agency: Agency, citizen: User, tmp_path: Path
):
    issue(agency=other_agency, holder=citizen)
    jwks_path = tmp_path / "jwks.json"
    jwks_path.write_text(json.dumps(_jwks()))
    list_path = tmp_path / "dbd.jwt"
    list_path.write_text(_status_list("DBD"))

    report, ok = _verify(document.qr_payload, "--jwks", str(jwks_path), "--status-list", str(list_path))

    assert (report["status"], ok) == ("status_list_invalid", False)


@pytest.mark.parametrize("payload", ["", "not a token", "a.b", "!!.??.##", "x" * 5000])
def test_verifier_says_invalid_for_garbage(document: IssuedDocument, tmp_path: Path, payload: str):
    jwks_path, _ = _files(tmp_path)

    report, ok = _verify(payload, "--jwks", jwks_path)

    assert (report["status"], ok) == ("invalid", False)


def test_verifier_reports_an_unreadable_key_file(document: IssuedDocument, tmp_path: Path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("verify_credential", document.credential, "--jwks", str(tmp_path / "missing.json"))
