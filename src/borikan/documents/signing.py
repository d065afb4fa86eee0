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

    A key in a hardware module (HSM, smart card) is named through PKCS#11::

        {"DLT": {"pkcs11": {"module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "borikan",
                            "key_label": "DLT-signing", "pin_env": "BORIKAN_PKCS11_PIN_DLT",
                            "cert_label": "DLT-signing", "certificate": "/etc/borikan/pki/dlt.cert.pem",
                            "chain": ["/etc/borikan/pki/issuing-ca.pem"]}}}

    ``certificate`` (a PEM file) is optional: without it the certificate is read from the token by
    ``cert_label`` (default: ``key_label``). The user PIN is read from the environment variable ``pin_env``.
    The key never leaves the module: PDFs are signed through pyHanko's PKCS#11 signer, and the credential and
    revocation-list JWS through the same key (raw ECDSA over a digest computed here, or RSA PKCS#1 v1.5).
``BORIKAN_SIGNING_DEV_KEYS``
    True allows agencies missing from ``BORIKAN_SIGNING_KEYS`` to sign with a key of the local development CA,
    creating it on first use. Default: ``DEBUG``, or the local/test settings modules. Never in production.
``BORIKAN_SIGNING_DIR``
    Where the development CA lives (default ``var/pki``; see `devpki.py`).
``BORIKAN_SIGNING_TSA_URL``
    An RFC 3161 time-stamping authority: when set, signatures are PAdES B-T instead of B-B.

"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
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
    kind: str  # "pkcs12", "pem", "pkcs11" or "dev"
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
            if isinstance(entry.get("pkcs11"), dict):
                module = entry["pkcs11"]
                chain = module.get("chain") or ()
                chain = (chain,) if isinstance(chain, str) else tuple(chain)
                paths = (
                    str(module.get("module", "")),
                    str(module.get("token_label", "")),
                    str(module.get("key_label", "")),
                    str(module.get("cert_label", "") or module.get("key_label", "")),
                    str(module.get("certificate", "")),
                    *map(str, chain),
                )
                return KeySource(code, "pkcs11", paths, str(module.get("pin_env", "")))
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
    private_key: PrivateKey | None  # None when the key lives in a PKCS#11 module
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: str
    kid: str
    jws_alg: str
    digest_algorithm: str
    public_jwk: dict[str, Any]
    jose_key: ECKey | RSAKey  # the private key for stored keys; only the public key for PKCS#11
    pades_signer: Any
    raw_jws_signer: Any  # bytes (the JWS signing input) -> the JWS signature (r || s for ECDSA)
    lock: Any = None  # PKCS#11 sessions take one operation at a time
    close: Any = None  # closes the PKCS#11 session (the token logs out when its last session closes)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def jws_signature(self, signing_input: bytes) -> bytes:
        """The JWS signature (RFC 7515/7518) of `signing_input` with the agency's key, wherever the key lives."""
        with self.lock or contextlib.nullcontext():
            return self.raw_jws_signer(signing_input)


def _jws_parameters(public_key: Any) -> tuple[str, str, int]:
    """(JWS algorithm, digest algorithm, EC coordinate size or 0) for a public key, or ValueError."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = public_key.curve.name
        if curve not in _JWS_ALG_BY_CURVE:
            raise ValueError(f"unsupported EC curve {curve}")
        return _JWS_ALG_BY_CURVE[curve], _HASH_BY_CURVE[curve], (public_key.curve.key_size + 7) // 8
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise ValueError("RSA keys must have at least 2048 bits")
        return "RS256", "sha256", 0
    raise ValueError(f"unsupported key type {type(public_key).__name__}")


def _software_jws_signer(private_key: PrivateKey, digest_algorithm: str, coordinate_size: int):
    hash_algorithm = getattr(hashes, digest_algorithm.upper())()

    def sign(data: bytes) -> bytes:
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hash_algorithm)))
            return r.to_bytes(coordinate_size, "big") + s.to_bytes(coordinate_size, "big")
        return private_key.sign(data, padding.PKCS1v15(), hash_algorithm)

    return sign


def _identity(
    *,
    agency_code: str,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    source: str,
    private_key: PrivateKey | None,
    pades_signer: Any,
    raw_jws_signer: Any,
    lock: Any = None,
    close: Any = None,
) -> SigningIdentity:
    import base64

    public_key = certificate.public_key()
    jws_alg, digest_algorithm, _ = _jws_parameters(public_key)
    key_class = ECKey if isinstance(public_key, ec.EllipticCurvePublicKey) else RSAKey
    jose_key = key_class.import_key(private_key if private_key is not None else public_key)
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
        pades_signer=pades_signer,
        raw_jws_signer=raw_jws_signer,
        lock=lock,
        close=close,
    )


def identity_from_objects(
    *,
    agency_code: str,
    private_key: Any,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] = (),
    source: str,
) -> SigningIdentity:
    """Check that the key fits the certificate and build everything signing needs from them."""
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"unsupported key type {type(private_key).__name__}")
    _, digest_algorithm, coordinate_size = _jws_parameters(private_key.public_key())
    public_der = serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(
        serialization.Encoding.DER, public_der
    ) != private_key.public_key().public_bytes(serialization.Encoding.DER, public_der):
        raise ValueError("the certificate does not belong to the private key")
    return _identity(
        agency_code=agency_code,
        certificate=certificate,
        chain=chain,
        source=source,
        private_key=private_key,
        pades_signer=InMemorySigner.build(private_key=private_key, certificate=certificate, chain=chain),
        raw_jws_signer=_software_jws_signer(private_key, digest_algorithm, coordinate_size),
    )


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _pkcs11_identity(source: KeySource) -> SigningIdentity:
    """An identity whose key stays in a PKCS#11 module: pyHanko's PKCS11Signer signs the PDFs, the same key
    object (raw ECDSA over our digest, which every module offers; or RSA PKCS#1 v1.5) signs the JWS."""
    import hashlib

    import pkcs11
    from pkcs11 import Attribute, Mechanism, ObjectClass
    from pkcs11.exceptions import PKCS11Error, UserAlreadyLoggedIn
    from pyhanko.sign.pkcs11 import PKCS11Signer

    module, token_label, key_label, cert_label, cert_path, *chain_paths = source.paths
    if not (module and token_label and key_label):
        raise ValueError("a pkcs11 key needs its module, token_label and key_label")
    if not source.passphrase_env or os.environ.get(source.passphrase_env) is None:
        raise ValueError(f"the environment variable {source.passphrase_env or '(pin_env)'} (the token PIN) is not set")
    pin = os.environ[source.passphrase_env]
    chain: list[x509.Certificate] = []
    for chain_path in chain_paths:
        chain.extend(x509.load_pem_x509_certificates(Path(chain_path).read_bytes()))
    try:
        token = pkcs11.lib(module).get_token(token_label=token_label)
        try:
            session = token.open(user_pin=pin)
        except UserAlreadyLoggedIn:
            # The login is per process and token: another agency's key on the same token logged in already.
            session = token.open()
        if cert_path:
            certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        else:
            stored = session.get_key(object_class=ObjectClass.CERTIFICATE, label=cert_label)
            certificate = x509.load_der_x509_certificate(stored[Attribute.VALUE])
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
    except PKCS11Error as error:
        raise ValueError(f"PKCS#11: {type(error).__name__} {error}") from error
    public_key = certificate.public_key()
    _, digest_algorithm, coordinate_size = _jws_parameters(public_key)
    is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)

    def raw_jws_signer(data: bytes) -> bytes:
        if is_ec:
            signature = key.sign(hashlib.new(digest_algorithm, data).digest(), mechanism=Mechanism.ECDSA)
            if len(signature) != 2 * coordinate_size:
                raise ValueError("the module returned an ECDSA signature of the wrong size")
            return signature
        return key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)

    pades_signer = PKCS11Signer(
        session,
        signing_cert=_asn1(certificate),
        ca_chain=[_asn1(cert) for cert in chain],
        key_label=key_label,
        embed_roots=True,
        use_raw_mechanism=is_ec,  # modules such as SoftHSM offer CKM_ECDSA but not CKM_ECDSA_SHA256
    )
    identity = _identity(
        agency_code=source.agency_code,
        certificate=certificate,
        chain=tuple(chain),
        source=f"pkcs11:{module}:{token_label}:{key_label}",
        private_key=None,
        pades_signer=pades_signer,
        raw_jws_signer=raw_jws_signer,
        lock=threading.Lock(),
        close=session.close,
    )
    # The token's key must be the certificate's: sign a probe and check it with the certificate.
    probe = b"borikan signing key check"
    try:
        signature = identity.jws_signature(probe)
    except PKCS11Error as error:
        raise ValueError(f"PKCS#11: {type(error).__name__} {error}") from error
    try:
        if is_ec:
            r, s = int.from_bytes(signature[:coordinate_size]), int.from_bytes(signature[coordinate_size:])
            public_key.verify(encode_dss_signature(r, s), probe, ec.ECDSA(getattr(hashes, digest_algorithm.upper())()))
        else:
            public_key.verify(signature, probe, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ValueError("the certificate does not belong to the key in the PKCS#11 module") from None
    return identity


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
    if source.kind == "pkcs11":
        return _pkcs11_identity(source)
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
            except (OSError, ValueError, TypeError, ImportError) as error:
                logger.error("cannot load the signing key of agency %s (%s): %s", agency_code, source.kind, error)
                raise SigningUnavailable(agency_code) from error
            _cache[source] = identity
    return identity


def forget_loaded_identities() -> None:
    """Drop the keys kept in memory (after a key rotation, or between tests that change the settings)."""
    with _cache_lock:
        identities = list(_cache.values())
        _cache.clear()
    for identity in identities:
        if identity.close is not None:
            with identity.lock or contextlib.nullcontext():
                try:
                    identity.close()
                except Exception as error:  # an already closed or lost session: nothing left to release
                    logger.warning("closing the PKCS#11 session of %s: %s", identity.agency_code, error)


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
    with identity.lock or contextlib.nullcontext():
        asyncio.run(pdf_signer.async_sign_pdf(writer, bytes_reserved=reserved, output=output))
    return output.getvalue()
