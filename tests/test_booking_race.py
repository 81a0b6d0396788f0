"""Never overbooked: twenty residents post the booking form at the same
moment for the last free place. Exactly one gets it; the others are told
the time is fully booked.

Real threads on a real PostgreSQL, each with its own connection and its
own Django test client posting through the real view. The test-only hook
right after the count (``visitors.booking.after_count``) makes each thread
wait at a barrier until all twenty have counted, for at most HOLD seconds.
With the row lock only one thread can be there at a time, so the barrier
breaks after HOLD and the others come through one by one. The control run
replaces the locking function with a plain read: then all twenty count
before any inserts, and all twenty are booked, every time, which shows
the test can see the race it guards against. SQLite has no row locks (its
transactions are IMMEDIATE instead, see settings.py), so this runs with
tests/with_postgres.py (`make test` does)."""

import contextlib
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from sessions.models import Occurrence
from tests.booking_fixture import booking_data, kalmar_world
from visitors import booking as service
from visitors.models import Booking

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers and row locks: run with tests/with_postgres.py",
    ),
]

THREADS = 20
HOLD = 5  # seconds a thread waits at the barrier after its count
WAIT = 60  # only reached when something is broken


def unlocked_read(occurrence_id):
    """What a check-then-insert without the lock would read."""
    return Occurrence.objects.select_related("slot__agency", "slot__venue").get(pk=occurrence_id)


class Race:
    """Twenty threads, released together, each posting the form once."""

    def __init__(self, url, time):
        self.url, self.time = url, time
        self.start = threading.Barrier(THREADS)
        self.counted = threading.Barrier(THREADS)
        self.counts_seen = []
        self.results = [None] * THREADS

    def after_count(self, occurrence, taken):
        self.counts_seen.append(taken)
        # A broken barrier: the lock held the others back, so go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            self.counted.wait(HOLD)

    def _post(self, n):
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        try:
            self.start.wait(WAIT)
            response = client.post(self.url, booking_data(time=self.time, email=f"resident{n}@example.se"))
            self.results[n] = (response.status_code, "fullbokad" in response.content.decode())
        except Exception as error:  # reported in the test's thread
            self.results[n] = error
        finally:
            connection.close()

    def run(self, monkeypatch):
        monkeypatch.setattr(service, "after_count", self.after_count)
        threads = [threading.Thread(target=self._post, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert not any(thread.is_alive() for thread in threads)
        errors = [result for result in self.results if isinstance(result, Exception)]
        assert not errors, errors
        return self.results


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
