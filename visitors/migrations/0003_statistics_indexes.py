from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0002_tally_tap_times"),
    ]

    operations = [
        # visitors.statistics.ReportBuilder: every breakdown, the heatmap,
        # the headline counts and the trend select a period's visits; a staff
        # member's scope and the agency filter narrow them to some agencies.
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["agency", "started_at"], name="visit_agency_start_idx"),
        ),
        # The same queries for a coordinator's scope (the visits at their
        # municipality's venues) and the venue and municipality filters.
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["venue", "started_at"], name="visit_venue_start_idx"),
        ),
    ]
