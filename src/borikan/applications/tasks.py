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
