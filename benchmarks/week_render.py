"""The first, uncached render of the week page with 300 series in one
municipality, timed in one process (no HTTP), with an optional profile:

    python -m benchmarks.week_render               # median of 50 renders
    python -m benchmarks.week_render --profile     # and cProfile's top 30
    python -m benchmarks.week_render --postgresql  # on PostgreSQL

A throwaway SQLite database (or, with --postgresql, a throwaway cluster as
the tests make, or DATABASE_URL) with production settings (DEBUG off), the
demo data, and 300 weekly series at Mjölby's library. The page cache keeps
nothing (PAGE_CACHE=false), so every request renders. Aim: at most 50 ms.
"""

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import MUNICIPALITY, production_env, rerun_on_postgres, schedule_path

RENDERS = 50
AIM_MS = 50


def setup(workdir, postgresql=False):
    database = os.environ["DATABASE_URL"] if postgresql else f"sqlite:///{workdir / 'render.sqlite3'}"
    os.environ.update(
        production_env(DATABASE_URL=database, PAGE_CACHE="false", STATIC_ROOT=str(workdir / "static"))
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0)


def add_series(total, municipality_slug=MUNICIPALITY):
    """Weekly series at the municipality's venues, every weekday 8-19, of
    every kind: the lectures and the booked guidance take bookings, so
    their entries show a booking state as a real week's do."""
    import datetime
    import itertools

    from django.utils import timezone

    from agencies.models import Agency, Topic, Venue
    from sessions.models import Format, StaffedSlot

    venues = list(Venue.objects.filter(municipality__slug=municipality_slug))
    agencies = list(Agency.objects.all())
    topics = list(Topic.objects.all())
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    missing = total - StaffedSlot.objects.filter(venue__in=venues).count()
    plan = itertools.product(range(8, 20), venues, agencies, range(5))
    for number, (hour, venue, agency, weekday) in enumerate(itertools.islice(plan, max(missing, 0))):
        kind = list(Format)[number % len(Format)]
        series = StaffedSlot(
            agency=agency, venue=venue, format=kind, recurrence="weekly",
            weekday=weekday, interval=1, start_time=datetime.time(hour, 0), end_time=datetime.time(hour, 45),
            first_date=monday, languages="sv,en",
            capacity={Format.LECTURE: 20, Format.BOOKED: 1}.get(kind),
            booking_minutes=15 if kind == Format.BOOKED else None,
        )  # fmt: skip
        series.save()
        series.topics.set(topics[number % len(topics) : number % len(topics) + 2])


def main():
    profile, postgresql = "--profile" in sys.argv, "--postgresql" in sys.argv
    if postgresql and (rerun := rerun_on_postgres("benchmarks.week_render", *sys.argv[1:])) is not None:
        return rerun
    measure(profile, postgresql)
    return 0


def measure(profile, postgresql):
    with tempfile.TemporaryDirectory(prefix="eserviceverkstad-render-") as workdir:
        setup(Path(workdir), postgresql)
        add_series(300)
        from django.db import connection

        if postgresql:
            # The planner's figures, as autovacuum gathers them within a
            # minute of a load; without them it guesses one row per table.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        from django.test import Client

        # Mjölby's own week page: with the demo's two municipalities the
        # site-wide address redirects there.
        client, url = Client(), schedule_path()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        assert response.status_code == 200, response.status_code
        queries = []
        with connection.execute_wrapper(
            lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
        ):
            client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        timings = []
        profiler = cProfile.Profile() if profile else None
        for _ in range(RENDERS):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
            if profiler:
                profiler.disable()
            timings.append((time.perf_counter() - started) * 1000)
        entries = response.content.count(b'class="entry ')
        bookable = response.content.count(b'class="booking-state ')
        median = statistics.median(timings)
        print(
            f"{connection.vendor}: week page, {entries} entries ({bookable} bookable),"
            f" {len(queries)} queries:"
            f" median {median:.1f} ms, min {min(timings):.1f} ms over {RENDERS} uncached renders"
            f" (aim <= {AIM_MS} ms)"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(30)


if __name__ == "__main__":
    sys.exit(main())
