"""Load the shipped public-holiday calendar (data/thai-public-holidays.json); later years come by command."""

from django.db import migrations


def forwards(apps, schema_editor):
    import datetime as dt

    from borikan.casework.deadlines import shipped_holidays

    PublicHoliday = apps.get_model("applications", "PublicHoliday")
    for holiday in shipped_holidays():
        PublicHoliday.objects.update_or_create(
            date=dt.date.fromisoformat(holiday["date"]),
            defaults={"name_th": holiday["name_th"], "name_en": holiday.get("name_en", "")},
        )


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
