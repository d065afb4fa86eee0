"""Document templates without HTML: what the agency admin fills in (a title, paragraphs of plain text with named
placeholders, whether to print the document's details and dates, a signer line) turned into the HTML and CSS the
sandbox checks (`templating.compile_template`), like any stored template.

The admin's text never becomes markup or template code: it is HTML-escaped, its braces are written as entities,
and only the placeholders named in PLACEHOLDERS become `{{ name }}`. The number and the QR code, which verification
depends on, are always printed.
"""

from __future__ import annotations

import html
import re
from typing import Any

from borikan.core.errors import ValidationFailed

from .templating import default_template_source

# Placeholder name -> (Thai, English) meaning, in the order the editor lists them. Each is a plain string of the
# document context (templating.document_context).
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "holder_name": ("ชื่อผู้ได้รับเอกสาร", "the holder's name"),
    "number": ("เลขที่เอกสาร", "the document number"),
    "title_th": ("ชื่อเอกสาร (ภาษาไทย)", "the document's title in Thai"),
    "title_en": ("ชื่อเอกสาร (ภาษาอังกฤษ)", "the document's title in English"),
    "agency_name_th": ("ชื่อหน่วยงาน (ภาษาไทย)", "the agency's name in Thai"),
    "agency_name_en": ("ชื่อหน่วยงาน (ภาษาอังกฤษ)", "the agency's name in English"),
    "ministry_th": ("กระทรวง (ภาษาไทย)", "the ministry in Thai"),
    "ministry_en": ("กระทรวง (ภาษาอังกฤษ)", "the ministry in English"),
    "issued_on_th": ("วันที่ออกเอกสาร (พ.ศ.)", "the date of issue in Thai (Buddhist Era)"),
    "issued_on_en": ("วันที่ออกเอกสาร (ภาษาอังกฤษ)", "the date of issue in English"),
    "valid_from_th": ("วันที่เริ่มมีผล (พ.ศ.)", "the date it is valid from, in Thai"),
    "valid_from_en": ("วันที่เริ่มมีผล (ภาษาอังกฤษ)", "the date it is valid from, in English"),
    "valid_until_th": ("วันที่สิ้นอายุ (พ.ศ.)", "the date it is valid until, in Thai"),
    "valid_until_en": ("วันที่สิ้นอายุ (ภาษาอังกฤษ)", "the date it is valid until, in English"),
    "verification_url": ("ลิงก์ตรวจสอบเอกสาร", "the link to check the document"),
}
# {name}, not {{ name }}: doubled braces are the admin's own text, printed as typed.
_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*([A-Za-z0-9_]+)\s*\}(?!\})")
LIMITS = {"title_th": 300, "title_en": 300, "body": 5_000, "signer_name": 200, "signer_position": 300}
MAX_PARAGRAPHS = 30
TEXT_FIELDS = tuple(LIMITS)
FLAGS = ("show_fields", "show_validity")


def default_spec(*, service: Any = None) -> dict[str, Any]:
    """What the editor offers before anything is saved: the shipped template's layout in the structured form."""
    return {
        "title_th": "{title_th}",
        "title_en": "{title_en}",
        "body": "",
        "show_fields": True,
        "show_validity": True,
        "signer_name": "",
        "signer_position": "",
    }


def _invalid(field: str, th: str, en: str, code: str = "invalid_template_spec") -> ValidationFailed:
    return ValidationFailed(code, th, en, field=field, details={"part": field, "line": None})


def clean_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """The spec as stored: known keys only, text trimmed and within its limit, every placeholder known."""
    spec: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = raw.get(name) or ""
        if not isinstance(value, str):
            raise _invalid(name, "ข้อความไม่ถูกต้อง", "must be text")
        value = value.replace("\r\n", "\n").strip()
        if len(value) > LIMITS[name]:
            raise _invalid(
                name,
                f"ข้อความยาวเกิน {LIMITS[name]:,} ตัวอักษร",
                f"is longer than {LIMITS[name]:,} characters",
            )
        for found in _PLACEHOLDER.findall(value):
            if found not in PLACEHOLDERS:
                raise _invalid(
                    name,
                    f"ไม่มีช่องข้อมูล {{{found}}} ให้ใช้ เลือกจากรายการช่องข้อมูลที่ใช้ได้",
                    f"there is no placeholder {{{found}}}: choose one from the list of placeholders",
                    code="unknown_placeholder",
                )
        spec[name] = value
    if not spec["title_th"]:
        raise _invalid("title_th", "ต้องระบุชื่อเอกสาร", "The document needs a title")
    if len(_paragraphs(spec["body"])) > MAX_PARAGRAPHS:
        raise _invalid("body", f"ย่อหน้าได้ไม่เกิน {MAX_PARAGRAPHS} ย่อหน้า", f"at most {MAX_PARAGRAPHS} paragraphs")
    for flag in FLAGS:
        spec[flag] = bool(raw.get(flag))
    return spec


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def _inline(text: str) -> str:
    """Plain text as template source: escaped, braces as entities, known placeholders as variables."""
    out, last = [], 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(_literal(text[last : match.start()]))
        out.append("{{ " + match.group(1) + " }}")
        last = match.end()
    out.append(_literal(text[last:]))
    return "".join(out)


def _literal(text: str) -> str:
    escaped = html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")
    return escaped.replace("\n", "<br>")


STRUCTURED_CSS = """
/* The structured editor's additions to the standard stylesheet. */
.body { margin: 0 0 8mm; }
.body p { margin: 0 0 3mm; text-indent: 12mm; text-align: justify; }
.signer { margin: 10mm 0 8mm 50%; text-align: center; }
.signer .line { margin: 0 0 1mm; }
.signer .name { margin: 0; }
.signer .position { margin: 0; }
"""


def structured_source(spec: dict[str, Any]) -> tuple[str, str]:
    """The HTML and CSS of the cleaned spec: the standard layout (its classes and stylesheet) with the admin's
    title, paragraphs and signer line."""
    parts = [
        '<!doctype html>\n<html lang="th">\n<head>\n<meta charset="utf-8">\n'
        '<title>{{ title_th }} {{ number }}</title>\n</head>\n<body>\n<div class="frame">',
        '<p class="number"><span class="label">เลขที่ / No.</span> <span class="value">{{ number }}</span></p>',
        '<div class="issuer"><p class="name-th">{{ agency_name_th }}</p>'
        '<p class="name-en" lang="en">{{ agency_name_en }}</p>'
        '{% if ministry_th or ministry_en %}<p class="ministry">{{ ministry_th }}'
        '{% if ministry_th and ministry_en %} · {% endif %}<span lang="en">{{ ministry_en }}</span></p>{% endif %}'
        "</div>",
        f'<h1 class="title">{_inline(spec["title_th"])}</h1>',
    ]
    if spec.get("title_en"):
        parts.append(f'<p class="title-en" lang="en">{_inline(spec["title_en"])}</p>')
    parts.append(
        '<div class="holder"><p class="label">ออกให้แก่ <span class="en" lang="en">Issued to</span></p>'
        '<p class="name">{{ holder_name }}</p></div>'
    )
    paragraphs = _paragraphs(spec.get("body", ""))
    if paragraphs:
        parts.append('<div class="body">' + "".join(f"<p>{_inline(p)}</p>" for p in paragraphs) + "</div>")
    if spec.get("show_fields"):
        parts.append(
            '{% if fields %}<table class="fields"><tbody>{% for label, value in fields %}'
            '<tr><th scope="row">{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</tbody></table>{% endif %}'
        )
    if spec.get("show_validity"):
        parts.append(
            '<dl class="validity">'
            '<dt>วันที่ออก <span class="en" lang="en">Date of issue</span></dt>'
            '<dd>{{ issued_on_th }} <span class="en" lang="en">({{ issued_on_en }})</span></dd>'
            '<dt>มีผลตั้งแต่วันที่ <span class="en" lang="en">Valid from</span></dt>'
            '<dd>{{ valid_from_th }} <span class="en" lang="en">({{ valid_from_en }})</span></dd>'
            '<dt>ใช้ได้ถึงวันที่ <span class="en" lang="en">Valid until</span></dt>'
            "{% if valid_until_th %}"
            '<dd>{{ valid_until_th }} <span class="en" lang="en">({{ valid_until_en }})</span></dd>'
            '{% else %}<dd>ไม่มีกำหนดวันสิ้นอายุ <span class="en" lang="en">(no expiry date)</span></dd>{% endif %}'
            "</dl>"
        )
    if spec.get("signer_name") or spec.get("signer_position"):
        parts.append(
            '<div class="signer"><p class="line">(ลงชื่อ) ..................................................</p>'
            + (f'<p class="name">({_inline(spec["signer_name"])})</p>' if spec.get("signer_name") else "")
            + (f'<p class="position">{_inline(spec["signer_position"])}</p>' if spec.get("signer_position") else "")
            + "</div>"
        )
    parts.append(
        '<div class="verify"><img src="{{ qr_data_uri }}" alt="QR code: {{ verification_url }}"><div>'
        "<p>ตรวจสอบความถูกต้องและสถานะของเอกสารนี้ได้โดยสแกนคิวอาร์โค้ด หรือเปิดลิงก์ด้านล่าง</p>"
        '<p class="en" lang="en">Scan the QR code or open the link below to check that this document is genuine '
        "and still valid.</p>"
        '<p class="url" lang="en">{{ verification_url }}</p></div></div>'
    )
    parts.append(
        '<p class="issued-by">ออกโดย {{ agency_name_th }} ผ่านระบบบริการ (borikan) · '
        '<span lang="en">Issued by {{ agency_name_en }} through borikan</span></p>'
    )
    parts.append("</div>\n</body>\n</html>\n")
    _html, standard_css = default_template_source()
    return "\n".join(parts), standard_css.rstrip() + "\n" + STRUCTURED_CSS
