"""The issued PDF: Thai text that extracts, the embedded Sarabun font, and a QR code that decodes."""

from __future__ import annotations

import io
import unicodedata

import pypdf
import pytest
import zxingcpp
from PIL import Image

from borikan.agencies.models import Agency
from borikan.documents.rendering import _url_fetcher, verification_qr_png
from borikan.identity.models import User

from .conftest import issue


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded, not merely named
            names.add(str(font["/BaseFont"]).split("+", 1)[1])
    return names


def _decode_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.django_db
def test_issued_pdf_text_has_the_thai_title_and_number_when_extracted(agency: Agency, citizen: User):
    document = issue(agency=agency, holder=citizen, title_th="ใบอนุญาตขับรถ", fields={"ประเภท": "หนังสือรับรอง"})

    text = _pdf_text(document.pdf.read())

    assert "ใบอนุญาตขับรถ" in text
    assert "หนังสือรับรอง" in text
    assert document.number in text
    assert "สมชาย ใจดี" in text


@pytest.mark.django_db
def test_sara_am_in_the_agency_name_does_not_corrupt_other_vowels_when_extracted(citizen: User):
    # HarfBuzz decomposes ำ; without care the SARA AA glyph would map to "ำ" for the whole file.
    agency = Agency.objects.create(
        code="FDA", name_th="สำนักงานคณะกรรมการอาหารและยา", name_en="Food and Drug Administration"
    )
    document = issue(agency=agency, holder=citizen, title_th="ใบอนุญาตขับรถ", fields={"น้ำหนัก": "ทำการ"})

    text = unicodedata.normalize("NFKC", _pdf_text(document.pdf.read()))

    assert "ใบอนุญาตขับรถ" in text
    assert unicodedata.normalize("NFKC", "สำนักงานคณะกรรมการอาหารและยา") in text
    assert unicodedata.normalize("NFKC", "ทำการ") in text


@pytest.mark.django_db
def test_issued_pdf_embeds_the_sarabun_fonts(document):
    assert _font_names(document.pdf.read()) == {"Sarabun", "Sarabun-Bold"}


@pytest.mark.django_db
def test_issued_pdf_declares_pdf_a_3(document):
    metadata = pypdf.PdfReader(io.BytesIO(document.pdf.read())).xmp_metadata

    assert metadata is not None
    assert [attr.value for attr in metadata.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")] == ["3"]


def test_qr_helper_png_decodes_to_the_url():
    url = "http://127.0.0.1:8000/verify/" + "x" * 43

    image = Image.open(io.BytesIO(verification_qr_png(url)))

    assert _decode_qr(image) == [url]


@pytest.mark.django_db
def test_qr_printed_in_the_pdf_decodes_to_the_verification_url_with_the_credential(document, settings):
    page = pypdf.PdfReader(io.BytesIO(document.pdf.read())).pages[0]

    decoded = [text for image in page.images for text in _decode_qr(image.image)]

    url = f"{settings.BORIKAN_PUBLIC_BASE_URL}/verify/{document.verification_code}"
    assert decoded == [f"{url}#{document.credential}"]
    assert document.credential.count(".") == 2


def test_renderer_refuses_urls_other_than_its_fonts_and_inline_data():
    fetcher = _url_fetcher()

    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch("http://127.0.0.1:8000/")
