from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "borikan.approvals"
    label = "approvals"

    def ready(self) -> None:
        from . import states  # noqa: F401 - the state table is declared on import
