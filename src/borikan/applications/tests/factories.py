"""Build applications directly in any status, for lifecycle tests. Production code moves status only through
`application_transition`; tests may place a case anywhere to test the step out of it."""

from __future__ import annotations

from borikan.applications.models import Application
from borikan.catalog.models import Service
from borikan.conftest import VALID_FORM
from borikan.identity.models import User


def make_application(*, service: Service, applicant: User, status: str = "draft", **extra) -> Application:
    return Application.objects.create(
        service=service,
        agency=service.agency,
        applicant=applicant,
        status=status,
        form_data=dict(VALID_FORM),
        tracking_number=None
        if status == "draft"
        else f"{service.agency.code}-2569-{Application.objects.count() + 1:06d}",
        **extra,
    )
