"""Domain errors: a stable machine-readable code plus a Thai and an English message.

Services raise these; the API turns them into RFC 9457 problem documents and pages show the message
in the reader's language. Never put raw exception text in front of a user.
"""

from __future__ import annotations

from django.utils.translation import get_language


class ApplicationError(Exception):
    """Base of every expected, user-facing failure."""

    status = 400

    def __init__(
        self,
        code: str,
        message_th: str,
        message_en: str,
        *,
        field: str | None = None,
        status: int | None = None,
        details: dict | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_th = message_th
        self.message_en = message_en
        self.field = field
        self.details = details or {}
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return self.message_en if (get_language() or "th").startswith("en") else self.message_th

    def as_problem(self) -> dict:
        problem = {
            "type": f"https://borikan.go.th/problems/{self.code}",
            "title": self.message_en,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
            "detail_th": self.message_th,
            "detail_en": self.message_en,
        }
        if self.field:
            problem["field"] = self.field
        if self.details:
            problem["errors"] = self.details
        return problem


class NotFound(ApplicationError):
    """Missing and forbidden look the same from outside: both are 404."""

    status = 404

    def __init__(self, what_en: str = "object", what_th: str = "ข้อมูล") -> None:
        super().__init__("not_found", f"ไม่พบ{what_th}", f"{what_en.capitalize()} not found")


class PermissionDenied(ApplicationError):
    status = 403

    def __init__(self, message_th: str, message_en: str, code: str = "forbidden") -> None:
        super().__init__(code, message_th, message_en)


class ValidationFailed(ApplicationError):
    status = 422


def conflict_of_interest() -> PermissionDenied:
    return PermissionDenied(
        "เจ้าหน้าที่ดำเนินการกับคำขอของตนเองไม่ได้ (มีส่วนได้เสีย)",
        "Staff cannot act on their own application (conflict of interest)",
        code="conflict_of_interest",
    )


def refuse_own(actor: object, *owner_ids: int | None) -> None:
    """No one decides on their own case, payment, refund, claim or document (issue 11: conflict of interest)."""
    actor_id = getattr(actor, "pk", None)
    if actor_id is not None and actor_id in owner_ids:
        raise conflict_of_interest()
