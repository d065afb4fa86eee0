from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "borikan.payments"
    label = "payments"
