from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "borikan.applications"
    label = "applications"

    def ready(self) -> None:
        # The common services report facts about a case; the lifecycle reacts. They never import us.
        from borikan.core import caseflow, events

        from . import engine, lifecycle, services
        from .models import OPEN_STATUSES, Application

        events.subscribe(events.PaymentSettled, lambda e: services.application_payment_settled(case_ref=e.case_ref))
        events.subscribe(
            events.DocumentDelivered, lambda e: services.application_document_delivered(case_ref=e.case_ref)
        )
        # The engine's seam: what the lifecycle declares around a move; the other apps (casework, payments,
        # documents, delivery) register theirs in their own ready(). Lower layers reach cases through the ports.
        lifecycle.register()
        caseflow.plug_engine(engine.transition)
        caseflow.plug_cases(
            caseflow.CasePort(
                model=Application,
                open_statuses=frozenset(s.value for s in OPEN_STATUSES),
                lock=engine.lock_case,
                move_locked=engine.transition_locked_named,
            )
        )
