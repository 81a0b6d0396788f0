from django.db import migrations, models


def formal_names_from_names(apps, schema_editor):
    """Existing rows get "<name> kommun", as the accessibility page used to
    show them; a name that already ends in "kommun" is taken as it is."""
    Municipality = apps.get_model("agencies", "Municipality")
    for municipality in Municipality.objects.all():
        name = municipality.name.strip()
        municipality.formal_name = name if name.lower().endswith(" kommun") else f"{name} kommun"
        municipality.save(update_fields=["formal_name"])


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0003_venue_language"),
    ]

    operations = [
        migrations.AlterField(
            model_name="municipality",
            name="name",
            field=models.CharField(help_text="Short, as in lists: e.g. Mjölby", max_length=100, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="municipality",
            name="formal_name",
            field=models.CharField(
                default="",
                help_text="The municipality's own name, as on its letters: e.g. Mjölby kommun",
                max_length=120,
                verbose_name="formal name",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(formal_names_from_names, migrations.RunPython.noop),
    ]
