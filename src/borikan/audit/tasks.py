"""Background jobs of the audit log."""

from django.tasks import task

from .services import audit_seal


@task
def seal_audit_chain() -> int:
    """Seal entries whose own post-commit sealing never ran (e.g. the process died right after commit)."""
    return audit_seal()
