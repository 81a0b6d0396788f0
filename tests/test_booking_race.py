"""Never overbooked: twenty residents post the booking form at the same
moment for the last free place. Exactly one gets it; the others are told
the time is fully booked.

Real threads on a real PostgreSQL, each with its own connection and its
own Django test client posting through the real view (tests/race.py holds
the barrier that lines them up after their count). The control run
replaces the locking function with a plain read: then all twenty count
before any inserts, and all twenty are booked, every time, which shows
the test can see the race it guards against. SQLite has no row locks (its
transactions are IMMEDIATE instead, see settings.py), so this runs with
tests/with_postgres.py (`make test` does)."""

import pytest
from django.core.cache import cache
from django.db import connection

from tests.booking_fixture import booking_data, kalmar_world
from tests.race import THREADS, PostingRace, unlocked_read
from visitors import booking as service
from visitors.models import Booking

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers and row locks: run with tests/with_postgres.py",
    ),
]


class Race(PostingRace):
    """Every thread books the same time through the booking form."""

    def __init__(self, url, time):
        super().__init__()
        self.url, self.time = url, time

    def post(self, n, client):
        response = client.post(self.url, booking_data(time=self.time, email=f"resident{n}@example.se"))
        return (response.status_code, "fullbokad" in response.content.decode())


@pytest.fixture
def world():
    cache.clear()
    return kalmar_world()


def booked_at(occurrence, time):
    return [
        b
        for b in Booking.objects.holding_a_place().filter(occurrence=occurrence)
        if b.local_start.strftime("%H:%M") == time
    ]


def test_twenty_residents_at_once_for_the_last_guidance_time_one_gets_it(world, monkeypatch):
    occurrence = world["wednesday"]
    results = Race(f"/book/{occurrence.pk}/", "10:30").run(monkeypatch)
    assert sorted(results).count((302, False)) == 1
    assert sorted(results).count((409, True)) == THREADS - 1
    assert len(booked_at(occurrence, "10:30")) == 1
    occurrence.refresh_from_db()
    assert occurrence.places_taken == 1


def test_control_without_the_lock_the_same_race_overbooks(world, monkeypatch):
    occurrence = world["wednesday"]
    monkeypatch.setattr(service, "lock_occurrence", unlocked_read)
    race = Race(f"/book/{occurrence.pk}/", "10:30")
    results = race.run(monkeypatch)
    assert race.counts_seen == [0] * THREADS  # all counted before anyone inserted
    assert results == [(302, False)] * THREADS
    assert len(booked_at(occurrence, "10:30")) == THREADS


def _one_seat_left(world):
    lecture = world["monday_lecture"]
    request = service.BookingRequest(starts_at=lecture.starts_at, name="Först", email="first@example.se")
    service.book(lecture.pk, request)
    return lecture


def test_twenty_residents_at_once_for_the_last_lecture_seat_one_gets_it(world, monkeypatch):
    lecture = _one_seat_left(world)
    results = Race(f"/book/{lecture.pk}/", "17:30").run(monkeypatch)
    assert sorted(results).count((302, False)) == 1
    assert sorted(results).count((409, True)) == THREADS - 1
    assert Booking.objects.holding_a_place().filter(occurrence=lecture).count() == 2


def test_control_without_the_lock_the_last_lecture_seat_is_overbooked(world, monkeypatch):
    lecture = _one_seat_left(world)
    monkeypatch.setattr(service, "lock_occurrence", unlocked_read)
    results = Race(f"/book/{lecture.pk}/", "17:30").run(monkeypatch)
    assert results == [(302, False)] * THREADS
    assert Booking.objects.holding_a_place().filter(occurrence=lecture).count() == THREADS + 1
