from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "borikan.payments"
    label = "payments"

    def ready(self) -> None:
        from . import lifecycle

        lifecycle.register()
