"""Background steps of the case lifecycle. Tasks take IDs, re-fetch, and call one service."""

from django.tasks import task


@task
def send_submission_acknowledgement(application_id: str) -> str:
    from .services import application_acknowledge

    return application_acknowledge(application_id=application_id)


@task
def expire_information_requests() -> int:
    """Daily: unanswered requests for information past their deadline end as their service defines."""
    from borikan.casework.services import expire_information_requests as expire

    return len(expire())


@task
def escalate_overdue_cases() -> dict:
    """Daily: supervisors hear of overdue and soon-due cases; applicants of late cases get the legal notice."""
    from borikan.casework.services import escalate_overdue_cases as escalate

    return escalate()


@task
def run_case_effect(key: str) -> int:
    """Carry out one durable case effect (a hint after the move's commit; safe to run any number of times)."""
    from .effects import run_due

    return run_due(limit=1, key=key)


@task
def sweep_case_effects() -> dict:
    """Every few minutes: re-drive effects that are due or were abandoned, and cases missing an expected effect."""
    from .effects import sweep

    return sweep()
