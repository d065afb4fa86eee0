"""Check the credential in a licence's QR code offline, with an agency's published keys and revocation list."""

import base64
import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from borikan.core.errors import ApplicationError
from borikan.documents import selectors, services
from borikan.documents.credentials import credential_check, token_from_qr_payload


def _unverified_issuer(token: str) -> str:
    """The agency a credential claims, read without trusting it: only to pick which local list to sign."""
    try:
        encoded = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (IndexError, ValueError):
        return ""
    return claims.get("iss", "") if isinstance(claims, dict) and isinstance(claims.get("iss"), str) else ""


class Command(BaseCommand):
    help = (
        "Check a QR payload (the verification URL with the credential after '#', or the bare token; '-' reads it "
        "from standard input) offline: its signature against the published keys (--jwks, the JSON of "
        "GET /api/v1/documents/keys), its validity, and revocation (--status-list, the body of "
        "GET /api/v1/documents/revocations/<agency>). Without --jwks, this server's own keys and list are used. "
        "Prints the result as JSON; exits 0 only when the document is valid."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("payload", help="the QR payload or the token, or '-' for standard input")
        parser.add_argument("--jwks", type=Path, help="a JWKS file (offline)")
        parser.add_argument("--status-list", type=Path, help="a revocation list file (the JWS)")
        parser.add_argument("--on", type=dt.date.fromisoformat, help="check as of this date (YYYY-MM-DD)")

    def handle(self, *args, payload: str, jwks: Path | None, status_list: Path | None, on, **options) -> None:
        if payload == "-":
            payload = sys.stdin.read()
        try:
            keys = json.loads(jwks.read_text(encoding="utf-8")) if jwks else selectors.signing_jwks()
            status_token = status_list.read_text(encoding="utf-8") if status_list else None
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read the key set or revocation list: {error}") from None
        if jwks is None and status_token is None:
            issuer = _unverified_issuer(token_from_qr_payload(payload))
            try:
                status_token = services.status_list_issue(agency=selectors.agency_for_code(code=issuer))
            except ApplicationError:
                status_token = None  # unknown agency: the signature check below says so
        result = credential_check(
            qr_payload=payload,
            jwks=keys,
            status_list=status_token,
            today=on or timezone.localdate(),
            now=timezone.now(),
        )
        claims = result.claims
        report = {
            "status": result.status,
            "reason": result.reason,
            "revocation_checked": result.revocation_checked,
            "status_list_issued_at": result.status_list_issued_at,
            "agency": claims.get("iss"),
            "number": claims.get("num"),
            "holder_name": claims.get("name"),
            "valid_from": claims.get("from"),
            "valid_until": claims.get("until"),
            "content_digest": claims.get("dig"),
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if not result.ok:
            raise CommandError(f"not valid: {result.status}", returncode=1)
