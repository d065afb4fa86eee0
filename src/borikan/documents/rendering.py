"""Turning an issued document into a PDF: an HTML/CSS template, the shipped Sarabun font, WeasyPrint.

The font configuration and the stylesheet (with its @font-face rules) are loaded once per process;
each render only lays out the document's own HTML. Only the shipped fonts (file://) and the inline
QR image (data:) may be fetched while rendering: caller data is escaped by the template, and the
fetcher refuses anything else, so a document can never make the server read a URL or a local file.

The QR code holds the verification URL and, in its fragment, the signed credential (see `credentials.py`).
Signing the PDF (PAdES) is the next step, in `signing.py`; nothing here signs.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import threading
from pathlib import Path

import segno
from django.template.loader import render_to_string

from .templating import CompiledTemplate, check_prints_essentials, document_context

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "Sarabun-Regular.ttf"
FONT_BOLD = FONT_DIR / "Sarabun-Bold.ttf"
# ETDA ขมธอ. 11-2560 specifies PDF/A-3 for electronic certificates (PAdES-signed later).
PDF_VARIANT = "pdf/a-3b"
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"

ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# HarfBuzz splits SARA AM (U+0E33) into NIKHAHIT + SARA AA and moves the NIKHAHIT before any tone
# mark. WeasyPrint maps each glyph to text once per font, so the SARA AA glyph would then be mapped
# to "ำ" (or a tone mark to nothing) for the whole PDF and every later "า" would extract as "ำ".
# Writing the decomposed sequence ourselves draws exactly the same glyphs, but each glyph keeps its
# own character, so copied or extracted text is right (in the NFKC-equivalent decomposed form).
_SARA_AM = re.compile("([\u0e48-\u0e4b]*)\u0e33")
_render_lock = threading.Lock()  # Pango and the shared font configuration are not thread-safe


def _decompose_sara_am(text: str) -> str:
    return _SARA_AM.sub(lambda match: "\u0e4d" + match.group(1) + "\u0e32", text)


def english_date(day: dt.date) -> str:
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


# segno tries all eight masks and keeps the best-scoring one, which costs ~30 ms for the ~550 characters of a
# URL with its credential (version 18). Any mask decodes (readers take it from the format bits) and the
# base64url data is random-looking whatever the mask, so one fixed mask keeps the code scannable at 1/5 the cost.
QR_MASK = 2


def verification_qr(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False, mask=QR_MASK)


def verification_qr_png(url: str, *, scale: int = 4) -> bytes:
    """The QR code as a PNG image (what the PDF embeds), with the standard four-module quiet zone."""
    import io

    buffer = io.BytesIO()
    verification_qr(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


@functools.cache
def _url_fetcher():
    """Fetch only the shipped fonts and inline data; refuse any other URL and fail loudly."""
    from weasyprint.urls import URLFetcher

    allowed_files = {FONT_REGULAR.as_uri(), FONT_BOLD.as_uri()}

    class DocumentURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url in allowed_files:
                return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url[:80]!r} while rendering a document")

    return DocumentURLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


@functools.cache
def _weasyprint_setup():
    """The font configuration, the fonts' stylesheet and the default template's stylesheet, once per process."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fonts_css = render_to_string(
        "documents/fonts.css",
        {"font_regular_url": FONT_REGULAR.as_uri(), "font_bold_url": FONT_BOLD.as_uri()},
    )
    fonts = weasyprint.CSS(string=fonts_css, font_config=font_config, url_fetcher=_url_fetcher())
    default = weasyprint.CSS(
        string=render_to_string("documents/licence.css"), font_config=font_config, url_fetcher=_url_fetcher()
    )
    return weasyprint, font_config, (fonts, default)


@functools.lru_cache(maxsize=32)
def _template_stylesheet(css: str):
    """An agency template's stylesheet, parsed once per process (published templates never change)."""
    weasyprint, font_config, _ = _weasyprint_setup()
    return weasyprint.CSS(string=css, font_config=font_config, url_fetcher=_url_fetcher())


def render_document_pdf(
    *,
    number: str,
    title_th: str,
    title_en: str,
    holder_name: str,
    fields: list[tuple[str, str]],
    agency_name_th: str,
    agency_name_en: str,
    ministry_th: str = "",
    ministry_en: str = "",
    issued_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    verification_url: str,
    qr_payload: str | None = None,
    template: CompiledTemplate | None = None,
    check_essentials: bool = False,
) -> bytes:
    """A4 PDF/A-3 of the document: the agency, title, number, holder, fields, B.E. dates and a QR code.

    The QR code holds `qr_payload` (the URL and its credential) or, without one, the verification URL.
    `template` is the service's published (or, for a preview, draft) template, rendered in the sandbox;
    without one the shipped template is used. `check_essentials` refuses (422) a template that does not
    print the number and the QR code.
    """
    weasyprint, font_config, (fonts, default_stylesheet) = _weasyprint_setup()
    context = document_context(
        number=number,
        title_th=title_th,
        title_en=title_en,
        holder_name=holder_name,
        fields=fields,
        agency_name_th=agency_name_th,
        agency_name_en=agency_name_en,
        ministry_th=ministry_th,
        ministry_en=ministry_en,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        verification_url=verification_url,
        # One pixel per module: the stylesheet sizes it with `image-rendering: pixelated`, so it prints sharp.
        qr_data_uri=verification_qr(qr_payload or verification_url).png_data_uri(scale=1, border=4),
    )
    if template is None:
        html = render_to_string("documents/licence.html", context)
        stylesheets = [fonts, default_stylesheet]
    else:
        html = template.render(context)
        if check_essentials:
            check_prints_essentials(html, number=number, qr_data_uri=context["qr_data_uri"])
        stylesheets = [fonts, _template_stylesheet(template.css)]
    # Only the drawn text needs it; the PDF's metadata (title, author) keeps the text as given.
    if "<body" in html:
        head, body = html.split("<body", 1)
        html = head + "<body" + _decompose_sara_am(body)
    else:
        html = _decompose_sara_am(html)
    document = weasyprint.HTML(string=html, url_fetcher=_url_fetcher())
    with _render_lock:
        return document.write_pdf(stylesheets=stylesheets, font_config=font_config, pdf_variant=PDF_VARIANT)


def pdf_first_page_png(pdf: bytes, *, dpi: int = 80) -> bytes:
    """The first page as a PNG image, drawn by poppler's `pdftoppm` (for template previews)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "preview.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - fixed arguments, our own temporary file
            [
                PDFTOPPM,
                "-png",
                "-r",
                str(dpi),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                f"{directory}/page",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return (Path(directory) / "page.png").read_bytes()
