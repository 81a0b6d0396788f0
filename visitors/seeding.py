"""Bulk visit logs for load tests and the benchmark: ``seed_visits``.

A million believable, anonymous visits over two years, spread over the
demo's agencies, venues and occurrences, in proportions like the demo's
(visits per staffed hour by kind of agency, a quiet July, a busy tax
season, a project that grows). It writes rows straight into the tables:
PostgreSQL's COPY, elsewhere ``executemany`` in batches, never one save per
visit. No signals run and no audit entries (``VisitChange``) are made: these
visits were never logged by anyone through the app. The daily rollup of the
seeded days is rebuilt at the end (``rollup.replace_days``). On PostgreSQL
the keys and indexes are set aside meanwhile (``visitors/bulk_load.py``).

Deterministic: the same ``seed`` over the same schedule and day gives the
same rows; a second run with the same seed finds its first one-time key and
adds nothing.
"""

import dataclasses
import datetime
import heapq
import itertools
import random
import uuid
from collections import defaultdict
from io import StringIO

from dateutil.relativedelta import relativedelta
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Agency, AgencyKind, AgencyLevel, EService, Venue
from sessions.models import Format, Occurrence, OccurrenceStatus, Recurrence, StaffedSlot, wall_clock
from sessions.page_cache import schedule_changed
from visitors import bulk_load, rollup
from visitors.demo import (
    AGE_BANDS,
    DEVICES,
    FIRST_VISITS,
    LANGUAGES,
    OUTCOMES,
    RATE_BY_KIND,
    loggers_by_agency,
)
from visitors.models import MAX_DURATION_MINUTES, MODE_FOR_FORMAT, Mode, Outcome, Visit

HISTORY_DAYS = 730
BATCH = 20_000
NAMESPACE = uuid.UUID("7d1c4a2e-3f0b-4c59-8e61-2b9a5d0c7f14")
# A lecture is logged as one visit with its headcount, so it draws few logs.
LECTURE_WEIGHT = 0.3
# Help outside a scheduled time: a walk-in at the library desk.
UNSCHEDULED_SHARE = 0.04
# Relative demand by month: tax returns in spring, holidays in July.
SEASON = {
    1: 1.1,
    2: 1.15,
    3: 1.25,
    4: 1.3,
    5: 1.1,
    6: 0.8,
    7: 0.45,
    8: 0.8,
    9: 1.05,
    10: 1.1,
    11: 1.1,
    12: 0.8,
}
# The project grows: the first week draws this share of the last week's visits.
GROWTH_FROM = 0.55
DROP_IN_DURATIONS = [(5, 2), (10, 4), (15, 6), (20, 3), (30, 5), (45, 2), (60, 1), (90, 0.3)]
PEOPLE = [(1, 92), (2, 7), (3, 1)]
PHONE_SHARE = 0.03
SECOND_TOPIC_SHARE = 0.25
ESERVICE_SHARE = 0.6

COLUMNS = [
    "id", "occurrence_id", "agency_id", "venue_id", "logged_by_id", "started_at", "duration_minutes",
    "people", "mode", "outcome", "referred_to_id", "language", "first_visit", "device", "age_band",
    "note", "submission_key", "created_at", "updated_at",
]  # fmt: skip


def cumulative(weighted):
    values, weights = zip(*weighted, strict=True)
    return list(values), list(itertools.accumulate(weights))


@dataclasses.dataclass
class Place:
    """Where a visit can happen: an occurrence, or the library desk of a
    venue outside the schedule (``occurrence`` is None)."""

    occurrence_id: int | None
    agency_id: int
    venue_id: int
    starts_at: datetime.datetime | None
    minutes: int
    format: str
    topic_ids: list
    municipality_id: int


def extend_history(today, days=HISTORY_DAYS):
    """Let the recurring series start ``days`` ago and store their past
    occurrences. A series' first date moves back by whole cycles (weeks or
    months times its interval), so its future dates stay what they were."""
    since = today - datetime.timedelta(days=days)
    yesterday = today - datetime.timedelta(days=1)
    rows = []
    for slot in StaffedSlot.objects.exclude(recurrence=Recurrence.ONCE).filter(first_date__gt=since):
        if slot.recurrence == Recurrence.WEEKLY:
            cycles = -(-(slot.first_date - since).days // (7 * slot.interval))
            slot.first_date -= datetime.timedelta(weeks=cycles * slot.interval)
        else:
            months = (slot.first_date.year - since.year) * 12 + slot.first_date.month - since.month + 1
            slot.first_date -= relativedelta(months=-(-months // slot.interval) * slot.interval)
        StaffedSlot.objects.filter(pk=slot.pk).update(first_date=slot.first_date)
        for day in slot.dates_between(since, yesterday):
            starts_at, ends_at = slot.times_on(day)
            rows.append(Occurrence(slot=slot, date=day, starts_at=starts_at, ends_at=ends_at))
    Occurrence.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    schedule_changed()  # bulk writes send no signals
    return since


def _weight(place, since, days):
    if place.format == Format.LECTURE:
        return LECTURE_WEIGHT
    local = timezone.localtime(place.starts_at)
    growth = GROWTH_FROM + (1 - GROWTH_FROM) * (local.date() - since).days / days
    return place.minutes / 60 * SEASON[local.month] * growth


def scheduled_places(since, now):
    """Every past, not cancelled occurrence with what a visit there needs.
    Plain rows, not model instances: a region has some 300,000 of them."""
    rows = (
        Occurrence.objects.filter(
            status=OccurrenceStatus.SCHEDULED, starts_at__gte=wall_clock(since, datetime.time())
        )
        .filter(ends_at__lte=now)
        .order_by("starts_at", "pk")
        .values_list(
            "pk", "slot_id", "slot__agency_id", "slot__venue_id", "starts_at", "ends_at", "slot__format",
            "slot__venue__municipality_id", "slot__agency__kind",
        )
    )  # fmt: skip
    topics = defaultdict(list)
    # In the topics' own order (by name), as the series' ``topics.all()``.
    for slot_id, topic_id in StaffedSlot.topics.through.objects.order_by(
        "staffedslot_id", "topic__name", "topic_id"
    ).values_list("staffedslot_id", "topic_id"):
        topics[slot_id].append(topic_id)
    places, weights = [], []
    days = max(1, (now.date() - since).days)
    for pk, slot_id, agency_id, venue_id, starts_at, ends_at, form, municipality_id, kind in rows:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        place = Place(
            pk, agency_id, venue_id, starts_at, minutes, form, list(topics[slot_id]), municipality_id
        )
        places.append(place)
        weights.append(_weight(place, since, days) * RATE_BY_KIND.get(kind, 1.5))
    return places, weights


def desk_places(scheduled):
    """One unscheduled place per venue: its library, with the topics its
    series cover."""
    libraries = {
        agency.municipality_id: agency
        for agency in Agency.objects.filter(kind=AgencyKind.LIBRARY, level=AgencyLevel.MUNICIPAL)
    }
    topics = defaultdict(set)
    for place in scheduled:
        topics[place.venue_id].update(place.topic_ids)
    return [
        Place(None, libraries[venue.municipality_id].pk, venue.pk, None, 60, Format.DROP_IN,
              sorted(topics[venue.pk]), venue.municipality_id)
        for venue in Venue.objects.filter(municipality_id__in=libraries)
        if topics[venue.pk]
    ]  # fmt: skip


class VisitMaker:
    """Turns a random generator into visit rows and their topic and
    e-service links, a batch at a time."""

    def __init__(self, seed, since, now, places, weights, desks):
        self.seed, self.rng, self.since, self.now = seed, random.Random(seed), since, now
        self.places, self.place_weights = places, list(itertools.accumulate(weights))
        self.desks = desks
        self.loggers = {agency: user.pk for agency, user in loggers_by_agency().items()}
        agencies = list(Agency.objects.all())
        # Residents are sent on to an agency that serves their municipality:
        # its own and the national ones, in the agencies' order. Per
        # municipality first: a region has 290 of them and 600 agencies.
        serving = {
            municipality: [other.pk for other in agencies if other.municipality_id in (None, municipality)]
            for municipality in {place.municipality_id for place in places + desks}
        }
        self.referral_targets = {
            (municipality, agency.pk): [pk for pk in candidates if pk != agency.pk]
            for municipality, candidates in serving.items()
            for agency in agencies
        }
        self.eservices_by_topic = defaultdict(list)
        for eservice in EService.objects.select_related("agency").prefetch_related("topics"):
            for topic in eservice.topics.all():
                self.eservices_by_topic[topic.pk].append((eservice.pk, eservice.agency.municipality_id))
        self.tables = {
            name: cumulative(weighted)
            for name, weighted in {
                "duration": DROP_IN_DURATIONS,
                "outcome": OUTCOMES,
                "language": LANGUAGES,
                "device": DEVICES,
                "age_band": AGE_BANDS,
                "first_visit": FIRST_VISITS,
                "people": PEOPLE,
            }.items()
        }
        self.created_at = now

    def column(self, name, count):
        values, cum_weights = self.tables[name]
        return self.rng.choices(values, cum_weights=cum_weights, k=count)

    def places_in_time_order(self, count):
        """Where each of ``count`` visits happens, oldest first, as the app
        stores them (so a month's visits lie together on disk, as they do
        in a real database): each occurrence gets its share of the
        scheduled visits by weight, the desk visits fall in between."""
        rng = self.rng
        unscheduled = round(count * UNSCHEDULED_SHARE) if self.desks else 0
        scheduled = count - unscheduled
        total = self.place_weights[-1]
        shares, previous = [], 0.0
        for cumulative_weight in self.place_weights:
            shares.append(int(scheduled * (cumulative_weight - previous) / total))
            previous = cumulative_weight
        for index in rng.choices(
            range(len(self.places)), cum_weights=self.place_weights, k=scheduled - sum(shares)
        ):
            shares[index] += 1
        at_occurrences = (
            place for place, share in zip(self.places, shares, strict=True) for _ in range(share)
        )
        at_desks = sorted((self.desk_visit() for _ in range(unscheduled)), key=lambda place: place.starts_at)
        return heapq.merge(at_occurrences, at_desks, key=lambda place: place.starts_at)

    def batch(self, first_id, chosen, first_number):
        """Visit rows for the places ``chosen``, with ids from ``first_id``
        (the ``first_number``-th of this seed on), and their topic and
        e-service links as (visit id, other id) pairs."""
        columns = {name: self.column(name, len(chosen)) for name in self.tables}
        rows, topic_links, eservice_links = [], [], []
        for index, place in enumerate(chosen):
            visit_id = first_id + index
            values = {name: column[index] for name, column in columns.items()}
            row, topics, eservice = self.visit(visit_id, place, values, first_number + index)
            rows.append(row)
            topic_links += [(visit_id, topic) for topic in topics]
            if eservice:
                eservice_links.append((visit_id, eservice))
        return rows, topic_links, eservice_links

    def desk_visit(self):
        """An unscheduled place at a random weekday hour, 10-17."""
        rng = self.rng
        desk = rng.choice(self.desks)
        while True:
            day = self.since + datetime.timedelta(days=rng.randrange((self.now.date() - self.since).days))
            if day.weekday() < 5:
                break
        starts_at = wall_clock(day, datetime.time(rng.randrange(10, 17)))
        return dataclasses.replace(desk, starts_at=starts_at)

    def timing(self, place, duration):
        if place.format == Format.LECTURE:
            return place.starts_at, min(place.minutes, MAX_DURATION_MINUTES)
        if place.format == Format.BOOKED:
            duration = 30
        duration = min(duration, place.minutes)
        offset = int(self.rng.random() * (place.minutes - duration + 1))
        return place.starts_at + datetime.timedelta(minutes=min(offset, place.minutes - 1)), duration

    def visit(self, visit_id, place, values, number):
        rng = self.rng
        started_at, duration = self.timing(place, values["duration"])
        people = rng.randint(5, 35) if place.format == Format.LECTURE else values["people"]
        mode = MODE_FOR_FORMAT[place.format] if place.occurrence_id else Mode.DROP_IN
        if mode == Mode.DROP_IN and rng.random() < PHONE_SHARE:
            mode = Mode.PHONE
        outcome = values["outcome"]
        referred_to = None
        if outcome == Outcome.REFERRED:
            referred_to = rng.choice(self.referral_targets[place.municipality_id, place.agency_id])
        topics = []
        if place.topic_ids:
            wanted = 2 if rng.random() < SECOND_TOPIC_SHARE and len(place.topic_ids) > 1 else 1
            topics = rng.sample(place.topic_ids, wanted)
        eservice = self.eservice_for(topics, place.municipality_id)
        row = (
            visit_id, place.occurrence_id, place.agency_id, place.venue_id, self.loggers[place.agency_id],
            started_at, duration, people, mode, outcome, referred_to, values["language"],
            values["first_visit"], values["device"], values["age_band"], "",
            submission_key(self.seed, number), self.created_at, self.created_at,
        )  # fmt: skip
        return row, topics, eservice

    def eservice_for(self, topics, municipality_id):
        if not topics or self.rng.random() >= ESERVICE_SHARE:
            return None
        candidates = [
            pk for pk, owner in self.eservices_by_topic.get(topics[0], []) if owner in (None, municipality_id)
        ]
        return self.rng.choice(candidates) if candidates else None


def submission_key(seed, number):
    # Numbered per seed, so that another seed never collides.
    return uuid.uuid5(NAMESPACE, f"{seed}-{number}")


def seed_visits(count, seed=1, today=None, now=None, progress=None, days=HISTORY_DAYS):
    """Add ``count`` visits over the ``days`` (two years) before ``today``;
    returns how many were added (0 when this seed was already used)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if Visit.objects.filter(submission_key=submission_key(seed, 0)).exists():
        return 0
    with transaction.atomic():
        since = extend_history(today, days)
        places, weights = scheduled_places(since, now)
        if not places:
            raise ValueError("There are no past occurrences to log visits at. Run seed_demo first.")
        maker = VisitMaker(seed, since, now, places, weights, desk_places(places))
        first_id = (Visit.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        with bulk_load.keys_and_indexes_set_aside(SEEDED_TABLES):
            # No queries from here to ``finish()``: PostgreSQL's connection is busy copying.
            writer = CopyWriter() if connection.vendor == "postgresql" else InsertWriter()
            places, done = maker.places_in_time_order(count), 0
            while chosen := list(itertools.islice(places, BATCH)):
                writer.write(*maker.batch(first_id + done, chosen, done))
                done += len(chosen)
                if progress:
                    progress(done)
            writer.finish()
            # The rows went in without signals: the rollup of the seeded days
            # is recomputed in one INSERT … SELECT … GROUP BY per rollup table.
            rollup.replace_days(since + datetime.timedelta(days=n) for n in range((today - since).days + 1))
    return count


VISIT_TABLE = Visit._meta.db_table
TOPIC_TABLE = Visit.topics.through._meta.db_table
ESERVICE_TABLE = Visit.eservices.through._meta.db_table
SEEDED_TABLES = [VISIT_TABLE, TOPIC_TABLE, ESERVICE_TABLE]


def _names(columns):
    return ", ".join(connection.ops.quote_name(name) for name in columns)


def _reset_sequences(cursor):
    """Move the id sequence past the rows written with explicit ids."""
    for statement in connection.ops.sequence_reset_sql(no_style(), [Visit]):
        cursor.execute(statement)


class InsertWriter:
    """``executemany`` in batches: SQLite and any other database."""

    def write(self, rows, topic_links, eservice_links):
        ops = connection.ops
        rows = [
            tuple(
                ops.adapt_datetimefield_value(value)
                if isinstance(value, datetime.datetime)
                else value.hex
                if isinstance(value, uuid.UUID)
                else value
                for value in row
            )
            for row in rows
        ]
        with connection.cursor() as cursor:
            self._insert(cursor, VISIT_TABLE, COLUMNS, rows)
            self._insert(cursor, TOPIC_TABLE, ["visit_id", "topic_id"], topic_links)
            self._insert(cursor, ESERVICE_TABLE, ["visit_id", "eservice_id"], eservice_links)

    @staticmethod
    def _insert(cursor, table, columns, rows):
        if rows:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({_names(columns)}) VALUES ({marks})"
            cursor.executemany(sql, rows)

    def finish(self):
        with connection.cursor() as cursor:
            _reset_sequences(cursor)


class CopyWriter:
    """PostgreSQL: one COPY of the visits that stays open while batches are
    made, so the server stores one batch while Python makes the next; the
    links, kept as COPY text meanwhile, follow in a COPY each."""

    def __init__(self):
        self.cursor = connection.cursor()
        self.links = {TOPIC_TABLE: StringIO(), ESERVICE_TABLE: StringIO()}
        sql = f"COPY {connection.ops.quote_name(VISIT_TABLE)} ({_names(COLUMNS)}) FROM STDIN"
        self.copy_block = self.cursor.cursor.copy(sql)
        self.copy = self.copy_block.__enter__()

    def write(self, rows, topic_links, eservice_links):
        # Formatted here as COPY text: psycopg's per-value adaptation
        # (write_row) would cost more than making the rows.
        self.copy.write("".join(map(_visit_line, rows)))
        for table, links in ((TOPIC_TABLE, topic_links), (ESERVICE_TABLE, eservice_links)):
            self.links[table].write("".join(f"{visit}\t{other}\n" for visit, other in links))

    def finish(self):
        self.copy_block.__exit__(None, None, None)
        cursor = self.cursor
        for table, other in ((TOPIC_TABLE, "topic_id"), (ESERVICE_TABLE, "eservice_id")):
            with cursor.cursor.copy(f"COPY {table} (visit_id, {other}) FROM STDIN") as copy:
                copy.write(self.links[table].getvalue())
        _reset_sequences(cursor)
        cursor.close()


def _visit_line(row):
    # Seeded text never holds tabs, newlines or backslashes.
    return "\t".join("\\N" if value is None else str(value) for value in row) + "\n"
