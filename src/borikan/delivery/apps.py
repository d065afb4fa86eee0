from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "borikan.delivery"
    label = "delivery"

    def ready(self) -> None:
        from . import lifecycle, states  # noqa: F401 - the state tables are declared on import

        lifecycle.register()
