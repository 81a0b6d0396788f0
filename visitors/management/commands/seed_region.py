"""``python manage.py seed_region``: a region-size installation for load
tests and ``make bench``: Sweden's 290 municipalities in their 21 regions,
some 600 venues, 6,000 series across the formats and recurrences with
twelve months of occurrences back and ahead, and with ``--visits N`` that
many anonymous visits over the past year (PostgreSQL's COPY; elsewhere
batched inserts). Bulk writes throughout: see agencies/region.py,
sessions/region.py and visitors/seeding.py.

    manage.py seed_region                                  # the whole country
    manage.py seed_region --municipalities 12 --venues 30 --series 300
    manage.py seed_region --visits 10000000                # a year's visits

Run after ``migrate`` (``seed_demo`` first is fine: its municipalities get
their region, and its topics are reused). A second run adds only what is
missing; ``--visits`` with the same ``--seed`` adds nothing twice.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agencies import region as places
from agencies.models import Agency, Municipality, Venue
from sessions import region as schedule
from sessions.models import Occurrence, StaffedSlot
from visitors import bulk_load
from visitors.seeding import seed_visits

YEAR_DAYS = 365
SCHEDULE_TABLES = [model._meta.db_table for model in (Municipality, Venue, Agency, StaffedSlot, Occurrence)]


class Command(BaseCommand):
    help = (
        "Build a region-size installation: municipalities with their region (from the shipped list of "
        "290), venues, agencies, series and twelve months of occurrences back and ahead, and with "
        "--visits that many visits over the past year. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipalities", type=int, default=290, help="How many (of 290; default all).")
        parser.add_argument("--venues", type=int, default=600, help="Venues in all (at least one each).")
        parser.add_argument("--series", type=int, default=6000, help="Series in all.")
        parser.add_argument("--visits", type=int, default=0, help="Visits over the past year (default none).")
        parser.add_argument(
            "--seed", type=int, default=1, help="Which visits (the same seed adds nothing twice)."
        )

    def handle(self, *args, municipalities, venues, series, visits, seed, **options):
        if not 1 <= municipalities <= len(places.municipality_rows()):
            raise CommandError(f"--municipalities must be from 1 to {len(places.municipality_rows())}.")
        if series < 0 or visits < 0 or venues < 0:
            raise CommandError("--venues, --series and --visits cannot be negative.")
        today = timezone.localdate()
        started = time.monotonic()
        with transaction.atomic():
            towns = places.seed_municipalities(municipalities)
            found_venues = places.seed_venues(towns, venues)
            national, municipal = places.seed_agencies(towns)
            new = schedule.seed_series(found_venues, national, municipal, series, today)
            occurrences = schedule.seed_occurrences(new, today)
            bulk_load.analyze(SCHEDULE_TABLES)
        self.stdout.write(
            f"{len(towns)} municipalities in {len({town.region for town in towns})} regions, "
            f"{len(found_venues)} venues, {len(new)} new series with {occurrences} occurrences "
            f"in {time.monotonic() - started:.1f} s."
        )
        if visits:
            started = time.monotonic()
            added = seed_visits(
                visits, seed=seed, today=today, days=YEAR_DAYS, progress=self._progress(options)
            )
            self.stdout.write(f"{added} visits in {time.monotonic() - started:.1f} s.")

    def _progress(self, options):
        def progress(done):
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done} visits ...")

        return progress
