from django.db import migrations


def add_schedule(apps, schema_editor):
    # Every 10 minutes: an offer whose time is up goes to the next in line
    # soon after, even when nobody opens the booking page.
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name="expire-waiting-list-offers",
        defaults={
            "func": "visitors.booking.expire_offers",
            "schedule_type": "I",
            "minutes": 10,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="expire-waiting-list-offers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0010_waiting_list"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
