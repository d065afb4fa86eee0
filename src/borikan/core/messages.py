"""Messages to people are templates, in Thai and English, not strings built in code (ADR 0017).

A message `name` is three plain-text templates in an app's `templates/<name>/`: `subject.txt`, `body.txt` and
`sms.txt` (short, Thai). They are rendered without HTML escaping — they are e-mail and SMS text — from values the
caller prepared (dates already in Buddhist-Era Thai and ISO form).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.template import Context, Engine


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
