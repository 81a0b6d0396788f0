"""``python manage.py seed_visits --count 1000000``: bulk visit logs over
two years for load tests and ``make bench`` (see ``visitors/seeding.py``)."""

import time

from django.core.management.base import BaseCommand, CommandError

from visitors.seeding import seed_visits


class Command(BaseCommand):
    help = (
        "Add COUNT believable, anonymous visits over the past two years at the demo's occurrences "
        "(run seed_demo first). Deterministic with --seed; the same seed twice adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, count, seed, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        started = time.monotonic()

        def progress(done):
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done} visits ...")

        try:
            added = seed_visits(count, seed=seed, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not added:
            self.stdout.write(f"Visits of seed {seed} are already there; nothing added.")
            return
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Added {added} visits in {seconds:.1f} s."))
