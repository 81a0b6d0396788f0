import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# (schedule name, kind, day of the month): preliminary figures on the 1st,
# final ones on the 15th, once the 14 days for corrections have passed.
SCHEDULES = [
    ("monthly-report-preliminary", "preliminary", 1),
    ("monthly-report-final", "final", 15),
]


def next_morning_on(day_of_month, today):
    """The next ``day_of_month`` at 06:00 Stockholm time, after today."""
    year, month = today.year, today.month
    if today.day >= day_of_month:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime.datetime(year, month, day_of_month, 6, tzinfo=STOCKHOLM)


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    today = datetime.datetime.now(STOCKHOLM).date()
    for name, kind, day in SCHEDULES:
        # Monthly: django-q2 adds a month and keeps the wall-clock time
        # (Q_CLUSTER time zone) across daylight-saving changes.
        Schedule.objects.get_or_create(
            name=name,
            defaults={
                "func": "visitors.reports.send_monthly_reports",
                "args": repr(kind),
                "schedule_type": "M",
                "repeats": -1,
                "next_run": next_morning_on(day, today),
            },
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0004_export_jobs_and_sent_reports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
