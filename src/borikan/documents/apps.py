from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "borikan.documents"
    label = "documents"

    def ready(self) -> None:
        from . import lifecycle

        lifecycle.register()
