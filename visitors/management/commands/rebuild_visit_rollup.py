"""``python manage.py rebuild_visit_rollup``: recompute the statistics'
daily rollup from every visit (visitors/rollup.py). Needed only after
visits were written past the app (a restore, a hand-made SQL fix): the app
keeps the rollup right itself."""

import time

from django.core.management.base import BaseCommand

from visitors import rollup
from visitors.models import Visit, VisitDailyCount


class Command(BaseCommand):
    help = "Recompute the statistics' daily rollup from every visit."

    def handle(self, *args, **options):
        started = time.monotonic()
        rollup.rebuild()
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Rollup rebuilt from {Visit.objects.count()} visits: "
                f"{VisitDailyCount.objects.count()} rows in {seconds:.1f} s."
            )
        )
