"""Top the demo data up to a given number of series, for the benchmark's
large dataset. Run after seed_demo, from the repository root:

    python -m benchmarks.extra_series 300

Series are spread evenly over the weekdays, and over the demo's hours,
venues and agencies, and repeat every week, so every week shows as many
entries as possible: the heaviest case for the schedule page.
"""

import datetime
import itertools
import os
import sys


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eserviceverkstad.settings")
    import django

    django.setup()


def add_series(total):
    from django.utils import timezone

    from agencies.models import Agency, Topic, Venue
    from sessions.models import Format, StaffedSlot

    missing = total - StaffedSlot.objects.count()
    agencies, venues = list(Agency.objects.all()), list(Venue.objects.all())
    if missing > 0 and not (agencies and venues):
        raise SystemExit("extra_series: run seed_demo first; there are no agencies or venues.")
    topics = list(Topic.objects.all())
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    # Weekday last, so it changes fastest and every day gets its share.
    plan = itertools.product(range(8, 20), venues, agencies, range(7))
    for number, (hour, venue, agency, weekday) in enumerate(itertools.islice(plan, max(missing, 0))):
        # save() also generates the series' occurrence rows.
        series = StaffedSlot(
            agency=agency,
            venue=venue,
            format=list(Format)[number % len(Format)],
            recurrence="weekly",
            weekday=weekday,
            interval=1,
            start_time=datetime.time(hour, 0),
            end_time=datetime.time(hour, 45),
            first_date=monday,
            languages="sv",
        )
        series.save()
        if topics:
            series.topics.set(topics[number % len(topics) : number % len(topics) + 2])
    return StaffedSlot.objects.count()


if __name__ == "__main__":
    setup_django()
    count = add_series(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print(f"{count} series in the database.")
