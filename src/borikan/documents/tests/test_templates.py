"""Per-service document templates: the sandbox, draft/preview/publish by agency admins, issuing with a version."""

from __future__ import annotations

import io
import unicodedata

import pypdf
import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image

from borikan.agencies.models import Agency, StaffRole
from borikan.audit.models import AuditEntry
from borikan.catalog.models import Service
from borikan.conftest import PASSWORD_ONLY, make_staff, sign_in
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from borikan.core.thaidate import thai_date
from borikan.documents import doctemplates
from borikan.documents.models import DocumentTemplate, TemplateStatus
from borikan.documents.services import document_issue
from borikan.documents.templating import compile_template, default_template_source
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import User

pytestmark = pytest.mark.django_db

SIMPLE_HTML = """<html><body>
<h1 class="t">{{ title_th }}</h1>
<p class="n">{{ number }} / {{ number|thai_digits }}</p>
<p>{{ holder_name }} ออกเมื่อ {{ issued_on_th }}</p>
{% for label, value in fields %}<p>{{ label }}: {{ value }}</p>{% endfor %}
<img src="{{ qr_data_uri }}" alt="QR" style="width: 40mm">
</body></html>
"""
SIMPLE_CSS = "@page { size: A5; } h1.t { color: #123456; font-weight: 700; }"


@pytest.fixture
def agency_admin(agency: Agency) -> User:
    return make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


def _text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFKC", text)


def _problem(error: ApplicationError) -> tuple[str, str | None, int | None]:
    return error.code, error.details.get("part"), error.details.get("line")


# --- the sandbox -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "line"),
    [
        ("<div>\n<p>{{ number }}\n{% if x %}\n</div>", 3),  # unclosed {% if %}
        ("<div>\n{% include 'base.html' %}\n</div>", 2),
        ("<div>\n{% load static %}\n</div>", 2),
        ("<div>\n\n{% debug %}</div>", 3),
        ("<div>\n{% url 'documents:verify_upload' %}</div>", 2),
        ("<div>{% autoescape off %}{{ x }}{% endautoescape %}</div>", 1),
        ("<p>\n{{ holder_name|safe }}</p>", 2),
        ("<p>{{ holder_name|pprint }}</p>", 1),
    ],
)
def test_template_language_outside_the_whitelist_is_refused_with_its_line(html: str, line: int):
    with pytest.raises(ValidationFailed) as refused:
        compile_template(html, "")

    assert _problem(refused.value) == ("invalid_template", "html", line)
    assert f"line {line}" in refused.value.message_en


@pytest.mark.parametrize(
    ("html", "line", "words"),
    [
        ("<div>\n  <span>\n</div>", 3, "closes <span> opened on line 2"),
        ("<div>\n</span>\n</div>", 2, "</span> closes nothing"),
        ("<section>\n<div>\n<p>x", 2, "<div> is never closed"),
        ("<div>\n<script>alert(1)</script></div>", 2, "<script>"),
        ('<div>\n<img src="x" onerror="alert(1)"></div>', 2, "onerror"),
        ('<div>\n\n<link rel="stylesheet" href="http://evil/x.css"></div>', 3, "<link>"),
        ('<iframe src="file:///etc/passwd"></iframe>', 1, "<iframe>"),
    ],
)
def test_broken_or_active_markup_is_refused_with_its_line(html: str, line: int, words: str):
    with pytest.raises(ValidationFailed) as refused:
        compile_template(html, "")

    assert _problem(refused.value) == ("invalid_template", "html", line)
    assert words in refused.value.message_en


def test_loops_nest_two_deep_at_most():
    compile_template("{% for label, value in fields %}{% for c in value %}{{ c }}{% endfor %}{% endfor %}", "")
    three = "<p>\n{% if fields %}{% for a in number %}{% with b=number %}\n{% for c in b %}\n{% for d in number %}"
    three += "{{ d }}{% endfor %}{% endfor %}{% endwith %}{% endfor %}{% endif %}</p>"
    with pytest.raises(ValidationFailed) as refused:
        compile_template(three, "")
    assert _problem(refused.value) == ("invalid_template", "html", 4)


def test_optional_end_tags_are_accepted():
    compile_template("<table><tr><td>{{ number }}<td>x</table><ul><li>a<li>b</ul><p>one<p>two", "")


@pytest.mark.parametrize(
    ("css", "line", "words"),
    [
        ("p { color: red; }\n@import url(http://evil/x.css);", 2, "@import"),
        ("p {\n background: url(file:///etc/passwd); }", 2, "url()"),
        ('p {\n\n background: url("https://tracker.example/x.png"); }', 3, "url()"),
        ("p { color: red; }\n}", 2, "malformed CSS"),
    ],
)
def test_css_that_loads_anything_or_does_not_parse_is_refused_with_its_line(css: str, line: int, words: str):
    with pytest.raises(ValidationFailed) as refused:
        compile_template("<p>{{ number }}</p>", css)

    assert _problem(refused.value) == ("invalid_template", "css", line)
    assert words in refused.value.message_en


@pytest.mark.parametrize(
    ("html", "css"),
    [
        ('<p>{{ number }}</p>\n<img src="file:///etc/passwd">', ""),
        ('<p>{{ number }}</p>\n<img srcset="http://tracker.example/a.png 1x">', ""),
        ('<p>{{ number }}</p>\n<p style="background: url(http://tracker.example/a.png)">x</p>', ""),
        ("<p>{{ number }}</p>", 'p {\n background: image-set("http://tracker.example/a.png" 1x); }'),
    ],
)
def test_markup_and_css_that_would_make_the_renderer_fetch_are_refused_when_saved(html: str, css: str):
    with pytest.raises(ValidationFailed) as refused:
        compile_template(html, css)
    assert refused.value.status == 422
    assert refused.value.code == "invalid_template"
    assert refused.value.details["line"] == 2


def test_the_qr_code_a_data_image_and_a_printed_link_are_allowed():
    compile_template(
        '<p>{{ number }}</p><img src="{{ qr_data_uri }}"><img src="data:image/png;base64,iVBORw0KGgo=">'
        '<a href="{{ verification_url }}">{{ verification_url }}</a>',
        "",
    )


def test_css_data_urls_are_allowed():
    compile_template("<p>{{ number }}</p>", "p { background: url(data:image/png;base64,iVBORw0KGgo=); }")


def test_size_limits():
    with pytest.raises(ValidationFailed) as too_big:
        compile_template("<p>" + "ก" * 100_001 + "</p>", "")
    assert too_big.value.code == "template_too_large"
    with pytest.raises(ValidationFailed) as empty:
        compile_template("   ", "")
    assert empty.value.code == "invalid_template"


def test_the_sandbox_escapes_everything_and_reaches_only_the_context():
    compiled = compile_template("<p>{{ holder_name }}|{{ settings.SECRET_KEY }}|{{ request.user }}</p>", "")

    out = compiled.render({"holder_name": "<b>สมชาย</b>"})

    assert out == "<p>&lt;b&gt;สมชาย&lt;/b&gt;||</p>"
    with pytest.raises(ValidationFailed, match="underscores"):
        compile_template("<p>{{ holder_name.__class__ }}</p>", "")


def test_the_shipped_template_passes_the_sandbox():
    html, css = default_template_source()
    compile_template(html, css)


# --- preview ----------------------------------------------------------------------------------------------------


def test_preview_draws_sample_data_with_thai_buddhist_era_dates_and_a_qr(service: Service, agency_admin: User):
    pdf = doctemplates.template_preview(actor=agency_admin, service=service, html=SIMPLE_HTML, css=SIMPLE_CSS)

    text = _text(pdf)
    assert doctemplates.SAMPLE_HOLDER in text
    from django.utils import timezone

    assert thai_date(timezone.localdate()) in text  # "25 พฤศจิกายน 2569": the Buddhist-Era year
    assert "๐๐๐๑๒๓" in text  # thai_digits
    fonts = {str(font.get_object()["/BaseFont"]).split("+", 1)[1] for font in _page_fonts(pdf)}
    assert fonts and all(name.startswith("Sarabun") for name in fonts)  # the shipped font, embedded
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(page.mediabox.width)) == 420  # A5 from the template's own CSS

    png = doctemplates.template_preview(
        actor=agency_admin, service=service, html=SIMPLE_HTML, css=SIMPLE_CSS, fmt="png"
    )
    image = Image.open(io.BytesIO(png))
    decoded = [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]
    assert decoded and decoded[0].endswith("/verify/SAMPLE-NOT-A-REAL-DOCUMENT#sample.credential.only")
    assert not DocumentTemplate.objects.exists()  # a preview saves nothing


def _page_fonts(pdf: bytes):
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        yield from page["/Resources"]["/Font"].values()


def test_preview_refuses_a_template_without_number_or_qr(service: Service, agency_admin: User):
    with pytest.raises(ValidationFailed) as no_number:
        doctemplates.template_preview(actor=agency_admin, service=service, html="<p>{{ holder_name }}</p>", css="")
    assert no_number.value.code == "template_missing_number"
    with pytest.raises(ValidationFailed) as no_qr:
        doctemplates.template_preview(actor=agency_admin, service=service, html="<p>{{ number }}</p>", css="")
    assert no_qr.value.code == "template_missing_qr"


def test_a_render_error_is_a_422_with_its_line(service: Service, agency_admin: User):
    html = '<p>{{ number }}</p>\n<img src="{{ qr_data_uri }}">\n<p>{{ number|divisibleby:3 }}</p>'
    with pytest.raises(ValidationFailed) as refused:
        doctemplates.template_preview(actor=agency_admin, service=service, html=html, css="")
    assert _problem(refused.value) == ("invalid_template", "html", 3)


# --- who may edit -------------------------------------------------------------------------------------------------


def test_only_the_agency_admin_at_aal2_may_edit(
    service: Service, agency_admin: User, approver: User, foreign_officer: User, citizen: User, agency: Agency
):
    assert doctemplates.template_service_for_admin(actor=agency_admin, slug=service.slug) == service
    with pytest.raises(PermissionDenied):
        doctemplates.template_service_for_admin(actor=approver, slug=service.slug)
    for outsider in (foreign_officer, citizen):
        with pytest.raises(ApplicationError) as hidden:
            doctemplates.template_service_for_admin(actor=outsider, slug=service.slug)
        assert hidden.value.status == 404
    password_only = make_staff("weak@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    from borikan.conftest import signed_in

    signed_in(password_only, *PASSWORD_ONLY)
    with pytest.raises(AssuranceRequired):
        doctemplates.template_service_for_admin(actor=password_only, slug=service.slug)


# --- draft, publish, issue ------------------------------------------------------------------------------------------


def test_draft_is_saved_then_published_and_documents_record_the_version(
    service: Service, agency_admin: User, agency: Agency, citizen: User
):
    draft = doctemplates.template_draft_save(actor=agency_admin, service=service, html=SIMPLE_HTML, css=SIMPLE_CSS)
    again = doctemplates.template_draft_save(
        actor=agency_admin, service=service, html=SIMPLE_HTML.replace("ออกเมื่อ", "ออกให้เมื่อ"), css=SIMPLE_CSS
    )
    assert again.pk == draft.pk and again.version == 1 and again.status == TemplateStatus.DRAFT

    # A draft is not used for issuing.
    before = document_issue(
        actor=None, case_ref="case-1", agency=agency, holder=citizen, title_th="ใบอนุญาต", title_en="Licence",
        fields={"ประเภท": "ทั่วไป"}, valid_days=30, service=service,
    )  # fmt: skip
    assert before.template is None

    published = doctemplates.template_publish(actor=agency_admin, service=service)
    assert (published.status, published.version, published.published_by) == ("published", 1, agency_admin)
    assert published.published_at is not None

    document = document_issue(
        actor=None, case_ref="case-2", agency=agency, holder=citizen, title_th="ใบอนุญาต", title_en="Licence",
        fields={"ประเภท": "ทั่วไป"}, valid_days=30, service=service,
    )  # fmt: skip
    document.refresh_from_db()
    assert document.template == published
    pdf = document.pdf.read()
    text = _text(pdf)
    assert "ออกให้เมื่อ" in text and "ใบอนุญาต" in text and document.number in text
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(page.mediabox.width)) == 420
    assert AuditEntry.objects.get(action="document.issued", object_id=document.number).data["template_version"] == 1

    # The next draft is version 2; version 1 keeps drawing documents until it is published.
    second = doctemplates.template_draft_save(actor=agency_admin, service=service, html=SIMPLE_HTML, css="")
    assert second.version == 2
    assert doctemplates.template_published(service=service) == published
    actions = list(AuditEntry.objects.filter(object_type="service").values_list("action", flat=True))
    assert actions.count("document_template.saved") == 3 and "document_template.published" in actions


def test_a_broken_draft_is_not_saved_and_a_failing_draft_is_not_published(service: Service, agency_admin: User):
    with pytest.raises(ValidationFailed):
        doctemplates.template_draft_save(actor=agency_admin, service=service, html="<div>{% if %}</div>", css="")
    assert not DocumentTemplate.objects.exists()

    # Compiles, but prints no QR code: saved as a draft, refused at publishing, still a draft.
    doctemplates.template_draft_save(actor=agency_admin, service=service, html="<p>{{ number }}</p>", css="")
    with pytest.raises(ValidationFailed) as refused:
        doctemplates.template_publish(actor=agency_admin, service=service)
    assert refused.value.code == "template_missing_qr"
    assert list(DocumentTemplate.objects.values_list("status", flat=True)) == ["draft"]
    assert not AuditEntry.objects.filter(action="document_template.published").exists()


def test_publishing_without_a_draft_is_409(service: Service, agency_admin: User):
    with pytest.raises(ApplicationError) as refused:
        doctemplates.template_publish(actor=agency_admin, service=service)
    assert (refused.value.code, refused.value.status) == ("no_template_draft", 409)


# --- pages and API ---------------------------------------------------------------------------------------------------


def test_editor_page_saves_previews_and_publishes(service: Service, agency_admin: User):
    client = sign_in(Client(), agency_admin)
    url = reverse("documents:template_edit", args=[service.slug])

    page = client.get(url)
    assert page.status_code == 200
    assert "{{ qr_data_uri }}" in page.content.decode()  # the shipped template, to start from

    preview = client.post(reverse("documents:template_preview", args=[service.slug]) + "?format=png",
                          {"html": SIMPLE_HTML, "css": SIMPLE_CSS})  # fmt: skip
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"

    broken = client.post(url, {"html": "<div>\n<p>{{ number }}\n{% for x in %}</div>", "css": "", "save": "1"})
    assert broken.status_code == 422
    assert "line 3" in broken.content.decode() or "บรรทัดที่ 3" in broken.content.decode()
    assert not DocumentTemplate.objects.exists()

    assert client.post(url, {"html": SIMPLE_HTML, "css": SIMPLE_CSS, "save": "1"}).status_code == 302
    draft_pdf = client.get(reverse("documents:template_preview", args=[service.slug]))
    assert draft_pdf.status_code == 200 and draft_pdf.content.startswith(b"%PDF-")
    assert client.post(url, {"html": "", "css": "", "publish": "1"}).status_code == 302
    assert DocumentTemplate.objects.get().status == TemplateStatus.PUBLISHED


def test_editor_page_is_404_for_other_agencies_staff(service: Service, foreign_officer: User):
    client = sign_in(Client(), foreign_officer)
    assert client.get(reverse("documents:template_edit", args=[service.slug])).status_code == 404


def test_api_draft_preview_publish(service: Service, agency_admin: User, approver: User, api_as):
    api = api_as(agency_admin)
    base = f"/api/v1/documents/templates/{service.slug}"

    broken = api.put(f"{base}/draft", {"html": "<p>\n{{ number|nosuchfilter }}</p>", "css": ""}, "application/json")
    assert broken.status_code == 422
    assert broken.json()["code"] == "invalid_template"
    assert broken.json()["errors"] == {"part": "html", "line": 2}

    saved = api.put(f"{base}/draft", {"html": SIMPLE_HTML, "css": SIMPLE_CSS}, "application/json")
    assert saved.status_code == 200 and saved.json()["version"] == 1

    preview = api.get(f"{base}/preview?format=pdf")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF-")
    bad_format = api.get(f"{base}/preview?format=gif")
    assert bad_format.status_code == 422

    published = api.post(f"{base}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    listing = api.get(base).json()
    assert listing["draft"] is None and listing["published"]["version"] == 1
    assert api.post(f"{base}/publish").status_code == 409

    assert api_as(approver).put(f"{base}/draft", {"html": SIMPLE_HTML}, "application/json").status_code == 403


# --- the structured editor (no HTML) ---------------------------------------------------------------------------------

STRUCTURED = {
    "title_th": "ใบอนุญาต {title_th}",
    "title_en": "{title_en}",
    "body": "ขอรับรองว่า {holder_name} ได้รับอนุญาต <b>ตามคำขอ</b> {{ secret }} {% now 'Y' %}\n\nออกให้ ณ วันที่ {issued_on_th}",
    "show_fields": "on",
    "show_validity": "on",
    "signer_name": "นายสมชาย ใจดี",
    "signer_position": "ผู้อำนวยการ {agency_name_th}",
}


def test_the_structured_spec_becomes_a_safe_template_that_prints_the_essentials(service: Service):
    from borikan.documents.structured import clean_spec, structured_source

    spec = clean_spec(STRUCTURED)
    html, css = structured_source(spec)
    compiled_template = compile_template(html, css)  # the sandbox's own checks pass
    assert "{{ holder_name }}" in html and "{{ issued_on_th }}" in html and "{{ number }}" in html
    assert "{{ qr_data_uri }}" in html  # always printed, whatever the admin wrote
    # The admin's text is text: no markup, no template code of their own.
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "{{ secret }}" not in html and "{% now" not in html
    from django.template import Context

    context = {"holder_name": "นางสาวก", "issued_on_th": "1 ธันวาคม 2569", "number": "X-1", "agency_name_th": "กรม"}
    rendered = compiled_template.template.render(Context(context))
    assert "ขอรับรองว่า นางสาวก ได้รับอนุญาต" in rendered and "ผู้อำนวยการ กรม" in rendered


def test_an_unknown_placeholder_is_refused_naming_the_field():
    from borikan.documents.structured import clean_spec

    with pytest.raises(ValidationFailed) as refused:
        clean_spec({**STRUCTURED, "body": "เรียน {holder_nme}"})
    assert (refused.value.code, refused.value.field) == ("unknown_placeholder", "body")
    with pytest.raises(ValidationFailed) as untitled:
        clean_spec({**STRUCTURED, "title_th": "  "})
    assert untitled.value.field == "title_th"


def test_the_editor_page_saves_previews_and_publishes_without_html(service: Service, agency_admin: User):
    client = sign_in(Client(), agency_admin)
    client.cookies["django_language"] = "th"
    url = reverse("documents:template_edit", args=[service.slug])
    page = client.get(url).content.decode()
    assert 'id="structured-template"' in page and "{holder_name}" in page  # the placeholders to choose from
    assert 'id="advanced"' in page and "<details" in page  # HTML only behind "advanced"
    assert 'id="placeholder-picker"' in page and "template_editor.js" in page  # a list to pick from (with JS)

    preview = client.post(reverse("documents:template_preview", args=[service.slug]), STRUCTURED)
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF-")
    assert "ขอรับรองว่า" in _text(preview.content) and doctemplates.SAMPLE_HOLDER in _text(preview.content)

    bad = client.post(url, {**STRUCTURED, "body": "{no_such_field}", "save": "1"})
    assert bad.status_code == 422
    assert "govuk-error-message" in bad.content.decode() and "{no_such_field}" in bad.content.decode()
    assert not DocumentTemplate.objects.exists()

    assert client.post(url, {**STRUCTURED, "save": "1"}).status_code == 302
    draft = DocumentTemplate.objects.get()
    assert draft.spec is not None and draft.spec["signer_name"] == "นายสมชาย ใจดี"
    assert "{{ holder_name }}" in draft.html
    assert AuditEntry.objects.get(action="document_template.saved").data["structured"] is True
    reopened = client.get(url).content.decode()
    assert 'value="นายสมชาย ใจดี"' in reopened  # the editor opens on what was saved

    assert client.post(url, {"publish": "1"}).status_code == 302
    assert DocumentTemplate.objects.get().status == TemplateStatus.PUBLISHED


def test_a_template_written_as_html_is_flagged_in_the_structured_editor(service: Service, agency_admin: User):
    doctemplates.template_draft_save(actor=agency_admin, service=service, html=SIMPLE_HTML, css=SIMPLE_CSS)
    spec, written_as_html = doctemplates.template_spec_for_editing(service=service)
    assert written_as_html and spec["title_th"] == "{title_th}"
    assert DocumentTemplate.objects.get().spec is None
