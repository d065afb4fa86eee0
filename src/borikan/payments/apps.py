from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "borikan.payments"
    label = "payments"

    def ready(self) -> None:
        from . import lifecycle, states  # noqa: F401 - the state tables are declared on import

        lifecycle.register()
