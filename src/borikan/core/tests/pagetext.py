"""What a person reads on a page, and the patterns that find English, raw keys and Gregorian years in it: shared
by the page tests of every app (kept here, at the bottom layer, so any app's tests may use it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
WORD = re.compile(r"\b[a-z]{4,}\b")
EMAIL = re.compile(r"\S+@\S+")
# A Gregorian year on a Thai page (Thai pages give Buddhist-Era years, 25xx).
GREGORIAN_YEAR = re.compile(r"(?<![\d,.\-/])(?:19|20)\d{2}(?![\d,.\-/])")
# Four English words in a row on a Thai page: a sentence nobody translated.
SENTENCE = re.compile(r"\b[A-Za-z]+(?:[ ,'’-]+[A-Za-z]+){3,}\b")


class _Text(HTMLParser):
    """The text a person reads: no script, style or attributes (attribute values are not shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code", "pre", "textarea"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code", "pre", "textarea"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())
