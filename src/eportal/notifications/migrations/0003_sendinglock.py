from django.db import migrations, models


def create_sms_lock(apps, schema_editor):
    apps.get_model("notifications", "SendingLock").objects.get_or_create(name="sms")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_smsledgerentry")]

    operations = [
        migrations.CreateModel(
            name="SendingLock",
            fields=[("name", models.CharField(max_length=20, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(create_sms_lock, migrations.RunPython.noop),
    ]
