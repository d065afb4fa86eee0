"""PAdES signatures on issued PDFs, checked by pyHanko's validator and by poppler's `pdfsig`; where keys come from."""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import CommandError, call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from borikan.agencies.models import Agency
from borikan.core.errors import ApplicationError
from borikan.documents import devpki
from borikan.documents.models import DocumentNumberCounter, IssuedDocument, SigningCertificate
from borikan.documents.services import document_render_unsigned
from borikan.documents.signing import sign_pdf, signing_identity
from borikan.identity.models import User

from .conftest import issue

pytestmark = pytest.mark.django_db

PDFSIG = shutil.which("pdfsig")
needs_pdfsig = pytest.mark.skipif(
    PDFSIG is None, reason="poppler's pdfsig is not installed (Debian package poppler-utils)"
)


def _ca_certificate(signing_dir: Path) -> asn1_x509.Certificate:
    pem = (signing_dir / "ca.cert.pem").read_bytes()
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))


def _pyhanko_status(pdf: bytes, signing_dir: Path):
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    signature = reader.embedded_signatures[0]
    context = ValidationContext(trust_roots=[_ca_certificate(signing_dir)], allow_fetching=False)
    return signature, validate_pdf_signature(signature, context)


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    # pdfsig exits non-zero when a signature does not verify; the report on stdout is what we check.
    result = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, timeout=30, check=False)
    return result.stdout + result.stderr


def _tampered(pdf: bytes) -> bytes:
    """The PDF with one byte of the signed content changed (a letter of the producer's name)."""
    at = pdf.index(b"/Producer (WeasyPrint") + len(b"/Producer (")
    assert at < pdf.index(b"/ByteRange")
    return pdf[:at] + b"X" + pdf[at + 1 :]


def test_issued_pdf_carries_a_valid_pades_signature_by_the_agency_for_pyhanko(
    document: IssuedDocument, dev_signing_keys: Path
):
    signature, status = _pyhanko_status(document.pdf.read(), dev_signing_keys)

    assert status.intact and status.valid
    assert status.trusted  # chains to the development CA given as trust root
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.md_algorithm == "sha256"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert "EXCISE" in signature.signer_cert.subject.human_friendly


def test_stored_sha256_is_that_of_the_signed_pdf(document: IssuedDocument):
    stored = document.pdf.read()

    assert b"/ByteRange" in stored
    assert hashlib.sha256(stored).hexdigest() == document.sha256


@needs_pdfsig
def test_pdfsig_reports_the_signature_valid_and_the_development_ca_untrusted(document: IssuedDocument, tmp_path: Path):
    report = _pdfsig(document.pdf.read(), tmp_path)

    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate issuer isn't Trusted." in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report


def test_pyhanko_reports_a_byte_changed_after_signing(document: IssuedDocument, dev_signing_keys: Path):
    _, status = _pyhanko_status(_tampered(document.pdf.read()), dev_signing_keys)

    assert not status.intact
    assert not status.bottom_line


@needs_pdfsig
def test_pdfsig_reports_a_byte_changed_after_signing(document: IssuedDocument, tmp_path: Path):
    report = _pdfsig(_tampered(document.pdf.read()), tmp_path)

    assert "Signature Validation: Digest Mismatch." in report
    assert "Signature is Valid." not in report


def test_issue_creates_the_development_key_on_first_use(agency: Agency, citizen: User, settings, tmp_path: Path):
    settings.BORIKAN_SIGNING_DIR = tmp_path / "fresh"

    document = issue(agency=agency, holder=citizen)

    files = devpki.agency_key_files(tmp_path / "fresh", "EXCISE")
    assert files.key.is_file() and files.certificate.is_file() and files.ca_certificate.is_file()
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert SigningCertificate.objects.get(kid=document.signing_kid).agency == agency


def test_issue_fails_clearly_and_stores_nothing_without_a_key_outside_development(
    agency: Agency, citizen: User, settings, private_storage: Path
):
    settings.BORIKAN_SIGNING_DEV_KEYS = False
    settings.BORIKAN_SIGNING_KEYS = {}

    with pytest.raises(ApplicationError) as caught:
        issue(agency=agency, holder=citizen)

    assert caught.value.code == "signing_key_unavailable"
    assert caught.value.status == 503
    assert IssuedDocument.objects.count() == 0
    assert DocumentNumberCounter.objects.count() == 0
    assert not private_storage.exists() or not any(private_storage.rglob("*.pdf"))


def test_the_parsed_key_is_kept_in_memory_between_signatures(agency: Agency):
    first = signing_identity(agency_code="EXCISE")

    assert signing_identity(agency_code="excise") is first


def _production_key(tmp_path: Path, agency: Agency) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path]:
    """A key and certificate from a CA, as an agency would receive them (made here with the dev CA code)."""
    files, _ = devpki.ensure_agency_keys(tmp_path / "issuer", agency_code=agency.code, agency_name=agency.name_en)
    key = serialization.load_pem_private_key(files.key.read_bytes(), None)
    return key, x509.load_pem_x509_certificate(files.certificate.read_bytes()), files.ca_certificate


def test_production_key_loads_from_pkcs12_with_the_passphrase_from_the_environment(
    agency: Agency, citizen: User, settings, tmp_path: Path, monkeypatch
):
    key, certificate, ca_path = _production_key(tmp_path, agency)
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    bundle = tmp_path / "excise.p12"
    encryption = serialization.BestAvailableEncryption(b"s3cret-pass")
    bundle.write_bytes(pkcs12.serialize_key_and_certificates(b"excise", key, certificate, [ca], encryption))
    monkeypatch.setenv("BORIKAN_TEST_P12_PASS", "s3cret-pass")
    settings.BORIKAN_SIGNING_DEV_KEYS = False
    settings.BORIKAN_SIGNING_KEYS = {"excise": {"pkcs12": str(bundle), "passphrase_env": "BORIKAN_TEST_P12_PASS"}}

    document = issue(agency=agency, holder=citizen)

    signature, status = _pyhanko_status(document.pdf.read(), tmp_path / "issuer")
    assert status.bottom_line
    assert signature.signer_cert.dump() == certificate.public_bytes(serialization.Encoding.DER)


def test_production_key_loads_from_pem_files_with_an_encrypted_key(
    agency: Agency, citizen: User, settings, tmp_path: Path, monkeypatch
):
    key, certificate, ca_path = _production_key(tmp_path, agency)
    key_path = tmp_path / "excise.key.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pem-pass"),
        )
    )
    cert_path = tmp_path / "excise.cert.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv("BORIKAN_TEST_PEM_PASS", "pem-pass")
    settings.BORIKAN_SIGNING_DEV_KEYS = False
    settings.BORIKAN_SIGNING_KEYS = {
        "EXCISE": {
            "key": str(key_path),
            "certificate": str(cert_path),
            "chain": [str(ca_path)],
            "passphrase_env": "BORIKAN_TEST_PEM_PASS",
        }
    }

    document = issue(agency=agency, holder=citizen)

    _, status = _pyhanko_status(document.pdf.read(), tmp_path / "issuer")
    assert status.bottom_line


def test_a_wrong_passphrase_makes_signing_unavailable(agency: Agency, settings, tmp_path: Path, monkeypatch):
    key, certificate, _ = _production_key(tmp_path, agency)
    bundle = tmp_path / "excise.p12"
    encryption = serialization.BestAvailableEncryption(b"right")
    bundle.write_bytes(pkcs12.serialize_key_and_certificates(b"excise", key, certificate, None, encryption))
    monkeypatch.setenv("BORIKAN_TEST_P12_PASS", "wrong")
    settings.BORIKAN_SIGNING_KEYS = {"EXCISE": {"pkcs12": str(bundle), "passphrase_env": "BORIKAN_TEST_P12_PASS"}}

    with pytest.raises(ApplicationError) as caught:
        signing_identity(agency_code="EXCISE")

    assert caught.value.code == "signing_key_unavailable"


def test_a_certificate_that_is_not_the_keys_makes_signing_unavailable(agency: Agency, settings, tmp_path: Path):
    _, certificate, _ = _production_key(tmp_path, agency)
    other_key = ec.generate_private_key(ec.SECP256R1())
    key_path, cert_path = tmp_path / "other.key.pem", tmp_path / "excise.cert.pem"
    key_path.write_bytes(
        other_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    settings.BORIKAN_SIGNING_KEYS = {"EXCISE": {"key": str(key_path), "certificate": str(cert_path)}}

    with pytest.raises(ApplicationError) as caught:
        signing_identity(agency_code="EXCISE")

    assert caught.value.code == "signing_key_unavailable"


def test_create_signing_keys_makes_a_ca_and_a_certificate_per_agency(
    agency: Agency, other_agency: Agency, tmp_path: Path
):
    out = io.StringIO()

    call_command("create_signing_keys", "--dir", str(tmp_path), stdout=out)

    ca = x509.load_pem_x509_certificate((tmp_path / "ca.cert.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for code in ("EXCISE", "DBD"):
        certificate = x509.load_pem_x509_certificate(devpki.agency_key_files(tmp_path, code).certificate.read_bytes())
        certificate.verify_directly_issued_by(ca)
        assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
        assert f"created {code}:" in out.getvalue()


def test_create_signing_keys_keeps_existing_keys_unless_forced(agency: Agency, tmp_path: Path):
    call_command("create_signing_keys", "--dir", str(tmp_path), "--agency", "EXCISE", stdout=io.StringIO())
    certificate_path = devpki.agency_key_files(tmp_path, "EXCISE").certificate
    first = certificate_path.read_bytes()

    call_command("create_signing_keys", "--dir", str(tmp_path), "--agency", "excise", stdout=io.StringIO())
    kept = certificate_path.read_bytes()
    call_command("create_signing_keys", "--dir", str(tmp_path), "--agency", "EXCISE", "--force", stdout=io.StringIO())

    assert kept == first
    assert certificate_path.read_bytes() != first


def test_create_signing_keys_refuses_an_unknown_agency(agency: Agency, tmp_path: Path):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("create_signing_keys", "--dir", str(tmp_path), "--agency", "NOPE", stdout=io.StringIO())

    assert not (tmp_path / "ca.cert.pem").exists()


def _test_tsa(signing_dir: Path):
    """An in-process time-stamping authority whose certificate the development CA issues (for B-T)."""
    import datetime as dt

    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps import DummyTimeStamper

    ca_key = serialization.load_pem_private_key((signing_dir / "ca.key.pem").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((signing_dir / "ca.cert.pem").read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA signs with RSA only
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "borikan test TSA")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
    )


def test_signature_with_a_time_stamping_authority_is_pades_b_t(document: IssuedDocument, dev_signing_keys: Path):
    pdf = sign_pdf(
        identity=signing_identity(agency_code="EXCISE"),
        pdf=document_render_unsigned(document=document),
        reason="test",
        location="Thailand",
        timestamper=_test_tsa(dev_signing_keys),
    )

    _, status = _pyhanko_status(pdf, dev_signing_keys)
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid


def test_an_rsa_agency_key_signs_pades_and_rs256_credentials(document: IssuedDocument, dev_signing_keys: Path):
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    from django.utils import timezone

    from borikan.documents.credentials import credential_check, credential_sign, published_jwk
    from borikan.documents.signing import identity_from_objects

    ca_key = serialization.load_pem_private_key((dev_signing_keys / "ca.key.pem").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((dev_signing_keys / "ca.cert.pem").read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EXCISE RSA signing")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )  # digitalSignature, nonRepudiation
        .sign(ca_key, hashes.SHA256())
    )
    identity = identity_from_objects(
        agency_code="EXCISE", private_key=key, certificate=certificate, chain=(ca,), source="test"
    )

    pdf = sign_pdf(identity=identity, pdf=document_render_unsigned(document=document), reason="t", location="TH")
    token = credential_sign(
        identity=identity,
        number=document.number,
        holder_name=document.holder_name,
        issued_at=document.issued_at,
        valid_from=document.valid_from,
        valid_until=document.valid_until,
        digest="x" * 43,
    )
    check = credential_check(
        qr_payload=token,
        jwks={"keys": [published_jwk(agency_code="EXCISE", public_jwk=identity.public_jwk)]},
        status_list=None,
        today=timezone.localdate(),
        now=timezone.now(),
    )

    assert identity.jws_alg == "RS256"
    assert _pyhanko_status(pdf, dev_signing_keys)[1].bottom_line
    assert check.status == "valid"
