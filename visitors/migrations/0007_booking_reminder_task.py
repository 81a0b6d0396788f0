import datetime

from django.db import migrations

# 16:00 UTC is 17:00 or 18:00 in Stockholm: the afternoon before.
REMINDER_HOUR_UTC = 16


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    first_run = datetime.datetime.combine(
        datetime.date.today() + datetime.timedelta(days=1),
        datetime.time(REMINDER_HOUR_UTC),
        tzinfo=datetime.timezone.utc,
    )
    Schedule.objects.get_or_create(
        name="booking-reminders",
        defaults={
            "func": "visitors.booking.send_reminders",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": first_run,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="booking-reminders").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0006_bookings"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
