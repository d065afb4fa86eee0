from django.apps import AppConfig


class EformsConfig(AppConfig):
    name = "borikan.eforms"
    label = "eforms"
    verbose_name = "e-forms"
