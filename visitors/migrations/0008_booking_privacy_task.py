import datetime

from django.db import migrations

# 02:30 UTC: at night, after the day's sessions have ended.
ERASE_HOUR_UTC = 2


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    first_run = datetime.datetime.combine(
        datetime.date.today() + datetime.timedelta(days=1),
        datetime.time(ERASE_HOUR_UTC, 30),
        tzinfo=datetime.timezone.utc,
    )
    Schedule.objects.get_or_create(
        name="erase-booking-personal-data",
        defaults={
            "func": "visitors.booking.erase_expired_personal_data",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": first_run,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="erase-booking-personal-data").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0007_booking_reminder_task"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
