from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "borikan.catalog"
    label = "catalog"
