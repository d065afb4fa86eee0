from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "borikan.core"
    label = "core"
