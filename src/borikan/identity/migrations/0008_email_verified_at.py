from django.db import migrations, models
from django.db.models import F


def existing_addresses_count(apps, schema_editor):
    # Accounts made before verification existed keep working: they are marked verified as of when they joined.
    # Their owners have been signing in with them; new sign-ups prove their address from now on.
    User = apps.get_model("identity", "User")
    User.objects.filter(email__isnull=False, email_verified_at__isnull=True).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("identity", "0007_proven_names")]

    operations = [
        migrations.AddField(
            model_name="user", name="email_verified_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.RunPython(existing_addresses_count, migrations.RunPython.noop),
    ]
