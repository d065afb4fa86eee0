from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "borikan.documents"
    label = "documents"
