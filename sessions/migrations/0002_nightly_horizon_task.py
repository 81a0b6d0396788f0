import datetime

from django.db import migrations


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tomorrow_night = datetime.datetime.combine(
        datetime.date.today() + datetime.timedelta(days=1),
        datetime.time(3, 15),
        tzinfo=datetime.timezone.utc,
    )
    Schedule.objects.get_or_create(
        name="extend-occurrence-horizon",
        defaults={
            "func": "sessions.schedule.extend_horizon",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": tomorrow_night,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name="extend-occurrence-horizon"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("schedule", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
