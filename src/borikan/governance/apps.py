from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "borikan.governance"
    label = "governance"
