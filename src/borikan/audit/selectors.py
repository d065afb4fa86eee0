from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries_for_object(*, object_type: str, object_id: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")


def audit_entries_about_person(*, user_id: int) -> QuerySet[AuditEntry]:
    """Every recorded action on this person's data: what the citizen's access log shows."""
    return AuditEntry.objects.filter(subject_user_id=user_id).order_by("-seq")
