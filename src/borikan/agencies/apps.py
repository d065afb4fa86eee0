from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "borikan.agencies"
    label = "agencies"
