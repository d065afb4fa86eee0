from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "borikan.applications"
    label = "applications"

    def ready(self) -> None:
        # The common services report facts about a case; the lifecycle reacts. They never import us.
        from borikan.core import caseflow, events

        from . import casework, engine, lifecycle, services

        events.subscribe(events.PaymentSettled, lambda e: services.application_payment_settled(case_ref=e.case_ref))
        events.subscribe(
            events.DocumentDelivered, lambda e: services.application_document_delivered(case_ref=e.case_ref)
        )
        # The engine's seam: what the lifecycle and casework declare around a move; the other apps register theirs
        # in their own ready(). Lower layers ask for a move through caseflow.move.
        lifecycle.register()
        casework.register()
        caseflow.plug_engine(engine.transition)
