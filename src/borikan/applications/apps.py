from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "borikan.applications"
    label = "applications"

    def ready(self) -> None:
        # The common services report facts about a case; the lifecycle reacts. They never import us.
        from borikan.core import events

        from . import services

        events.subscribe(events.PaymentSettled, lambda e: services.application_payment_settled(case_ref=e.case_ref))
        events.subscribe(
            events.DocumentDelivered, lambda e: services.application_document_delivered(case_ref=e.case_ref)
        )
