"""Content-Security-Policy violation reports: where browsers send them, and what the operators see.

The policy (settings.SECURE_CSP) names this view twice: `report-uri` (every browser) and `report-to` with the
`Reporting-Endpoints` header (the Reporting API; browsers that know it use it instead). A report is logged on
the `borikan.csp` logger as one line an operator can count and alert on. Reports are anonymous input: the body
is capped, the fields are cut to what identifies the violation (no query strings, which may carry tokens), and
each address may send at most ``REPORTS_PER_MINUTE``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from borikan.core.clientaddr import client_address

logger = logging.getLogger("borikan.csp")

REPORT_PATH = "/csp-report/"
REPORT_GROUP = "csp"
MAX_BODY_BYTES = 64 * 1024
REPORTS_PER_MINUTE = 60
CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
FIELD_LIMIT = 300


def _without_query(url: Any) -> str:
    """A URL without its query and fragment, or a keyword such as 'inline' or 'eval' as it is."""
    text = str(url or "")[:FIELD_LIMIT]
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return text


def _problem(status: int, code: str, th: str, en: str) -> JsonResponse:
    body = {"status": status, "code": code, "detail": en, "detail_th": th, "detail_en": en}
    return JsonResponse(body, status=status, content_type="application/problem+json")


def parse_reports(content_type: str, body: bytes) -> list[dict[str, str]]:
    """The violations in a report body, in one shape whichever format the browser used. Raises ValueError."""
    document = json.loads(body)
    if content_type == "application/csp-report" or (isinstance(document, dict) and "csp-report" in document):
        entries = [document.get("csp-report")] if isinstance(document, dict) else []
        keys = ("document-uri", "effective-directive", "violated-directive", "blocked-uri", "disposition")
    else:  # the Reporting API: a list of {"type": "csp-violation", "body": {...}}
        items = document if isinstance(document, list) else []
        entries = [i.get("body") for i in items if isinstance(i, dict) and i.get("type") == "csp-violation"]
        keys = ("documentURL", "effectiveDirective", "effectiveDirective", "blockedURL", "disposition")
    reports = []
    for entry in entries[:20]:
        if not isinstance(entry, dict):
            raise ValueError("a report is not an object")
        page, directive, violated, blocked, disposition = (entry.get(key) for key in keys)
        reports.append(
            {
                "page": _without_query(page),
                "directive": str(directive or violated or "")[:FIELD_LIMIT].split(" ")[0],
                "blocked": _without_query(blocked),
                "disposition": str(disposition or "enforce")[:20],
            }
        )
    if not reports:
        raise ValueError("no CSP violation in the body")
    return reports


def _over_limit(request: HttpRequest) -> bool:
    key = f"csp-report:{client_address(request)}"
    cache.add(key, 0, 60)
    try:
        return cache.incr(key) > REPORTS_PER_MINUTE
    except ValueError:  # expired between add and incr
        return False


@login_not_required
@csrf_exempt  # browsers send reports without a token; the view changes nothing but the log
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in CONTENT_TYPES:
        return _problem(
            415,
            "unsupported_media_type",
            "รายงาน CSP ต้องเป็น application/csp-report หรือ application/reports+json",
            "A CSP report must be application/csp-report or application/reports+json",
        )
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _problem(413, "request_too_large", "รายงานมีขนาดใหญ่เกินไป", "The report is too large")
    if _over_limit(request):
        return _problem(429, "too_many_requests", "ส่งรายงานถี่เกินไป", "Too many reports; try again later")
    try:
        reports = parse_reports(content_type, request.body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors too
        return _problem(400, "invalid_report", "รายงาน CSP ไม่ถูกต้อง", "The body is not a CSP violation report")
    for report in reports:
        logger.warning("csp violation: %(directive)s blocked %(blocked)s on %(page)s (%(disposition)s)", report)
    return HttpResponse(status=204)


class ReportingEndpointsMiddleware:
    """Name the report endpoint for the Reporting API (`report-to csp` in the policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Reporting-Endpoints", f'{REPORT_GROUP}="{REPORT_PATH}"')
        return response
