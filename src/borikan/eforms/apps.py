from django.apps import AppConfig


class EformsConfig(AppConfig):
    name = "borikan.eforms"
    label = "eforms"
    verbose_name = "e-forms"

    def ready(self) -> None:
        from borikan.payments.extension import register_number_fields

        from . import states  # noqa: F401 - the state table is declared on import
        from .selectors import number_fields

        register_number_fields(number_fields)  # the fee page suggests the form's number fields
