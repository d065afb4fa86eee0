from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "borikan.delivery"
    label = "delivery"
