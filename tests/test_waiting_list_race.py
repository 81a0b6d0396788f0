"""Never overbooked, waiting-list edition: the resident offered the last
place takes it through the offer link while nineteen new bookings arrive
through the booking form for the same place.

The offer's time ran out a minute ago and the scheduled task has not yet
passed it on: then the offer no longer reserves the place (so a new
booking may win it) but may still be taken while the place is free. That
is the one moment both paths see a free place, so it is where the lock
must hold: exactly one of the twenty gets it. The same barrier after the
count as tests/test_booking_race.py (``visitors.booking.after_count``);
the control run replaces the locking function with a plain read and then
all twenty are booked. While the offer is open it holds its place: the
offeree gets it and every new booking is refused. PostgreSQL only (run
with tests/with_postgres.py)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from tests.booking_fixture import booking_data, kalmar_world
from tests.race import THREADS, PostingRace, unlocked_read
from visitors import booking as service
from visitors.models import Booking, WaitingListEntry, WaitingStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers and row locks: run with tests/with_postgres.py",
    ),
]

OFFEREE = 0  # the thread that follows the offer link; the others book


class OfferRace(PostingRace):
    """Thread OFFEREE follows the offer link; the others book the same time."""

    address_prefix = "10.0.1"

    def __init__(self, occurrence, offer_path):
        super().__init__()
        self.occurrence, self.offer_path = occurrence, offer_path

    def post(self, n, client):
        if n == OFFEREE:
            return client.post(self.offer_path).status_code
        data = booking_data(time="10:30", email=f"resident{n}@example.se")
        return client.post(f"/book/{self.occurrence.pk}/", data).status_code


def _offered_last_place(*, ran_out):
    """Wednesday 10:30 (one place): Amina booked, Bertil waited, Amina
    cancelled, so Bertil is offered the place."""
    cache.clear()
    world = kalmar_world()
    occurrence = world["wednesday"]
    start = next(s for s, _e in occurrence.booking_times() if f"{timezone.localtime(s):%H:%M}" == "10:30")
    amina = service.book(
        occurrence.pk, service.BookingRequest(starts_at=start, name="Amina", email="amina@example.se")
    )
    bertil = service.join_waiting_list(occurrence.pk, start, name="Bertil", email="bertil@example.se")
    service.cancel(amina.pk)
    if ran_out:
        WaitingListEntry.objects.filter(pk=bertil.pk).update(
            offer_ends_at=timezone.now() - datetime.timedelta(minutes=1)
        )
    bertil.refresh_from_db()
    assert bertil.status == WaitingStatus.OFFERED
    return occurrence, f"/book/offer/{service.offer_token(bertil)}/"


def holding(occurrence):
    return Booking.objects.holding_a_place().filter(occurrence=occurrence)


def test_an_offer_taken_late_while_nineteen_book_the_same_place_one_gets_it(monkeypatch):
    occurrence, offer_path = _offered_last_place(ran_out=True)
    results = OfferRace(occurrence, offer_path).run(monkeypatch)
    assert results.count(302) == 1
    assert results.count(409) == THREADS - 1
    assert holding(occurrence).count() == 1
    occurrence.refresh_from_db()
    assert occurrence.places_taken == 1


def test_control_without_the_lock_the_late_offer_and_the_bookings_overbook(monkeypatch):
    occurrence, offer_path = _offered_last_place(ran_out=True)
    monkeypatch.setattr(service, "lock_occurrence", unlocked_read)
    race = OfferRace(occurrence, offer_path)
    results = race.run(monkeypatch)
    assert race.counts_seen == [0] * THREADS  # all counted before anyone inserted
    assert results == [302] * THREADS
    assert holding(occurrence).count() == THREADS


def test_an_open_offer_keeps_its_place_while_nineteen_book(monkeypatch):
    occurrence, offer_path = _offered_last_place(ran_out=False)
    results = OfferRace(occurrence, offer_path).run(monkeypatch)
    assert results[OFFEREE] == 302
    assert results.count(409) == THREADS - 1
    assert [b.email for b in holding(occurrence)] == ["bertil@example.se"]
