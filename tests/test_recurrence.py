"""Series produce the right dates and wall-clock times, and re-generating a
series keeps what coordinators changed by hand."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models

from sessions.models import Occurrence, OccurrenceStatus, Recurrence, StaffedSlot
from sessions.schedule import sync_occurrences
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def series(**fields):
    """An unsaved series: dates_between needs no database row."""
    defaults = {
        "recurrence": Recurrence.WEEKLY,
        "weekday": 3,
        "interval": 1,
        "start_time": datetime.time(14),
        "end_time": datetime.time(15),
        "first_date": D(2026, 1, 1),
    }
    return StaffedSlot(**{**defaults, **fields})


def test_weekly_series_falls_on_its_weekday():
    dates = series(weekday=1).dates_between(D(2026, 11, 1), D(2026, 11, 30))
    assert dates == [D(2026, 11, 3), D(2026, 11, 10), D(2026, 11, 17), D(2026, 11, 24)]


def test_every_second_week_counts_from_the_first_date():
    dates = series(interval=2, first_date=D(2026, 11, 5)).dates_between(D(2026, 11, 1), D(2026, 12, 31))
    assert dates == [D(2026, 11, 5), D(2026, 11, 19), D(2026, 12, 3), D(2026, 12, 17), D(2026, 12, 31)]


def test_every_third_week_keeps_its_rhythm_across_new_year():
    dates = series(interval=3, weekday=0, first_date=D(2026, 12, 7)).dates_between(
        D(2026, 12, 1), D(2027, 1, 31)
    )
    assert dates == [D(2026, 12, 7), D(2026, 12, 28), D(2027, 1, 18)]


def test_monthly_on_the_second_thursday():
    one_hour_a_month = series(recurrence=Recurrence.MONTHLY, week_of_month=2)
    dates = one_hour_a_month.dates_between(D(2026, 9, 1), D(2026, 12, 31))
    assert dates == [D(2026, 9, 10), D(2026, 10, 8), D(2026, 11, 12), D(2026, 12, 10)]


def test_monthly_on_the_last_friday_including_five_friday_months():
    last_friday = series(recurrence=Recurrence.MONTHLY, week_of_month=-1, weekday=4)
    dates = last_friday.dates_between(D(2026, 1, 1), D(2026, 5, 31))
    # January and May 2026 have five Fridays: the last is the fifth.
    assert dates == [D(2026, 1, 30), D(2026, 2, 27), D(2026, 3, 27), D(2026, 4, 24), D(2026, 5, 29)]


def test_every_second_month_on_the_first_monday():
    dates = series(recurrence=Recurrence.MONTHLY, week_of_month=1, weekday=0, interval=2).dates_between(
        D(2026, 1, 1), D(2026, 8, 31)
    )
    assert dates == [D(2026, 1, 5), D(2026, 3, 2), D(2026, 5, 4), D(2026, 7, 6)]


def test_one_time_session_has_one_date():
    once = series(recurrence=Recurrence.ONCE, first_date=D(2026, 12, 2))
    assert once.dates_between(D(2026, 1, 1), D(2027, 12, 31)) == [D(2026, 12, 2)]


def test_series_stops_at_its_last_date():
    dates = series(last_date=D(2026, 11, 19)).dates_between(D(2026, 11, 1), D(2026, 12, 31))
    assert dates[-1] == D(2026, 11, 19)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Summer time begins 29 March 2026 and ends 25 October 2026.
        (D(2026, 3, 26), D(2026, 4, 2)),
        (D(2026, 10, 22), D(2026, 10, 29)),
    ],
)
def test_wall_clock_time_stays_across_daylight_saving_changes(before, after):
    slot = factories.slot(first_date=D(2026, 3, 1))
    sync_occurrences(slot, today=D(2026, 3, 1))
    first = slot.occurrences.get(date=before)
    second = slot.occurrences.get(date=after)
    assert (first.local_start.hour, first.local_end.hour) == (14, 15)
    assert (second.local_start.hour, second.local_end.hour) == (14, 15)
    assert {first.local_start.utcoffset(), second.local_start.utcoffset()} == {
        datetime.timedelta(hours=1),
        datetime.timedelta(hours=2),
    }


def test_saving_a_series_stores_a_year_of_occurrences():
    slot = factories.slot(first_date=D(2026, 1, 1))
    today = D(2026, 11, 25)
    sync_occurrences(slot, today=today)
    stored = slot.occurrences.filter(date__gte=today)
    assert stored.count() >= 52
    assert stored.order_by("-date").first().date >= today + datetime.timedelta(days=365)


def test_sync_twice_creates_nothing_new():
    slot = factories.slot()
    today = D(2026, 11, 25)
    sync_occurrences(slot, today=today)
    count = Occurrence.objects.count()
    assert sync_occurrences(slot, today=today).created == 0
    assert Occurrence.objects.count() == count


def _edit_series(slot, today, **changes):
    for name, value in changes.items():
        setattr(slot, name, value)
    slot.full_clean()
    StaffedSlot.save(slot)
    return sync_occurrences(slot, today=today)


def test_changing_the_series_time_moves_occurrences_but_not_hand_made_exceptions():
    today = D(2026, 11, 25)
    slot = factories.slot()
    sync_occurrences(slot, today=today)
    moved_by_hand = slot.occurrences.get(date=D(2026, 12, 3))
    moved_by_hand.starts_at = moved_by_hand.starts_at.replace(hour=moved_by_hand.starts_at.hour - 1)
    moved_by_hand.is_exception = True
    moved_by_hand.save()
    cancelled = slot.occurrences.get(date=D(2026, 12, 10))
    cancelled.status, cancelled.cancellation_reason, cancelled.is_exception = (
        OccurrenceStatus.CANCELLED,
        "Personalen är på utbildning",
        True,
    )
    cancelled.save()

    _edit_series(slot, today, start_time=datetime.time(13), end_time=datetime.time(14, 30))

    other = slot.occurrences.get(date=D(2026, 12, 17))
    assert (other.local_start.time(), other.local_end.time()) == (datetime.time(13), datetime.time(14, 30))
    assert other.sequence == 1
    moved_by_hand.refresh_from_db()
    assert moved_by_hand.local_start.time() == datetime.time(13)  # its own hand-set 13:00
    assert moved_by_hand.local_end.time() == datetime.time(15)  # untouched by the edit
    cancelled.refresh_from_db()
    assert cancelled.status == OccurrenceStatus.CANCELLED
    assert cancelled.cancellation_reason == "Personalen är på utbildning"


def test_moving_the_series_to_another_weekday_keeps_exceptions_and_drops_plain_rows():
    today = D(2026, 11, 25)
    slot = factories.slot()
    sync_occurrences(slot, today=today)
    exception = slot.occurrences.get(date=D(2026, 12, 3))
    exception.room, exception.is_exception = "Sagorummet", True
    exception.save()

    _edit_series(slot, today, weekday=4)

    assert slot.occurrences.filter(date=D(2026, 12, 4)).exists()
    assert not slot.occurrences.filter(date=D(2026, 12, 10)).exists()
    assert slot.occurrences.filter(pk=exception.pk).exists()


def test_past_occurrences_are_history_and_never_change():
    today = D(2026, 11, 25)
    slot = factories.slot()
    sync_occurrences(slot, today=D(2026, 11, 1))
    past = slot.occurrences.get(date=D(2026, 11, 19))

    _edit_series(slot, today, start_time=datetime.time(9), end_time=datetime.time(10))

    past.refresh_from_db()
    assert past.local_start.time() == datetime.time(14)


def test_database_refuses_a_series_that_ends_before_it_starts():
    slot = series(start_time=datetime.time(15), end_time=datetime.time(14))
    slot.agency, slot.venue = factories.agency(), factories.venue()
    with pytest.raises(IntegrityError):
        slot.save()


def test_database_refuses_a_monthly_series_without_a_week_of_the_month():
    slot = series(recurrence=Recurrence.MONTHLY, week_of_month=None)
    slot.agency, slot.venue = factories.agency(), factories.venue()
    with pytest.raises(IntegrityError):
        slot.save()


def test_validation_names_the_missing_week_of_the_month():
    slot = series(recurrence=Recurrence.MONTHLY, week_of_month=None, languages="sv")
    slot.agency, slot.venue = factories.agency(), factories.venue()
    with pytest.raises(ValidationError) as error:
        slot.full_clean()
    assert "week_of_month" in error.value.message_dict


def test_an_overlapping_series_of_the_same_agency_and_venue_is_refused():
    first = factories.slot()
    clash = series(
        agency=first.agency,
        venue=first.venue,
        start_time=datetime.time(14, 30),
        end_time=datetime.time(16),
        interval=2,
        first_date=D(2026, 6, 4),
        languages="sv",
    )
    with pytest.raises(ValidationError) as error:
        clash.full_clean()
    assert [e.code for e in error.value.error_dict["__all__"]] == ["overlap"]


def test_series_that_never_share_a_date_do_not_overlap():
    first = factories.slot(recurrence=Recurrence.MONTHLY, week_of_month=1)
    other = series(
        agency=first.agency, venue=first.venue, recurrence=Recurrence.MONTHLY, week_of_month=3, languages="sv"
    )
    other.full_clean()


def test_another_agency_may_share_the_time():
    first = factories.slot()
    other = series(agency=factories.agency(), venue=first.venue, languages="sv")
    other.full_clean()


def test_unknown_language_codes_are_refused():
    slot = series(languages="sv,xx-nonsense")
    slot.agency, slot.venue = factories.agency(), factories.venue()
    with pytest.raises(ValidationError) as error:
        slot.full_clean()
    assert "languages" in error.value.message_dict


def test_a_session_that_has_ended_today_is_history_and_keeps_its_time():
    today = D(2026, 12, 3)
    slot = factories.slot()
    sync_occurrences(slot, today=today)
    this_afternoon = slot.occurrences.get(date=today)
    half_past_three = this_afternoon.ends_at + datetime.timedelta(minutes=30)
    slot.start_time, slot.end_time = datetime.time(16), datetime.time(17)
    models.Model.save(slot)  # the series' own save would sync with the real clock
    sync_occurrences(slot, now=half_past_three)
    this_afternoon.refresh_from_db()
    assert this_afternoon.local_start.time() == datetime.time(14)
    assert slot.occurrences.get(date=D(2026, 12, 10)).local_start.time() == datetime.time(16)


@pytest.mark.parametrize("clock", [datetime.time(2), datetime.time(2, 30)])
def test_times_in_the_summer_time_gap_are_refused(clock):
    slot = series(start_time=clock, end_time=datetime.time(4), languages="sv", weekday=6)
    slot.agency, slot.venue = factories.agency(), factories.venue()
    with pytest.raises(ValidationError) as error:
        slot.full_clean()
    assert "start_time" in error.value.message_dict


def test_a_gap_date_saved_around_validation_is_skipped_not_a_crash():
    last_sunday_of_march = series(
        recurrence=Recurrence.MONTHLY, week_of_month=-1, weekday=6, start_time=datetime.time(2, 30),
        end_time=datetime.time(3), languages="sv", agency=factories.agency(), venue=factories.venue(),
    )  # fmt: skip
    last_sunday_of_march.save()  # no full_clean: data from before the rule
    sync_occurrences(last_sunday_of_march, today=D(2027, 1, 1))
    dates = set(last_sunday_of_march.occurrences.values_list("date", flat=True))
    assert D(2027, 2, 28) in dates and D(2027, 3, 28) not in dates


def test_an_occurrence_that_a_visit_points_at_by_the_time_of_the_delete_is_kept(monkeypatch):
    """The reference appears after the sync's check (a visit logged
    meanwhile): Django's PROTECT check refuses the delete, and the sync
    keeps the occurrence instead of failing. The threaded race on
    PostgreSQL is in tests/test_sync_race.py."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sessions import schedule
    from visitors.models import Visit

    slot = factories.slot(first_date=timezone.localdate())  # Thursdays
    visited, plain = slot.occurrences.filter(ends_at__gt=timezone.now()).order_by("date")[:2]
    Visit.objects.create(
        occurrence=visited, agency=slot.agency, venue=slot.venue, started_at=visited.starts_at,
        duration_minutes=10, logged_by=get_user_model().objects.create_user("sofia"),
        submission_key="6f1c1f3e-1111-4b4b-9c9c-000000000002",
    )  # fmt: skip
    real = schedule.referenced_occurrence_ids
    calls = []

    def not_yet_then_real(ids):
        calls.append(ids)
        return set() if len(calls) == 1 else real(ids)

    monkeypatch.setattr(schedule, "referenced_occurrence_ids", not_yet_then_real)
    slot.weekday = 4
    slot.full_clean()
    slot.save()

    assert slot.last_sync.kept == [visited]
    assert len(calls) == 2  # the check, and again after the refused delete
    visited.refresh_from_db()
    assert visited.is_exception
    assert not slot.occurrences.filter(pk=plain.pk).exists()
    assert slot.occurrences.filter(date=plain.date + datetime.timedelta(days=1)).exists()
