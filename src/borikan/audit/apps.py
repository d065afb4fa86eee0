from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "borikan.audit"
    label = "audit"
