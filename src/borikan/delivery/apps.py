from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "borikan.delivery"
    label = "delivery"

    def ready(self) -> None:
        from . import lifecycle

        lifecycle.register()
