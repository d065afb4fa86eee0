"""A local certificate authority and one signing certificate per agency, for development and tests only.

Layout under the directory (`BORIKAN_SIGNING_DIR`, by default `var/pki/`, never committed):

    ca.key.pem  ca.cert.pem                     the development CA (ECDSA P-256, ten years)
    agencies/<CODE>.key.pem  <CODE>.cert.pem    each agency's signing key and certificate (two years)

Keys are written with mode 0600 and unencrypted: they protect nothing real. Creation holds an exclusive
file lock, so two processes issuing the first document of an agency at once create one key, not two.
Production never comes here: it loads keys from configuration (see `signing.py`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALID_DAYS = 3650
AGENCY_VALID_DAYS = 730
CA_COMMON_NAME = "borikan development CA (not trusted)"


@dataclass(frozen=True)
class AgencyKeyFiles:
    key: Path
    certificate: Path
    ca_certificate: Path


def agency_key_files(directory: Path, agency_code: str) -> AgencyKeyFiles:
    code = normalise_code(agency_code)
    return AgencyKeyFiles(
        key=directory / "agencies" / f"{code}.key.pem",
        certificate=directory / "agencies" / f"{code}.cert.pem",
        ca_certificate=directory / "ca.cert.pem",
    )


def normalise_code(agency_code: str) -> str:
    code = agency_code.strip().upper()
    if not code or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise ValueError(f"not an agency code: {agency_code!r}")
    return code


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write atomically: a reader sees the old file or the whole new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    temporary.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ensure_ca(directory: Path, *, force: bool = False) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_path, cert_path = directory / "ca.key.pem", directory / "ca.cert.pem"
    if not force and key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path} is not an EC key")
        return key, certificate
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "borikan development"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
        ]
    )
    now = _now()
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM), private=False)
    return key, certificate


def _agency_certificate(
    *,
    agency_code: str,
    agency_name: str,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
) -> x509.Certificate:
    now = _now()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name[:64] or agency_code),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency_code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{agency_code} document signing (development)"),
        ]
    )
    ca_ski = ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=AGENCY_VALID_DAYS), ca_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def ensure_agency_keys(
    directory: Path, *, agency_code: str, agency_name: str = "", force: bool = False
) -> tuple[AgencyKeyFiles, bool]:
    """The agency's development key files, created (with the CA, if missing) when absent or when `force`.

    Returns the files and whether they were created now.
    """
    code = normalise_code(agency_code)
    files = agency_key_files(directory, code)
    with _locked(directory):
        if not force and files.key.exists() and files.certificate.exists():
            return files, False
        ca_key, ca_certificate = _ensure_ca(directory)
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _agency_certificate(
            agency_code=code,
            agency_name=agency_name,
            public_key=key.public_key(),
            ca_key=ca_key,
            ca_certificate=ca_certificate,
        )
        # The key first: a reader that finds the new certificate always finds its key beside it.
        _write(files.key, _key_pem(key), private=True)
        _write(files.certificate, certificate.public_bytes(serialization.Encoding.PEM), private=False)
    return files, True


def read_agency_pems(
    directory: Path, *, agency_code: str, agency_name: str = "", create: bool
) -> tuple[bytes, bytes, bytes] | None:
    """(key, certificate, CA certificate) PEM bytes of an agency, read under the lock so that a concurrent
    re-creation is never seen half-way; created first when missing and `create`. None when missing."""
    files = agency_key_files(directory, agency_code)
    if create:
        ensure_agency_keys(directory, agency_code=agency_code, agency_name=agency_name)
    with _locked(directory):
        if not (files.key.exists() and files.certificate.exists() and files.ca_certificate.exists()):
            return None
        return files.key.read_bytes(), files.certificate.read_bytes(), files.ca_certificate.read_bytes()


def ensure_ca(directory: Path, *, force: bool = False) -> Path:
    """The development CA's certificate file, created when absent (or re-created when `force`)."""
    with _locked(directory):
        _ensure_ca(directory, force=force)
    return directory / "ca.cert.pem"


def issue_agency_certificate(
    directory: Path,
    *,
    agency_code: str,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    agency_name: str = "",
) -> tuple[x509.Certificate, x509.Certificate]:
    """(certificate, CA certificate): a development certificate for an agency key held elsewhere, e.g. generated
    inside a PKCS#11 token, signed by the development CA (created when missing)."""
    with _locked(directory):
        ca_key, ca_certificate = _ensure_ca(directory)
    certificate = _agency_certificate(
        agency_code=normalise_code(agency_code),
        agency_name=agency_name,
        public_key=public_key,
        ca_key=ca_key,
        ca_certificate=ca_certificate,
    )
    return certificate, ca_certificate
