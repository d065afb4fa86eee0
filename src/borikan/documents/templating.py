"""Document templates written by agency administrators, rendered in a sandbox.

A template is a Django template (HTML) and a stylesheet (CSS) kept in the database. It is compiled by
`SANDBOX_ENGINE`, an engine of its own that is not the site's: no loaders (so no `{% include %}` or
`{% extends %}`), no `{% load %}`able libraries, autoescape always on, and only the tags and filters listed
below (no `{% debug %}`, `{% url %}`, `{% autoescape off %}`, `{% filter %}`, `|safe` or `|pprint`).
The context it renders is built here from plain strings, lists and tuples (`document_context`), so a template
can reach nothing else: no settings, no models, no request.

Before a template is saved or published it is checked (`template_check`): sizes, balanced HTML with no
active or fetching elements, CSS that parses and loads nothing (no `@import`, `url()` only for `data:`), a
Django template that compiles, and a render with sample data that prints the document number and its QR code.
Every problem is a `ValidationFailed` (422) naming the part (`html` or `css`) and the line.
"""

from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters, defaulttags

from borikan.core.errors import ValidationFailed
from borikan.core.thaidate import THAI_DIGITS, thai_date

MAX_HTML_CHARS = 100_000
MAX_CSS_CHARS = 50_000
MAX_RENDERED_CHARS = 1_000_000
# Loops may nest this deep at most: the context is small (≤ 20 fields, strings ≤ 500 characters), so rendering
# stays bounded (a loop over a string walks its characters; three nested would be 125 million steps).
MAX_LOOP_DEPTH = 2

ALLOWED_TAGS = (
    "comment", "cycle", "firstof", "for", "if", "ifchanged", "resetcycle", "spaceless", "templatetag",
    "verbatim", "widthratio", "with",
)  # fmt: skip
ALLOWED_FILTERS = (
    "add", "capfirst", "center", "cut", "default", "default_if_none", "divisibleby", "escape", "first",
    "floatformat", "force_escape", "join", "last", "length", "linebreaks", "linebreaksbr", "ljust", "lower",
    "pluralize", "rjust", "slice", "title", "truncatechars", "truncatewords", "upper", "wordcount", "wordwrap",
    "yesno",
)  # fmt: skip
# Elements that would run code, embed another document or fetch something: refused outright (the renderer's
# URL fetcher refuses every URL anyway; this says so clearly, with the line).
FORBIDDEN_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "base", "form", "input", "svg"}
)
VOID_ELEMENTS = frozenset(
    {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "base"}
)
# Elements whose end tag HTML lets one leave out: closed implicitly by their parent's end tag.
OPTIONAL_END = frozenset(
    {"html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "colgroup"}
)

_sandbox = Library()
for _name in ALLOWED_TAGS:
    _sandbox.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    _sandbox.filters[_name] = defaultfilters.register.filters[_name]


@_sandbox.filter(is_safe=True)
def thai_digits(value: object) -> str:
    """Arabic digits as Thai numerals: {{ number|thai_digits }}."""
    return str(value).translate(THAI_DIGITS)


SANDBOX_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=True, debug=True)
SANDBOX_ENGINE.template_builtins = [_sandbox]  # replaces Django's default tags and filters entirely
SANDBOX_ENGINE.template_libraries = {}

_DIR = Path(__file__).resolve().parent / "templates" / "documents"


def default_template_source() -> tuple[str, str]:
    """The shipped template (HTML, CSS): what a service's first draft starts from."""
    return (_DIR / "licence.html").read_text(encoding="utf-8"), (_DIR / "licence.css").read_text(encoding="utf-8")


def _problem(part: str, line: int | None, message_th: str, message_en: str, code: str = "invalid_template"):
    where_en = f"{part.upper()}, line {line}: " if line else f"{part.upper()}: "
    where_th = f"{part.upper()} บรรทัดที่ {line}: " if line else f"{part.upper()}: "
    return ValidationFailed(
        code, where_th + message_th, where_en + message_en, field=part, details={"part": part, "line": line}
    )


URL_ATTRIBUTES = frozenset(
    {"src", "srcset", "href", "xlink:href", "background", "poster", "data", "action", "formaction", "cite", "lowsrc"}
)
QR_VARIABLE = re.compile(r"^\{\{\s*qr_data_uri\s*\}\}$")
CSS_FETCHING = re.compile(r"(url|image-set|-webkit-image-set|image|cross-fade|src)\s*\(", re.IGNORECASE)


def _check_attribute(line: int, name: str, value: str) -> None:
    """A document is drawn from what is in it: an attribute may hold inline data or the QR code, never a URL
    the renderer would have to fetch (which it refuses, at issue time, when it is too late to fix the template)."""
    if name in URL_ATTRIBUTES and not (value.strip().startswith("data:") or QR_VARIABLE.match(value.strip())):
        raise _problem(
            "html",
            line,
            f"แอตทริบิวต์ {name} ใช้ได้เฉพาะข้อมูล data: หรือ {{{{ qr_data_uri }}}}",
            f"the {name} attribute may hold only a data: URL or {{{{ qr_data_uri }}}}",
        )
    if name == "style" and CSS_FETCHING.search(value):
        raise _problem("html", line, "style ห้ามโหลดรูปหรือไฟล์ใด ๆ", "a style attribute may not load images or files")


class _MarkupChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in FORBIDDEN_ELEMENTS:
            raise _problem("html", line, f"ไม่อนุญาตให้ใช้แท็ก <{tag}>", f"the <{tag}> element is not allowed")
        for name, _value in attrs:
            if name.startswith("on"):
                raise _problem("html", line, f"ไม่อนุญาตให้ใช้แอตทริบิวต์ {name}", f"the {name} attribute is not allowed")
        for name, value in attrs:
            if not (tag == "a" and name == "href"):  # a link is printed, never fetched
                _check_attribute(line, name, value or "")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            raise _problem("html", line, "ไม่อนุญาตให้ใช้ meta http-equiv", "meta http-equiv is not allowed")
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID_ELEMENTS:
            return
        names = [name for name, _ in self.open]
        if tag not in names:
            raise _problem("html", line, f"แท็กปิด </{tag}> ไม่มีแท็กเปิด", f"</{tag}> closes nothing that is open")
        while self.open[-1][0] != tag:
            name, opened = self.open.pop()
            if name not in OPTIONAL_END:
                raise _problem(
                    "html",
                    line,
                    f"</{tag}> ปิดก่อน <{name}> ที่เปิดไว้ในบรรทัดที่ {opened}",
                    f"</{tag}> closes <{name}> opened on line {opened} first",
                )
        self.open.pop()

    def finish(self) -> None:
        self.close()
        for name, opened in reversed(self.open):
            if name not in OPTIONAL_END:
                raise _problem("html", opened, f"<{name}> ไม่ได้ปิด", f"<{name}> is never closed")


def check_markup(source: str) -> None:
    """Balanced HTML (optional end tags allowed), no scripts, frames, forms, links or event handlers."""
    checker = _MarkupChecker()
    checker.feed(source)
    checker.finish()


def check_css(source: str) -> None:
    """CSS that parses, imports nothing and fetches nothing but inline `data:` URLs."""
    import tinycss2

    def walk(nodes: Any) -> None:
        for node in nodes or ():
            kind = getattr(node, "type", "")
            line = getattr(node, "source_line", None)
            if kind == "error":
                raise _problem("css", line, f"CSS ผิดรูปแบบ ({node.message})", f"malformed CSS ({node.message})")
            if kind == "at-rule" and node.lower_at_keyword in ("import", "namespace"):
                raise _problem(
                    "css", line, f"ไม่อนุญาตให้ใช้ @{node.lower_at_keyword}", f"@{node.lower_at_keyword} is not allowed"
                )
            if kind == "url" and not node.value.startswith("data:"):
                raise _problem("css", line, "url() ใช้ได้เฉพาะ data:", "url() may only hold data: URLs")
            if kind == "function" and node.lower_name in ("url", "image-set", "-webkit-image-set", "image", "src"):
                raise _problem("css", line, "url() ใช้ได้เฉพาะ data:", "url() may only hold data: URLs")
            for child in ("prelude", "content", "arguments"):
                walk(getattr(node, child, None))

    walk(tinycss2.parse_stylesheet(source, skip_comments=True, skip_whitespace=True))


def _line_of(error: Exception) -> int | None:
    debug = getattr(error, "template_debug", None)
    return debug.get("line") if isinstance(debug, dict) else None


def _check_loop_depth(nodelist: Any, depth: int = 0) -> None:
    from django.template.defaulttags import ForNode

    for node in nodelist:
        inner = depth + 1 if isinstance(node, ForNode) else depth
        if inner > MAX_LOOP_DEPTH:
            line = node.token.lineno if getattr(node, "token", None) else None
            raise _problem(
                "html",
                line,
                f"วนซ้ำ ({{% for %}}) ซ้อนกันได้ไม่เกิน {MAX_LOOP_DEPTH} ชั้น",
                f"{{% for %}} loops may nest at most {MAX_LOOP_DEPTH} deep",
            )
        for name in node.child_nodelists:
            child = getattr(node, name, None)
            if child:
                _check_loop_depth(child, inner)


def compile_html(source: str) -> Template:
    try:
        template = SANDBOX_ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        raise _problem(
            "html", _line_of(error), f"แม่แบบผิดไวยากรณ์ ({error})", f"template syntax error ({error})"
        ) from None
    _check_loop_depth(template.nodelist)
    return template


def render_html(template: Template, context: dict[str, Any]) -> str:
    """The template rendered with a context of plain values; any failure is a 422 with the line."""
    try:
        output = template.render(Context(context, autoescape=True))
    except ValidationFailed:
        raise
    except Exception as error:  # a filter given the wrong kind of value, a bad widthratio, ...
        raise _problem(
            "html", _line_of(error), f"แสดงผลแม่แบบไม่ได้ ({type(error).__name__})", f"the template failed ({error})"
        ) from None
    if len(output) > MAX_RENDERED_CHARS:
        raise _problem(
            "html",
            None,
            f"เอกสารที่ได้ยาวเกิน {MAX_RENDERED_CHARS} ตัวอักษร",
            f"the rendered document is longer than {MAX_RENDERED_CHARS} characters",
        )
    return output


@dataclass(frozen=True)
class CompiledTemplate:
    """A checked template, ready to render: the compiled HTML and the stylesheet's source."""

    template: Template
    css: str

    def render(self, context: dict[str, Any]) -> str:
        return render_html(self.template, context)


def _check_sizes(html: str, css: str) -> None:
    if not isinstance(html, str) or not html.strip() or len(html) > MAX_HTML_CHARS:
        raise _problem(
            "html",
            None,
            f"HTML ต้องไม่ว่างและยาวไม่เกิน {MAX_HTML_CHARS} ตัวอักษร",
            f"the HTML must be present and at most {MAX_HTML_CHARS} characters",
            code="template_too_large" if isinstance(html, str) and html.strip() else "invalid_template",
        )
    if not isinstance(css, str) or len(css) > MAX_CSS_CHARS:
        raise _problem(
            "css",
            None,
            f"CSS ยาวไม่เกิน {MAX_CSS_CHARS} ตัวอักษร",
            f"the CSS must be at most {MAX_CSS_CHARS} characters",
            code="template_too_large",
        )


@functools.lru_cache(maxsize=32)
def compile_template(html: str, css: str) -> CompiledTemplate:
    """Check the template's sizes, markup and CSS and compile it (kept per process: the same source compiles
    to the same template). Raises ValidationFailed with the part and line of the first problem."""
    _check_sizes(html, css)
    check_markup(html)
    check_css(css)
    return CompiledTemplate(template=compile_html(html), css=css)


def document_context(
    *,
    number: str,
    title_th: str,
    title_en: str,
    holder_name: str,
    fields: list[tuple[str, str]],
    agency_name_th: str,
    agency_name_en: str,
    ministry_th: str,
    ministry_en: str,
    issued_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    verification_url: str,
    qr_data_uri: str,
) -> dict[str, Any]:
    """Everything a template may print, as plain strings (dates already in B.E. and in English)."""
    from .rendering import english_date

    return {
        "number": number,
        "title_th": title_th,
        "title_en": title_en,
        "holder_name": holder_name,
        "fields": [(str(label), str(value)) for label, value in fields],
        "agency_name_th": agency_name_th,
        "agency_name_en": agency_name_en,
        "ministry_th": ministry_th,
        "ministry_en": ministry_en,
        "issued_on_th": thai_date(issued_on),
        "issued_on_en": english_date(issued_on),
        "valid_from_th": thai_date(valid_from),
        "valid_from_en": english_date(valid_from),
        "valid_until_th": thai_date(valid_until) if valid_until else "",
        "valid_until_en": english_date(valid_until) if valid_until else "",
        "verification_url": verification_url,
        "qr_data_uri": qr_data_uri,
    }


CONTEXT_NAMES = (
    "number", "title_th", "title_en", "holder_name", "fields", "agency_name_th", "agency_name_en", "ministry_th",
    "ministry_en", "issued_on_th", "issued_on_en", "valid_from_th", "valid_from_en", "valid_until_th",
    "valid_until_en", "verification_url", "qr_data_uri",
)  # fmt: skip


def check_prints_essentials(rendered: str, *, number: str, qr_data_uri: str) -> None:
    """A document must show its number and its QR code (verification depends on both)."""
    unescaped = html_lib.unescape(rendered)
    if number not in unescaped:
        raise _problem(
            "html",
            None,
            "แม่แบบต้องแสดงเลขที่เอกสาร {{ number }}",
            "the template must print the document number, {{ number }}",
            code="template_missing_number",
        )
    if qr_data_uri not in unescaped:
        raise _problem(
            "html",
            None,
            'แม่แบบต้องแสดงคิวอาร์โค้ด <img src="{{ qr_data_uri }}">',
            'the template must show the QR code, <img src="{{ qr_data_uri }}">',
            code="template_missing_qr",
        )
