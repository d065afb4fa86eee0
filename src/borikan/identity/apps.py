from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "borikan.identity"
    label = "identity"
