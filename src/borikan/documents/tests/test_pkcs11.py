"""Agency keys in a PKCS#11 module (SoftHSM2): the key is generated inside the token and never leaves it; a
licence is signed through pyHanko's PKCS#11 signer and validated by pyHanko and by poppler's `pdfsig`; the QR
credential and the revocation list are signed by the same key and verify offline."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.test import Client

from borikan.agencies.models import Agency
from borikan.core.errors import ApplicationError
from borikan.documents import devpki
from borikan.documents.models import IssuedDocument
from borikan.documents.services import document_revoke
from borikan.documents.signing import signing_identity
from borikan.identity.models import User

from .conftest import issue
from .test_signing import _pdfsig, _pyhanko_status, needs_pdfsig

SOFTHSM_MODULE = next(
    (
        path
        for path in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
        if Path(path).exists()
    ),
    None,
)
SOFTHSM_UTIL = shutil.which("softhsm2-util")
try:
    import pkcs11  # noqa: F401 - python-pkcs11, which pyHanko's PKCS#11 signer needs
except ImportError:  # pragma: no cover - pinned in pyproject
    HAVE_PYTHON_PKCS11 = False
else:
    HAVE_PYTHON_PKCS11 = True

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        SOFTHSM_MODULE is None or SOFTHSM_UTIL is None or not HAVE_PYTHON_PKCS11,
        reason="needs SoftHSM2 (Debian package softhsm2, installed by `make setup`) and python-pkcs11",
    ),
]

TOKEN_LABEL = "borikan-test"
USER_PIN = "87654321"
PIN_ENV = "BORIKAN_TEST_PKCS11_PIN"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SoftHSM2 token in a temporary directory (SOFTHSM2_CONF), initialised with a user PIN.

    The module reads SOFTHSM2_CONF when it is first loaded, so the variable stays set for the rest of the run.
    """
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [SOFTHSM_UTIL, "--init-token", "--free", "--label", TOKEN_LABEL, "--so-pin", "12345678", "--pin", USER_PIN],
        check=True,
        capture_output=True,
        timeout=30,
    )
    yield directory
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def _rw_session():
    """A read-write session on the test token, as an administrator setting up the agency's key would open."""
    import pkcs11 as p11

    return p11.lib(SOFTHSM_MODULE).get_token(token_label=TOKEN_LABEL).open(user_pin=USER_PIN, rw=True)


def _generate_key_in_token(label: str):
    """An ECDSA P-256 key pair generated inside the token (sensitive, not extractable); its public key."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    session = _rw_session()
    try:
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, private = parameters.generate_keypair(
            store=True,
            label=label,
            id=uuid.uuid4().bytes[:8],
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
        )
        assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
        return serialization.load_der_public_key(encode_ec_public_key(public))
    finally:
        session.close()


def _store_certificate_in_token(label: str, certificate: x509.Certificate) -> None:
    from pkcs11 import Attribute, CertificateType, ObjectClass

    session = _rw_session()
    try:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            }
        )
    finally:
        session.close()


@pytest.fixture
def hsm_agency_key(softhsm: Path, dev_signing_keys: Path, settings, monkeypatch, tmp_path: Path):
    """The EXCISE agency signs with a key in the token and a certificate from the development CA."""
    label = f"EXCISE-signing-{uuid.uuid4().hex[:8]}"
    public_key = _generate_key_in_token(label)
    certificate, ca_certificate = devpki.issue_agency_certificate(
        dev_signing_keys, agency_code="EXCISE", agency_name="กรมสรรพสามิต", public_key=public_key
    )
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv(PIN_ENV, USER_PIN)
    settings.BORIKAN_SIGNING_DEV_KEYS = False
    settings.BORIKAN_SIGNING_KEYS = {
        "excise": {
            "pkcs11": {
                "module": SOFTHSM_MODULE,
                "token_label": TOKEN_LABEL,
                "key_label": label,
                "pin_env": PIN_ENV,
                "chain": [str(ca_path)],
            }
        }
    }
    return label, certificate


def test_a_licence_is_signed_through_pkcs11_and_validated_by_pyhanko(
    hsm_agency_key, agency: Agency, citizen: User, dev_signing_keys: Path
):
    label, certificate = hsm_agency_key
    _store_certificate_in_token(label, certificate)  # read from the token: no certificate file configured

    document = issue(agency=agency, holder=citizen)

    identity = signing_identity(agency_code="EXCISE")
    assert identity.private_key is None and identity.source.startswith("pkcs11:")
    signature, status = _pyhanko_status(document.pdf.read(), dev_signing_keys)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.signer_cert.dump() == certificate.public_bytes(serialization.Encoding.DER)


@needs_pdfsig
def test_pdfsig_validates_the_pkcs11_signature(hsm_agency_key, agency: Agency, citizen: User, tmp_path: Path):
    _, certificate = hsm_agency_key
    cert_path = tmp_path / "agency.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    from django.conf import settings

    settings.BORIKAN_SIGNING_KEYS["excise"]["pkcs11"]["certificate"] = str(cert_path)  # from a file this time

    document = issue(agency=agency, holder=citizen)

    report = _pdfsig(document.pdf.read(), tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "EXCISE document signing" in report


def test_the_qr_credential_and_revocation_list_are_signed_in_the_token_and_verify_offline(
    hsm_agency_key, agency: Agency, citizen: User, approver: User, tmp_path: Path
):
    label, certificate = hsm_agency_key
    _store_certificate_in_token(label, certificate)
    document = issue(agency=agency, holder=citizen)

    def verify() -> dict:
        jwks_path, list_path = tmp_path / "jwks.json", tmp_path / "list.jwt"
        jwks_path.write_text(json.dumps(Client().get("/api/v1/documents/keys/EXCISE").json()))
        list_path.write_text(Client().get("/api/v1/documents/revocations/EXCISE").content.decode())
        out = io.StringIO()
        with contextlib.suppress(CommandError):  # the command exits non-zero for anything but valid
            call_command(
                "verify_credential", document.qr_payload, "--jwks", str(jwks_path), "--status-list", str(list_path),
                stdout=out,
            )  # fmt: skip
        return json.loads(out.getvalue())

    assert verify()["status"] == "valid"
    document_revoke(actor=approver, document=document, reason="ทดสอบ")
    assert verify()["status"] == "revoked"


def test_a_wrong_pin_makes_signing_unavailable_and_stores_nothing(
    hsm_agency_key, agency: Agency, citizen: User, monkeypatch, caplog
):
    monkeypatch.setenv(PIN_ENV, "00000000")

    with pytest.raises(ApplicationError) as refused:
        issue(agency=agency, holder=citizen)

    assert (refused.value.code, refused.value.status) == ("signing_key_unavailable", 503)
    assert "PinIncorrect" in caplog.text  # logged for the operator, never shown
    assert USER_PIN not in caplog.text and "00000000" not in caplog.text
    assert not IssuedDocument.objects.exists()


def test_a_certificate_for_another_key_makes_signing_unavailable(
    hsm_agency_key, agency: Agency, citizen: User, dev_signing_keys: Path, tmp_path: Path, caplog
):
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.conf import settings

    other, _ = devpki.issue_agency_certificate(
        dev_signing_keys, agency_code="EXCISE", public_key=ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    cert_path = tmp_path / "other.pem"
    cert_path.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    settings.BORIKAN_SIGNING_KEYS["excise"]["pkcs11"]["certificate"] = str(cert_path)

    with pytest.raises(ApplicationError) as refused:
        issue(agency=agency, holder=citizen)

    assert refused.value.code == "signing_key_unavailable"
    assert "does not belong to the key in the PKCS#11 module" in caplog.text
    assert not IssuedDocument.objects.exists()
