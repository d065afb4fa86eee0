"""One input-hygiene layer in front of every page and API operation.

Before any view runs, the request's path, query, form fields and JSON body are checked for what no
legitimate citizen types and what the database or the printed licence cannot take:

- NUL and the other C0 control characters (tab, line feed and carriage return are text) and DEL;
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a printed name read
  differently from what is stored;
- in a JSON body, strings longer than ``MAX_JSON_STRING``, integers beyond ``MAX_JSON_INTEGER`` (the largest
  value every JSON reader holds exactly), NaN/Infinity and nesting deeper than ``MAX_JSON_DEPTH``;
- on the API, a body that is neither JSON nor a multipart upload (415), and a JSON body that does not parse.

Each refusal is a 4xx problem document (API) or page with a code and a Thai and an English message, and
nothing is stored. Finer limits (a name's length, an amount's range) are the schemas' and services' job:
``borikan.core.fields`` has the types they use. Zero-width characters are legitimate inside Thai text, so they
are not refused here; ``strip_invisible`` removes them from names and form answers before they are stored.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from borikan.core.errors import ApplicationError

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
MAX_JSON_STRING = 100_000
MAX_JSON_INTEGER = 2**53 - 1
MAX_JSON_DEPTH = 32
API_PREFIX = "/api/"


class InputRefused(ApplicationError):
    status = 400


def _characters(where: str) -> InputRefused:
    return InputRefused(
        "invalid_characters",
        "ข้อมูลมีอักขระควบคุมหรืออักขระกลับทิศทางที่ไม่อนุญาต กรุณาพิมพ์ใหม่",
        "The input contains control or direction-override characters that are not allowed; please retype it",
        field=where or None,
    )


def refuse_forbidden(text: str, where: str = "") -> None:
    if FORBIDDEN.search(text):
        raise _characters(where)


def strip_invisible(value: Any) -> Any:
    """Zero-width spaces, joiners, direction marks, soft hyphens: removed from every string inside ``value``."""
    if isinstance(value, str):
        return INVISIBLE.sub("", value)
    if isinstance(value, dict):
        return {key: strip_invisible(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_invisible(item) for item in value]
    return value


def clean_name(text: str) -> str:
    """A person's or an organisation's name as it will be printed: NFC, no invisible characters, one space."""
    refuse_forbidden(text, "name")
    return " ".join(strip_invisible(unicodedata.normalize("NFC", text)).split())


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _walk(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise InputRefused("too_deep", "ข้อมูลซ้อนกันลึกเกินไป", "The JSON body is nested too deeply")
    if isinstance(value, str):
        refuse_forbidden(value, path)
        if len(value) > MAX_JSON_STRING:
            raise InputRefused(
                "too_long",
                f"ข้อความยาวเกิน {MAX_JSON_STRING:,} ตัวอักษร",
                f"A text is longer than {MAX_JSON_STRING:,} characters",
                field=path or None,
                status=422,
            )
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INTEGER:
            raise InputRefused(
                "number_out_of_range",
                "ตัวเลขมีค่าเกินขอบเขตที่รับได้",
                "A number is outside the range that can be accepted",
                field=path or None,
                status=422,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_forbidden(key, path)
            _walk(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), depth + 1)


def check_json(body: bytes) -> None:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError; so are NaN and Infinity
        raise InputRefused("invalid_json", "ข้อมูลไม่ใช่ JSON ที่ถูกต้อง", "The body is not valid JSON") from exc
    _walk(data, "", 0)


def check_request(request: HttpRequest) -> None:
    refuse_forbidden(request.path, "path")
    for key, values in request.GET.lists():
        refuse_forbidden(key, "query")
        for value in values:
            refuse_forbidden(value, key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type or ""
    if request.path_info.startswith(API_PREFIX):
        body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig becomes a 413)
        if body and content_type not in ("application/json", "multipart/form-data"):
            raise InputRefused(
                "unsupported_media_type",
                "ส่งข้อมูลในรูปแบบ JSON (Content-Type: application/json) เท่านั้น",
                "Send the body as JSON (Content-Type: application/json)",
                status=415,
            )
        if content_type == "application/json" and body:
            check_json(body)
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            refuse_forbidden(key, "form")
            for value in values:
                refuse_forbidden(value, key)


def _too_big() -> InputRefused:
    return InputRefused("request_too_large", "ข้อมูลที่ส่งมีขนาดใหญ่เกินไป", "The request is too large", status=413)


class InputHygieneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except InputRefused as refusal:
            return self.refuse(request, refusal)
        except (RequestDataTooBig, TooManyFieldsSent):
            return self.refuse(request, _too_big())
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, refusal: InputRefused) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            response = JsonResponse(refusal.as_problem(), status=refusal.status)
            response["Content-Type"] = "application/problem+json"
            return response
        return render(request, "core/input_refused.html", {"refusal": refusal}, status=refusal.status)


def form_int(text: str | None, *, maximum: int = 2**63 - 1) -> int | None:
    """A whole number typed into a page form, or None when it is not one (or does not fit a database column)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None
