"""``python manage.py seed_demo``: a believable demo of the two pilot
municipalities, Mjölby and Kalmar.

Each app loads its own part, lowest first: places and catalogue
(``agencies.demo``), the schedule (``sessions.demo``), then, with DEBUG on,
the demo logins and the visit logs (``visitors.demo``). The command lives in
visitors, the top app, because only it may import all three.

Idempotent: running it twice changes and duplicates nothing. It refuses to
run without DEBUG unless told ``--force``: on a production database it
would add two invented municipalities to the real ones.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agencies import demo as agencies_demo
from agencies.permissions import ensure_role_groups
from sessions import demo as sessions_demo
from visitors.demo import seed_visits
from visitors.models import Visit

REFUSAL = (
    "DEBUG is off, so this looks like a real installation: seed_demo would add the invented "
    "municipalities Mjölby and Kalmar, their agencies and series to its data. Run it with DEBUG=true, "
    "or add --force if you really want the demo data here (no demo logins or visits are made "
    "without DEBUG)."
)


class Command(BaseCommand):
    help = "Load a believable demo of Mjölby and Kalmar. Safe to run again: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo places, catalogue and schedule even with DEBUG off.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(REFUSAL)
        today = timezone.localdate()
        with transaction.atomic():
            agencies_demo.load_places()
            agencies_demo.load_catalogue()
            sessions_demo.load_schedule(today)
            # The groups carry permissions real coordinators need too, so
            # they are made with or without DEBUG.
            groups = ensure_role_groups()
            users = agencies_demo.load_logins(groups) if settings.DEBUG else None
            # Visit logs need staff who logged them: demo data only.
            visits = seed_visits(today) if settings.DEBUG else 0
        self.report(users)
        self.stdout.write(f"Demo visit logs added: {visits} (Visit: {Visit.objects.count()}).")

    def report(self, users):
        counts = ", ".join(
            f"{model.__name__}: {model.objects.count()}"
            for model in (*agencies_demo.COUNTED, *sessions_demo.COUNTED)
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({counts})."))
        if users is None:
            self.stdout.write("DEBUG is off, so no demo logins were created.")
            return
        self.stdout.write(f"Demo logins, all with the password '{agencies_demo.DEMO_PASSWORD}':")
        for demo in users:
            name = f"{demo.first_name} {demo.last_name}"
            self.stdout.write(f"  {demo.username:<20} {demo.description:<26} {name}")
