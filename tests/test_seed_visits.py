"""``seed_visits`` makes many believable visits in bulk; every one of them is
a visit the app itself could have stored."""

import datetime
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from sessions.models import Occurrence, OccurrenceStatus, StaffedSlot
from visitors.models import Mode, Outcome, Visit
from visitors.seeding import HISTORY_DAYS, seed_visits

pytestmark = pytest.mark.django_db

COUNT = 400
ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="keys and indexes are set aside on PostgreSQL only"
)


@pytest.fixture
def demo():
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return Visit.objects.count()


def seeded(before):
    return Visit.objects.filter(pk__gt=before) if before else Visit.objects.all()


def test_seed_visits_adds_the_count_asked_for(demo):
    out = io.StringIO()
    call_command("seed_visits", "--count", str(COUNT), "--seed", "3", stdout=out)
    assert Visit.objects.count() == demo + COUNT
    assert f"Added {COUNT} visits" in out.getvalue()


def test_every_seeded_visit_passes_the_models_validation(demo):
    seed_visits(COUNT, seed=4)
    for visit in seeded(demo).select_related("occurrence").prefetch_related("topics"):
        visit.full_clean()


def test_seeded_visits_start_within_their_occurrence_and_never_at_a_cancelled_one(demo):
    seed_visits(COUNT, seed=5)
    visits = seeded(demo)
    at_occurrences = visits.filter(occurrence__isnull=False)
    assert at_occurrences.count() > COUNT * 0.8
    outside = at_occurrences.filter(
        Q(started_at__lt=F("occurrence__starts_at")) | Q(started_at__gte=F("occurrence__ends_at"))
    )
    assert not outside.exists()
    assert not at_occurrences.filter(occurrence__status=OccurrenceStatus.CANCELLED).exists()
    # Agency and venue are copied from the occurrence's series.
    assert not at_occurrences.exclude(
        agency=F("occurrence__slot__agency"), venue=F("occurrence__slot__venue")
    )
    assert not at_occurrences.filter(started_at__gt=timezone.now()).exists()


def test_seeded_referrals_name_an_agency_serving_the_visits_municipality(demo):
    seed_visits(COUNT, seed=6)
    referred = seeded(demo).filter(outcome=Outcome.REFERRED)
    assert referred.exists()
    assert not referred.filter(referred_to__isnull=True).exists()
    assert not referred.filter(referred_to=F("agency")).exists()
    assert not referred.exclude(
        Q(referred_to__municipality__isnull=True) | Q(referred_to__municipality=F("venue__municipality"))
    ).exists()
    assert not seeded(demo).exclude(outcome=Outcome.REFERRED).filter(referred_to__isnull=False).exists()


def test_seeded_visits_spread_over_two_years_in_believable_proportions(demo):
    seed_visits(2000, seed=7)
    visits = seeded(demo)
    today = timezone.localdate()
    first = timezone.localdate(visits.order_by("started_at").first().started_at)
    assert today - datetime.timedelta(days=HISTORY_DAYS) <= first < today - datetime.timedelta(days=600)
    outcomes = dict(visits.values_list("outcome").annotate(n=Count("id")))
    assert outcomes[Outcome.SOLVED] > outcomes[Outcome.REFERRED] > outcomes[Outcome.NOT_SOLVED] > 0
    languages = dict(visits.values_list("language").annotate(n=Count("id")))
    assert languages["sv"] > 0.5 * 2000 and len(languages) >= 5
    assert visits.filter(mode=Mode.PHONE).exists() and visits.filter(occurrence__isnull=True).exists()
    assert visits.filter(topics__isnull=False).distinct().count() > 0.9 * 2000
    assert visits.filter(eservices__isnull=False).exists()
    # The library's drop-in draws more than the childcare office's monthly hour.
    by_agency = dict(visits.values_list("agency__slug").annotate(n=Count("id")))
    assert by_agency["mjolby-bibliotek"] > 10 * by_agency.get("mjolby-barnomsorg", 0)


def test_seeded_series_keep_their_future_dates(demo):
    """The series now start two years ago, moved back by whole cycles, so
    the occurrences ahead (and the every-second-week rhythm) stay."""
    today = timezone.localdate()
    ahead = sorted(Occurrence.objects.filter(date__gte=today).values_list("slot_id", "date"))
    wanted = {
        slot.pk: slot.dates_between(today, today + datetime.timedelta(days=120))
        for slot in StaffedSlot.objects.all()
    }
    seed_visits(50, seed=8)
    assert sorted(Occurrence.objects.filter(date__gte=today).values_list("slot_id", "date")) == ahead
    for slot in StaffedSlot.objects.all():
        assert slot.dates_between(today, today + datetime.timedelta(days=120)) == wanted[slot.pk]
        assert slot.first_date <= today - datetime.timedelta(days=HISTORY_DAYS)


def test_the_same_seed_gives_the_same_visits_and_never_adds_them_twice(demo):
    fields = [
        "occurrence__slot_id",
        "occurrence__date",
        "agency_id",
        "started_at",
        "duration_minutes",
        "outcome",
        "language",
    ]

    def rows_of_a_run():
        with transaction.atomic():
            seed_visits(100, seed=9)
            rows = list(seeded(demo).order_by("pk").values_list(*fields))
            transaction.set_rollback(True)
        return rows

    assert rows_of_a_run() == rows_of_a_run()
    assert seed_visits(100, seed=9) == 100
    assert seed_visits(100, seed=9) == 0
    assert seed_visits(100, seed=10) == 100
    assert Visit.objects.count() == demo + 200
    # A visit logged afterwards gets an id past the seeded ones.
    last = Visit.objects.order_by("-pk").first()
    logged = Visit.objects.create(
        agency=last.agency, venue=last.venue, logged_by=last.logged_by, started_at=last.started_at,
        duration_minutes=5, submission_key=uuid.uuid4(),
    )  # fmt: skip
    assert logged.pk > last.pk


def test_seed_visits_without_a_schedule_says_to_run_seed_demo():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_visits", "--count", "10")


def test_seeded_visits_are_stored_oldest_first_as_the_app_stores_them(demo):
    """So a month's visits lie together on disk, as in a real log, and the
    benchmark measures what a real database does."""
    seed_visits(COUNT, seed=11)
    # The time of the occurrence, or for a visit outside the schedule its hour.
    starts = [
        visit.occurrence.starts_at if visit.occurrence else visit.started_at.replace(minute=0)
        for visit in seeded(demo).select_related("occurrence").order_by("pk")
    ]
    assert starts == sorted(starts)


def _keys_and_indexes(tables):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s) ORDER BY 1",
            [tables],
        )
        return constraints, cursor.fetchall()


@ONLY_POSTGRESQL
def test_seeding_puts_back_every_key_and_index_it_set_aside(demo):
    from visitors.rollup import ROLLUP_TABLES
    from visitors.seeding import SEEDED_TABLES

    tables = SEEDED_TABLES + ROLLUP_TABLES
    before = _keys_and_indexes(tables)
    assert len(before[0]) > 20 and len(before[1]) > 20
    seed_visits(COUNT, seed=8)
    assert _keys_and_indexes(tables) == before


@ONLY_POSTGRESQL
def test_a_bulk_load_still_refuses_a_visit_at_an_occurrence_that_is_not_there(demo):
    from visitors.bulk_load import keys_and_indexes_set_aside
    from visitors.seeding import VISIT_TABLE

    seed_visits(10, seed=9)
    visit = Visit.objects.filter(occurrence__isnull=False).first()
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        keys_and_indexes_set_aside([VISIT_TABLE]),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {VISIT_TABLE} SET occurrence_id = -1 WHERE id = %s", [visit.pk])
    visit.refresh_from_db()
    assert visit.occurrence_id is not None and visit.occurrence_id > 0
