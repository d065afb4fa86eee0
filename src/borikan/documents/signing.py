"""Agency signing keys: where they come from, kept parsed in memory once per process, and PAdES signing.

Settings read (all optional; `getattr(settings, NAME, default)`):

``BORIKAN_SIGNING_KEYS``
    Production key material per agency code, e.g.::

        {"DLT": {"pkcs12": "/etc/borikan/pki/dlt.p12", "passphrase_env": "BORIKAN_SIGNING_PASSPHRASE_DLT"},
         "DBD": {"key": "/etc/borikan/pki/dbd.key.pem", "certificate": "/etc/borikan/pki/dbd.cert.pem",
                 "chain": ["/etc/borikan/pki/issuing-ca.pem"], "passphrase_env": "BORIKAN_SIGNING_PASSPHRASE_DBD"}}

    A PKCS#12 file holds the key, its certificate and (optionally) the CA chain; PEM files name them one by
    one (``chain`` may be omitted). The passphrase is read from the environment variable named by
    ``passphrase_env`` (omit it for an unencrypted key). Keys may be ECDSA (P-256, P-384) or RSA (≥ 2048 bits).
``BORIKAN_SIGNING_DEV_KEYS``
    True allows agencies missing from ``BORIKAN_SIGNING_KEYS`` to sign with a key of the local development CA,
    creating it on first use. Default: ``DEBUG``, or the local/test settings modules. Never in production.
``BORIKAN_SIGNING_DIR``
    Where the development CA lives (default ``var/pki``; see `devpki.py`).
``BORIKAN_SIGNING_TSA_URL``
    An RFC 3161 time-stamping authority: when set, signatures are PAdES B-T instead of B-B.

PKCS#11 (hardware modules) is not supported here yet: the stored-key path is the one tested.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from joserfc.jwk import ECKey, RSAKey

from borikan.core.errors import ApplicationError

from . import devpki

logger = logging.getLogger(__name__)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_JWS_ALG_BY_CURVE = {"secp256r1": "ES256", "secp384r1": "ES384"}
_HASH_BY_CURVE = {"secp256r1": "sha256", "secp384r1": "sha384"}
# Room for the CMS signature: the agency certificate and its chain plus an ECDSA or RSA signature, and a
# timestamp token when B-T. Fixing it skips pyHanko's trial signature that would otherwise size it.
_CMS_BYTES_RESERVED = 12 * 1024
_CMS_BYTES_RESERVED_WITH_TIMESTAMP = 24 * 1024


class SigningUnavailable(ApplicationError):
    def __init__(self, agency_code: str) -> None:
        super().__init__(
            "signing_key_unavailable",
            f"ยังไม่มีกุญแจลงลายมือชื่ออิเล็กทรอนิกส์ที่ใช้ได้สำหรับหน่วยงาน {agency_code} จึงออกเอกสารไม่ได้",
            f"No usable signing key is configured for agency {agency_code}, so no document can be issued",
            status=503,
        )


@dataclass(frozen=True)
class KeySource:
    """Where one agency's key comes from, as configured."""

    agency_code: str
    kind: str  # "pkcs12", "pem" or "dev"
    paths: tuple[str, ...]
    passphrase_env: str = ""


@dataclass(frozen=True)
class SigningSettings:
    keys: dict[str, dict[str, Any]]
    dev_keys: bool
    directory: Path
    tsa_url: str

    @classmethod
    def current(cls) -> SigningSettings:
        module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
        dev_default = bool(settings.DEBUG) or module.endswith((".local", ".test"))
        configured = getattr(settings, "BORIKAN_SIGNING_KEYS", {}) or {}
        return cls(
            keys={str(code).upper(): dict(entry) for code, entry in configured.items()},
            dev_keys=bool(getattr(settings, "BORIKAN_SIGNING_DEV_KEYS", dev_default)),
            directory=Path(getattr(settings, "BORIKAN_SIGNING_DIR", Path(settings.VAR_DIR) / "pki")),
            tsa_url=str(getattr(settings, "BORIKAN_SIGNING_TSA_URL", "") or ""),
        )

    def source_for(self, agency_code: str) -> KeySource | None:
        code = devpki.normalise_code(agency_code)
        entry = self.keys.get(code)
        if entry is not None:
            passphrase_env = str(entry.get("passphrase_env", ""))
            if entry.get("pkcs12"):
                return KeySource(code, "pkcs12", (str(entry["pkcs12"]),), passphrase_env)
            chain = entry.get("chain") or ()
            chain = (chain,) if isinstance(chain, str) else tuple(chain)
            paths = (str(entry["key"]), str(entry["certificate"]), *map(str, chain))
            return KeySource(code, "pem", paths, passphrase_env)
        if self.dev_keys:
            return KeySource(code, "dev", (str(self.directory),))
        return None


class InMemorySigner:
    """Builds the pyHanko signer around a key parsed once, with what never changes between signatures prepared once.

    pyHanko's `SimpleSigner` re-parses the DER key on every signature (twice with its trial signature); this one
    signs with the `cryptography` key object. The PAdES signed attributes are what pyHanko's own PAdES spec
    yields (signing-certificate-v2 and no signing-time, which PAdES forbids), but the signing-certificate-v2
    value (the certificate's hash and issuer/serial) depends only on the certificate: it is computed once and
    re-loaded from DER for each signature, which takes the CMS from ~13 ms to ~1.5 ms (asn1crypto re-serialises
    the certificate otherwise).
    """

    @staticmethod
    def build(*, private_key: PrivateKey, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]):
        from asn1crypto import tsp
        from pyhanko.sign.attributes import CMSAttributeProvider
        from pyhanko.sign.general import as_signing_certificate_v2
        from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec, Signer
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def as_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        signing_cert = as_asn1(certificate)
        registry = SimpleCertificateStore.from_certs([as_asn1(cert) for cert in chain])
        signing_certificate_v2 = as_signing_certificate_v2(as_asn1(certificate)).dump()

        class _SigningCertificateV2(CMSAttributeProvider):
            attribute_type = "signing_certificate_v2"

            async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
                return tsp.SigningCertificateV2.load(signing_certificate_v2)

        class _PadesSignedAttributes(SignedAttributeProviderSpec):
            def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
                yield _SigningCertificateV2()

        class _Signer(Signer):
            async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
                hash_algorithm = getattr(hashes, digest_algorithm.upper().replace("-", ""))()
                if isinstance(private_key, ec.EllipticCurvePrivateKey):
                    return private_key.sign(data, ec.ECDSA(hash_algorithm))
                return private_key.sign(data, padding.PKCS1v15(), hash_algorithm)

        signer = _Signer(signing_cert=signing_cert, cert_registry=registry, embed_roots=True)
        signer.signed_attr_prov_spec = _PadesSignedAttributes()
        return signer


@dataclass(frozen=True, eq=False)
class SigningIdentity:
    """An agency's parsed key, certificate and chain, and what is derived from them once."""

    agency_code: str
    private_key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: str
    kid: str
    jws_alg: str
    digest_algorithm: str
    public_jwk: dict[str, Any]
    jose_key: ECKey | RSAKey
    pades_signer: Any

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def identity_from_objects(
    *,
    agency_code: str,
    private_key: Any,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] = (),
    source: str,
) -> SigningIdentity:
    """Check that the key fits the certificate and build everything signing needs from them."""
    import base64

    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        curve = private_key.curve.name
        if curve not in _JWS_ALG_BY_CURVE:
            raise ValueError(f"unsupported EC curve {curve}")
        jws_alg, digest_algorithm = _JWS_ALG_BY_CURVE[curve], _HASH_BY_CURVE[curve]
        jose_key: ECKey | RSAKey = ECKey.import_key(private_key)
    elif isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < 2048:
            raise ValueError("RSA keys must have at least 2048 bits")
        jws_alg, digest_algorithm = "RS256", "sha256"
        jose_key = RSAKey.import_key(private_key)
    else:
        raise ValueError(f"unsupported key type {type(private_key).__name__}")
    public_der = serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(
        serialization.Encoding.DER, public_der
    ) != private_key.public_key().public_bytes(serialization.Encoding.DER, public_der):
        raise ValueError("the certificate does not belong to the private key")
    # RFC 7638 thumbprint, shortened to 16 characters (96 bits) to keep the QR code small.
    kid = jose_key.thumbprint()[:16]
    public_jwk = {
        **jose_key.as_dict(private=False),
        "kid": kid,
        "alg": jws_alg,
        "use": "sig",
        "x5c": [
            base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for cert in (certificate, *chain)
        ],
    }
    return SigningIdentity(
        agency_code=agency_code,
        private_key=private_key,
        certificate=certificate,
        chain=chain,
        source=source,
        kid=kid,
        jws_alg=jws_alg,
        digest_algorithm=digest_algorithm,
        public_jwk=public_jwk,
        jose_key=jose_key,
        pades_signer=InMemorySigner.build(private_key=private_key, certificate=certificate, chain=chain),
    )


def _passphrase(source: KeySource) -> bytes | None:
    if not source.passphrase_env:
        return None
    value = os.environ.get(source.passphrase_env)
    if value is None:
        raise ValueError(f"the environment variable {source.passphrase_env} (the key's passphrase) is not set")
    return value.encode("utf-8")


def _load(source: KeySource, *, agency_name: str) -> SigningIdentity:
    if source.kind == "pkcs12":
        path = source.paths[0]
        key, certificate, extra = pkcs12.load_key_and_certificates(Path(path).read_bytes(), _passphrase(source))
        if key is None or certificate is None:
            raise ValueError(f"{path} holds no private key and certificate")
        return identity_from_objects(
            agency_code=source.agency_code,
            private_key=key,
            certificate=certificate,
            chain=tuple(extra),
            source=f"pkcs12:{path}",
        )
    if source.kind == "pem":
        key_path, cert_path, *chain_paths = source.paths
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), _passphrase(source))
        chain: list[x509.Certificate] = []
        for chain_path in chain_paths:
            chain.extend(x509.load_pem_x509_certificates(Path(chain_path).read_bytes()))
        return identity_from_objects(
            agency_code=source.agency_code,
            private_key=key,
            certificate=x509.load_pem_x509_certificate(Path(cert_path).read_bytes()),
            chain=tuple(chain),
            source=f"pem:{key_path}",
        )
    return dev_identity(Path(source.paths[0]), agency_code=source.agency_code, agency_name=agency_name, create=True)


def dev_identity(directory: Path, *, agency_code: str, agency_name: str = "", create: bool) -> SigningIdentity:
    """An agency's identity from the development CA directory, created there first when missing and `create`."""
    agency_code = devpki.normalise_code(agency_code)
    pems = devpki.read_agency_pems(directory, agency_code=agency_code, agency_name=agency_name, create=create)
    if pems is None:
        raise ValueError(f"no development key for {agency_code} under {directory}")
    key_pem, cert_pem, ca_pem = pems
    return identity_from_objects(
        agency_code=agency_code,
        private_key=serialization.load_pem_private_key(key_pem, None),
        certificate=x509.load_pem_x509_certificate(cert_pem),
        chain=(x509.load_pem_x509_certificate(ca_pem),),
        source=f"dev:{directory}",
    )


_cache: dict[KeySource, SigningIdentity] = {}
_cache_lock = threading.Lock()


def signing_identity(*, agency_code: str, agency_name: str = "") -> SigningIdentity:
    """The agency's signing identity, loaded (and in development created) on first use, then kept per process.

    Raises `SigningUnavailable` when no key is configured, the files cannot be read, the passphrase is wrong
    or the certificate does not match the key; the cause is logged, not shown.
    """
    source = SigningSettings.current().source_for(agency_code)
    if source is None:
        logger.error("no signing key configured for agency %s and development keys are not allowed", agency_code)
        raise SigningUnavailable(agency_code)
    with _cache_lock:
        identity = _cache.get(source)
        if identity is None:
            try:
                identity = _load(source, agency_name=agency_name)
            except (OSError, ValueError, TypeError) as error:
                logger.error("cannot load the signing key of agency %s (%s): %s", agency_code, source.kind, error)
                raise SigningUnavailable(agency_code) from error
            _cache[source] = identity
    return identity


def forget_loaded_identities() -> None:
    """Drop the keys kept in memory (after a key rotation, or between tests that change the settings)."""
    with _cache_lock:
        _cache.clear()


def _timestamper(tsa_url: str):
    if not tsa_url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(tsa_url, timeout=10)


def sign_pdf(*, identity: SigningIdentity, pdf: bytes, reason: str, location: str, timestamper: Any = None) -> bytes:
    """The PDF with an invisible PAdES signature (B-B; B-T with a time-stamping authority) by the agency.

    `timestamper` defaults to the configured TSA (`BORIKAN_SIGNING_TSA_URL`), if any.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    if timestamper is None:
        timestamper = _timestamper(SigningSettings.current().tsa_url)
    metadata = signers.PdfSignatureMetadata(
        field_name="AgencySignature",
        md_algorithm=identity.digest_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    pdf_signer = signers.PdfSigner(metadata, signer=identity.pades_signer, timestamper=timestamper)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    reserved = _CMS_BYTES_RESERVED_WITH_TIMESTAMP if timestamper is not None else _CMS_BYTES_RESERVED
    output = io.BytesIO()
    coroutine = pdf_signer.async_sign_pdf(writer, bytes_reserved=reserved, output=output)
    asyncio.run(coroutine)
    return output.getvalue()
