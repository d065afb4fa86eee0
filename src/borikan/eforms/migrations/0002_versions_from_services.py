"""Every service gets version 1 of its form from its current catalogue form schema, published; every
application already started is pinned to it."""

from django.db import migrations
from django.utils import timezone

from borikan.eforms.definition import from_legacy


def forwards(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    FormVersion = apps.get_model("eforms", "FormVersion")
    ApplicationForm = apps.get_model("eforms", "ApplicationForm")
    Application = apps.get_model("applications", "Application")
    now = timezone.now()
    for service in Service.objects.all().iterator():
        if FormVersion.objects.filter(service=service).exists():
            continue
        schema, ui = from_legacy(service.form_schema or {})
        version = FormVersion.objects.create(
            service=service, number=1, status="published", schema=schema, ui=ui, published_at=now
        )
        pins = [
            ApplicationForm(case_ref=str(pk), form_version=version)
            for pk in Application.objects.filter(service=service).values_list("pk", flat=True)
        ]
        ApplicationForm.objects.bulk_create(pins, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("eforms", "0001_initial"),
        ("applications", "0004_fee_waived"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
