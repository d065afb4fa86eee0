"""Checks on uploaded files: type by content (magic bytes), not by the name or the declared type."""

from __future__ import annotations

from django.conf import settings

from borikan.core.errors import ValidationFailed

MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff_content_type(head: bytes) -> str | None:
    for content_type, signatures in MAGIC.items():
        if any(head.startswith(sig) for sig in signatures):
            return content_type
    return None


def check_upload(*, head: bytes, size: int, declared_type: str, allowed: list[str]) -> str:
    """Return the sniffed content type or raise a clear error. `head` is the first bytes of the file."""
    limit = settings.BORIKAN_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            "file_too_large",
            f"ไฟล์มีขนาดใหญ่เกิน {limit // (1024 * 1024)} MB",
            f"The file is larger than {limit // (1024 * 1024)} MB",
            field="file",
            status=413,
        )
    if size == 0:
        raise ValidationFailed("file_empty", "ไฟล์ว่างเปล่า", "The file is empty", field="file")
    sniffed = sniff_content_type(head)
    if sniffed is None or sniffed not in allowed:
        raise ValidationFailed(
            "file_type_not_allowed",
            "ชนิดไฟล์ไม่ได้รับอนุญาต (รับเฉพาะ PDF, JPEG หรือ PNG)",
            "This type of file is not accepted (PDF, JPEG or PNG only)",
            field="file",
            status=415,
        )
    if declared_type and declared_type.split(";")[0].strip() != sniffed:
        raise ValidationFailed(
            "file_type_mismatch",
            "ชนิดไฟล์ที่ระบุไม่ตรงกับเนื้อหาของไฟล์",
            "The file's declared type does not match its content",
            field="file",
            status=415,
        )
    return sniffed
