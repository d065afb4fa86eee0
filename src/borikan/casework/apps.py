from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "borikan.casework"
    label = "casework"

    def ready(self) -> None:
        # What casework declares around a case's moves (checks, the SLA clock, information requests).
        from . import services, states  # noqa: F401 - the state table is declared on import

        services.register()
