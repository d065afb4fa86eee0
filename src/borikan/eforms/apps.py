from django.apps import AppConfig


class EformsConfig(AppConfig):
    name = "borikan.eforms"
    label = "eforms"
    verbose_name = "e-forms"

    def ready(self) -> None:
        from . import states  # noqa: F401 - the state table is declared on import
