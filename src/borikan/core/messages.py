"""Messages to people are templates, in Thai and English, not strings built in code (ADR 0017).

A message `name` is three plain-text templates in an app's `templates/<name>/`: `subject.txt`, `body.txt` and
`sms.txt` (short, Thai). They are rendered without HTML escaping — they are e-mail and SMS text — from values the
caller prepared (dates already in Buddhist-Era Thai and ISO form).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.urls import reverse


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    sms: str


@cache
def _engine() -> Engine:
    return Engine(app_dirs=True, autoescape=False)


def _render(path: str, context: dict[str, Any]) -> str:
    return _engine().get_template(path).render(Context(context, autoescape=False))


def render_message(name: str, context: dict[str, Any]) -> Message:
    return Message(
        subject=_render(f"{name}/subject.txt", context).strip(),
        body=_render(f"{name}/body.txt", context),
        sms=_render(f"{name}/sms.txt", context).strip(),
    )


def public_url(viewname: str, *args: Any) -> str:
    """The absolute address of a page, for links in e-mails (BORIKAN_PUBLIC_BASE_URL and the page's path)."""
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + reverse(viewname, args=args)


def citizen_case_url(application_id: Any) -> str:
    """The applicant's own page of their application."""
    return public_url("applications:detail", application_id)


def office_case_url(application_id: Any) -> str:
    """The officer's page of the case."""
    return public_url("office:case", application_id)
