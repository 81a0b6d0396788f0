"""The schedule of a region-size installation (``seed_region``): series
across the formats and recurrences at every venue, and their occurrences
for twelve months back and twelve ahead, written with bulk inserts (the
series' own ``save()`` would sync each one with several queries).

Idempotent: a second run only tops the series up to the number asked for.
"""

import datetime
import itertools

from dateutil.relativedelta import relativedelta

from agencies.models import Topic
from sessions.models import Format, Occurrence, Recurrence, StaffedSlot, horizon_end
from sessions.page_cache import schedule_changed

MONTHS = 12
BATCH = 5000
# What each tenth series is: mostly weekly drop-ins, as in the pilots.
PLAN = (
    (Format.DROP_IN, Recurrence.WEEKLY, 1),
    (Format.DROP_IN, Recurrence.WEEKLY, 1),
    (Format.DROP_IN, Recurrence.WEEKLY, 1),
    (Format.DROP_IN, Recurrence.WEEKLY, 2),
    (Format.DROP_IN, Recurrence.MONTHLY, 1),
    (Format.BOOKED, Recurrence.WEEKLY, 1),
    (Format.BOOKED, Recurrence.MONTHLY, 1),
    (Format.LECTURE, Recurrence.MONTHLY, 1),
    (Format.TRY, Recurrence.WEEKLY, 2),
    (Format.LECTURE, Recurrence.ONCE, 1),
)
LANGUAGES = ("sv", "sv,en", "sv,en,ar", "sv,ar", "sv,so", "sv,en,fa")
# Two-hour sessions from 9 to 19: with several at one venue they follow each other.
HOURS = range(9, 19, 2)


def _series(number, at_venue, venue, agency, first_date, once_date):
    """The ``at_venue``-th series of ``venue``: a weekday each, then the next
    hour, so one venue's series never overlap."""
    form, recurrence, interval = PLAN[(at_venue + venue.pk) % len(PLAN)]
    start = HOURS[(at_venue // 5) % len(HOURS)]
    bookable = {"capacity": 20} if form == Format.LECTURE else {}
    if form == Format.BOOKED:
        bookable = {"capacity": 1, "booking_minutes": 30}
    return StaffedSlot(
        agency=agency, venue=venue, format=form, recurrence=recurrence, interval=interval,
        weekday=at_venue % 5, week_of_month=(number % 4) + 1 if recurrence == Recurrence.MONTHLY else None,
        start_time=datetime.time(start), end_time=datetime.time(start + 2),
        first_date=once_date if recurrence == Recurrence.ONCE else first_date,
        languages=LANGUAGES[number % len(LANGUAGES)], **bookable,
    )  # fmt: skip


def seed_series(venues, national, municipal, total, today):
    """Top the series at ``venues`` up to ``total``: each venue in turn, its
    own municipality's agencies and the national ones in turn. Returns the
    new series (with their ids)."""
    existing = StaffedSlot.objects.filter(venue__in=venues).count()
    first_date = today - relativedelta(months=MONTHS)
    new = []
    for number in range(existing, total):
        venue, at_venue = venues[number % len(venues)], number // len(venues)
        agencies = municipal.get(venue.municipality_id, []) + national
        agency = agencies[at_venue % len(agencies)]
        # A one-time lecture on its weekday, some weeks ahead.
        once_date = today + datetime.timedelta(days=(at_venue % 5 - today.weekday()) % 7 + 7 * (number % 20))
        new.append(_series(number, at_venue, venue, agency, first_date, once_date))
    StaffedSlot.objects.bulk_create(new, batch_size=1000)
    topics = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
    if topics:
        links = [
            StaffedSlot.topics.through(staffedslot_id=slot.pk, topic_id=topic)
            for slot in new
            for topic in itertools.islice(
                itertools.cycle(topics), slot.pk % len(topics), slot.pk % len(topics) + 2
            )
        ]
        StaffedSlot.topics.through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    return new


def seed_occurrences(series, today):
    """The occurrences of ``series`` from twelve months back to twelve
    ahead (within the horizon the nightly sync keeps), in batches. Returns
    how many."""
    last = min(today + relativedelta(months=MONTHS), horizon_end(today))
    first = today - relativedelta(months=MONTHS)
    rows = (
        Occurrence(slot=slot, date=day, starts_at=starts_at, ends_at=ends_at)
        for slot in series
        for day in slot.dates_between(first, last)
        for starts_at, ends_at in [slot.times_on(day)]
    )
    made = 0
    while batch := list(itertools.islice(rows, BATCH)):
        Occurrence.objects.bulk_create(batch, ignore_conflicts=True)
        made += len(batch)
    schedule_changed()  # bulk writes send no signals
    return made
