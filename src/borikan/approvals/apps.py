from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "borikan.approvals"
    label = "approvals"
