"""Dates on document pages: Buddhist-Era in Thai, Gregorian in English."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from borikan.core.thaidate import thai_date
from borikan.documents.rendering import english_date

register = template.Library()


@register.filter
def document_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    if (get_language() or "th").startswith("en"):
        return english_date(value)
    return thai_date(value)
