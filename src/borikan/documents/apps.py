from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "borikan.documents"
    label = "documents"

    def ready(self) -> None:
        from . import lifecycle, states  # noqa: F401 - the state tables are declared on import

        lifecycle.register()
