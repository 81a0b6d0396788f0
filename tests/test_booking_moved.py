"""A booked session moves (the coordinator moves the whole series, or one
session by hand): the bookings move with it, keep their place in it, and
everyone booked is told the new time in their own language, by e-mail with
a calendar update, else by text message. A move that is rolled back moves
nothing and tells no one."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sessions.models import Occurrence
from sessions.schedule import sync_occurrences
from tests.booking_fixture import kalmar_world
from tests.test_admin import form_data
from visitors import booking as service
from visitors.models import Booking, SmsMessage, WaitingListEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return kalmar_world()


def at(occurrence, clock):
    hour, minute = map(int, clock.split(":"))
    return timezone.make_aware(datetime.datetime.combine(occurrence.date, datetime.time(hour, minute)))


def book(occurrence, clock, **contact):
    request = service.BookingRequest(starts_at=at(occurrence, clock), name=contact.pop("name"), **contact)
    return service.book(occurrence.pk, request)


def local(moment):
    return f"{timezone.localtime(moment):%H:%M}"


@pytest.fixture
def booked(world, django_capture_on_commit_callbacks):
    """Wednesday 10:00–12:00: Amina (e-mail, English) has 10:30, Bertil
    (phone only) 11:00; Cecilia waits for 10:30."""
    occurrence = world["wednesday"]
    with django_capture_on_commit_callbacks(execute=True):
        amina = book(occurrence, "10:30", name="Amina", email="amina@example.se", site_language="en")
        bertil = book(occurrence, "11:00", name="Bertil", phone="0701234567")
        cecilia = service.join_waiting_list(
            occurrence.pk, at(occurrence, "10:30"), name="Cecilia", phone="0709"
        )
    return {"occurrence": occurrence, "amina": amina, "bertil": bertil, "cecilia": cecilia}


def test_a_series_moved_to_the_afternoon_moves_the_bookings_and_tells_each_person(
    world, booked, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    SmsMessage.objects.all().delete()
    guidance = world["guidance"]
    guidance.start_time, guidance.end_time = datetime.time(13), datetime.time(15)
    with django_capture_on_commit_callbacks(execute=True):
        guidance.save(sync=False)
        assert sync_occurrences(guidance).moved >= 1

    amina, bertil = (Booking.objects.get(pk=booked[name].pk) for name in ("amina", "bertil"))
    assert (local(amina.starts_at), local(amina.ends_at), local(bertil.starts_at)) == (
        "13:30",
        "14:00",
        "14:00",
    )
    assert local(WaitingListEntry.objects.get(pk=booked["cecilia"].pk).starts_at) == "13:30"
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["amina@example.se"], f"New time: your time {amina.reference}")
    assert "13:30–14:00" in mail.body
    [(_name, ics, _type)] = mail.attachments
    sequence = Occurrence.objects.get(pk=booked["occurrence"].pk).sequence
    assert "T133000" in ics and f"SEQUENCE:{sequence}" in ics and sequence > 0
    [sms] = SmsMessage.objects.all()
    assert sms.phone == "0701234567" and "14.00" in sms.body and bertil.reference in sms.body


def test_a_coordinator_moving_one_session_moves_its_bookings(
    booked, admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    occurrence = booked["occurrence"]
    url = reverse("admin:schedule_occurrence_change", args=[occurrence.pk])
    data = form_data(admin_client.get(url), form_id="occurrence_form")
    data["starts_at_1"], data["ends_at_1"] = ["10:15"], ["12:15"]
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    assert local(Booking.objects.get(pk=booked["amina"].pk).starts_at) == "10:45"
    [mail] = mailoutbox
    assert "10:45–11:15" in mail.body


def test_a_move_that_is_rolled_back_moves_no_booking_and_tells_no_one(
    world, booked, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    guidance = world["guidance"]
    guidance.start_time, guidance.end_time = datetime.time(13), datetime.time(15)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        guidance.save(sync=False)
        sync_occurrences(guidance)
        raise RuntimeError("the admin's save failed after the sync")
    assert local(Booking.objects.get(pk=booked["amina"].pk).starts_at) == "10:30"
    assert not mailoutbox


def test_only_a_new_end_time_moves_no_booking_and_tells_no_one(world, booked, mailoutbox):
    mailoutbox.clear()
    guidance = world["guidance"]
    guidance.end_time = datetime.time(12, 30)
    guidance.save(sync=False)
    sync_occurrences(guidance)
    assert local(Booking.objects.get(pk=booked["amina"].pk).starts_at) == "10:30"
    assert not mailoutbox
