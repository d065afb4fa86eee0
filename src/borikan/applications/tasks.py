"""Background steps of the case lifecycle. Tasks take IDs, re-fetch, and call one service."""

from django.tasks import task


@task
def issue_application_document(application_id: str) -> str:
    from .services import application_issue

    return application_issue(application_id=application_id).status


@task
def send_submission_acknowledgement(application_id: str) -> str:
    from .services import application_acknowledge

    return application_acknowledge(application_id=application_id)


@task
def expire_information_requests() -> int:
    """Daily: unanswered requests for information past their deadline end as their service defines."""
    from .casework import expire_information_requests as expire

    return len(expire())


@task
def escalate_overdue_cases() -> dict:
    """Daily: supervisors hear of overdue and soon-due cases; applicants of late cases get the legal notice."""
    from .casework import escalate_overdue_cases as escalate

    return escalate()
