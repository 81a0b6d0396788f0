from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache (settings.CACHES) is shared by every app server and
    # the task cluster; creating it here means `migrate` is the only step a
    # deployment needs. The command skips a table that exists.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("schedule", "0002_nightly_horizon_task")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
