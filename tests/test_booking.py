"""Residents book a guidance time or a lecture seat without an account,
get a confirmation (page, e-mail with .ics), a reminder the day before, and
cancel with a signed link. Every bad input gets a message and changes
nothing."""

import datetime
import re

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions.models import Format, Occurrence
from sessions.page_cache import place_version, schedule_version
from sessions.schedule import cancel_occurrences
from tests import factories
from tests.booking_fixture import booking_data, kalmar_world
from visitors import booking as service
from visitors.models import Booking, BookingStatus, SmsMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cache.clear()  # the rate limit's counts
    return kalmar_world()


def book_url(occurrence):
    return f"/book/{occurrence.pk}/"


def post_booking(client, occurrence, **overrides):
    return client.post(book_url(occurrence), booking_data(**overrides))


def local_clock(moment):
    return f"{timezone.localtime(moment):%H:%M}"


# Bookable times and capacity on the series.


def test_booked_guidance_is_split_into_times_of_the_series_length(world):
    times = world["wednesday"].booking_times()
    assert [local_clock(start) for start, _end in times] == ["10:00", "10:30", "11:00", "11:30"]
    assert world["wednesday"].places_total == 4
    assert [local_clock(start) for start, _end in world["monday_lecture"].booking_times()] == ["17:30"]


def test_a_time_that_does_not_fill_a_whole_piece_is_not_offered(world):
    slot = world["guidance"]
    slot.booking_minutes = 45
    slot.save()
    occurrence = Occurrence.objects.get(pk=world["wednesday"].pk)
    assert [local_clock(start) for start, _end in occurrence.booking_times()] == ["10:00", "10:45"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"booking_minutes": None}, "booking_minutes"),
        ({"capacity": None}, "capacity"),
        ({"booking_minutes": 180}, "booking_minutes"),  # longer than 10–12
        ({"booking_minutes": 5}, "booking_minutes"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_a_booked_series_needs_a_length_and_capacity_that_fit(world, changes, field):
    slot = world["guidance"]
    for name, value in changes.items():
        setattr(slot, name, value)
    with pytest.raises(ValidationError) as error:
        slot.full_clean()
    assert field in error.value.message_dict


def test_the_database_refuses_a_length_out_of_range(world):
    from sessions.models import StaffedSlot

    with pytest.raises(IntegrityError), transaction.atomic():
        StaffedSlot.objects.filter(pk=world["guidance"].pk).update(booking_minutes=2)


def test_a_drop_in_series_keeps_no_booking_length(world):
    slot = factories.slot(world["agency"], world["library"], weekday=4, booking_minutes=30)
    assert slot.booking_minutes is None
    assert not slot.is_bookable


# The resident's flow.


def test_a_resident_books_a_time_and_sees_the_confirmation(client, world, mailoutbox):
    occurrence = world["wednesday"]
    page = client.get(book_url(occurrence)).content.decode()
    assert 'type="radio" name="time" value="10:30"' in page
    assert "1 plats kvar" in page
    response = post_booking(client, occurrence)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.name, booking.email, local_clock(booking.starts_at)) == (
        "Amina",
        "amina@example.se",
        "10:30",
    )
    done = client.get(response["Location"]).content.decode()
    assert booking.reference in done
    assert "Din telefon och din bankdosa" in done  # what to bring, from the agency's e-services
    assert "Kalmar stadsbibliotek" in done and "Storgatan 1" in done
    occurrence.refresh_from_db()
    assert occurrence.places_taken == 1


def test_the_confirmation_mail_has_the_time_the_calendar_file_and_a_cancel_link(client, world, mailoutbox):
    client.cookies["django_language"] = "en"
    post_booking(client, world["wednesday"])
    booking = Booking.objects.get()
    [mail] = mailoutbox
    assert mail.to == ["amina@example.se"]
    assert mail.subject == f"Your booking {booking.reference}"
    assert "10:30–11:00" in mail.body
    assert "Your phone and your bank's card reader" in mail.body
    # The link's own token: a signed token carries the second it was made.
    [token] = re.findall(r"/book/cancel/([^/\s]+)/", mail.body)
    assert service.booking_from_token(token, service.CANCEL_SALT) == booking
    [(filename, ics, mimetype)] = mail.attachments
    assert (filename, mimetype) == ("booking.ics", "text/calendar")
    assert "DTSTART;TZID=Europe/Stockholm:" in ics and "T103000" in ics


def test_the_booking_task_carries_only_the_booking_id(client, world, monkeypatch):
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    monkeypatch.setattr(Conf, "SYNC", False)
    post_booking(client, world["wednesday"])
    [task] = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert task["args"] == ("visitors.booking.build_confirmation_mail", Booking.objects.get().pk)
    assert "amina" not in repr(task).lower()


def test_a_lecture_seat_is_booked_and_the_last_one_is_refused(client, world):
    lecture = world["monday_lecture"]
    assert post_booking(client, lecture, time="17:30", email="a@example.se").status_code == 302
    assert post_booking(client, lecture, time="17:30", email="b@example.se").status_code == 302
    response = post_booking(client, lecture, time="17:30", email="c@example.se")
    assert response.status_code == 409
    assert "fullbokad" in response.content.decode()
    assert Booking.objects.count() == 2


def test_a_phone_only_booking_gets_a_text_in_the_outbox(client, world, mailoutbox):
    post_booking(client, world["wednesday"], email="", phone="070-123 45 67")
    booking = Booking.objects.get()
    assert booking.phone == "0701234567"
    assert mailoutbox == []
    [sms] = SmsMessage.objects.all()
    assert sms.phone == "0701234567" and booking.reference in sms.body and sms.sent_at is None


# Bad input: a message, and nothing changes.


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "", "phone": ""}, "Skriv ett telefonnummer eller en e-postadress"),
        ({"email": "amina@"}, "Skriv en e-postadress"),
        ({"email": "", "phone": "12"}, "Skriv ett telefonnummer med 7 till 15 siffror"),
        ({"email": "", "phone": "070 abc 123"}, "Skriv ett telefonnummer med 7 till 15 siffror"),
        ({"time": "03:00"}, "Välj en av tiderna"),
        ({"time": "10:15"}, "Välj en av tiderna"),  # another length
        ({"time": ""}, "Välj en tid"),
        ({"name": ""}, "Skriv ett namn"),
        ({"need": "x" * 301}, "Skriv högst 300 tecken"),
        ({"topic": "99999999999999999999"}, "Välj ett giltigt alternativ"),
        ({"language": "xx"}, "Välj ett giltigt alternativ"),
    ],
)
def test_bad_input_gets_a_message_and_books_nothing(client, world, overrides, message):
    response = post_booking(client, world["wednesday"], **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_a_full_time_is_refused_with_a_message(client, world):
    occurrence = world["wednesday"]
    post_booking(client, occurrence, email="first@example.se")
    response = post_booking(client, occurrence, email="second@example.se")
    assert response.status_code == 409
    assert "Den här tiden är fullbokad" in response.content.decode()
    assert Booking.objects.count() == 1


def test_the_same_contact_cannot_book_the_same_session_twice(client, world):
    occurrence = world["wednesday"]
    post_booking(client, occurrence)
    response = post_booking(client, occurrence, time="11:00", email="AMINA@example.se")
    assert response.status_code == 409
    assert "Du har redan bokat" in response.content.decode()
    assert Booking.objects.count() == 1
    # The database refuses it too, whatever code inserts it.
    first = Booking.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            occurrence=occurrence,
            starts_at=first.starts_at + datetime.timedelta(minutes=30),
            ends_at=first.ends_at + datetime.timedelta(minutes=30),
            reference="OTHER1",
            name="Amina",
            email="amina@example.se",
        )


def test_a_past_session_cannot_be_booked(client, world):
    occurrence = world["wednesday"]
    Occurrence.objects.filter(pk=occurrence.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        ends_at=timezone.now() + datetime.timedelta(hours=1),
    )
    response = post_booking(client, occurrence)
    assert response.status_code == 410
    assert not Booking.objects.exists()


def test_a_cancelled_session_cannot_be_booked(client, world):
    occurrence = world["wednesday"]
    cancel_occurrences([occurrence], "Stängt")
    assert client.get(book_url(occurrence)).status_code == 410
    assert post_booking(client, occurrence).status_code == 410
    assert not Booking.objects.exists()


def test_a_drop_in_session_has_no_booking_page(client, world):
    drop_in = factories.slot(world["agency"], world["library"], weekday=4, first_date=timezone.localdate())
    occurrence = drop_in.occurrences.filter(starts_at__gt=timezone.now()).first()
    assert client.get(book_url(occurrence)).status_code == 404
    assert client.get("/book/99999999/").status_code == 404


def test_the_honeypot_books_nothing(client, world):
    response = post_booking(client, world["wednesday"], website="http://spam.example")
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_one_address_is_limited_to_twenty_bookings_an_hour(client, world):
    for n in range(20):
        post_booking(client, world["monday_lecture"], time="17:30", email=f"p{n}@example.se")
    response = post_booking(client, world["wednesday"], email="late@example.se")
    assert response.status_code == 429
    assert not Booking.objects.filter(email="late@example.se").exists()


# Cancelling with the link.


def _booked(client, world, **overrides):
    post_booking(client, world["wednesday"], **overrides)
    return Booking.objects.get()


def test_the_cancel_link_asks_first_and_cancels_on_post(client, world):
    booking = _booked(client, world)
    url = f"/book/cancel/{service.cancel_token(booking)}/"
    page = client.get(url)  # a mail client's link preview
    assert "Vill du avboka" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    assert "Din bokning är avbokad" in client.post(url).content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_at
    # The place is free at once.
    assert post_booking(client, world["wednesday"], email="next@example.se").status_code == 302


def test_a_replayed_cancel_link_changes_nothing(client, world):
    booking = _booked(client, world)
    url = f"/book/cancel/{service.cancel_token(booking)}/"
    client.post(url)
    post_booking(client, world["wednesday"], email="next@example.se")
    response = client.post(url)
    assert "redan avbokad" in response.content.decode()
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "x" * 300,
        signing.dumps([1, "AAAAAA"], salt="wrong-salt"),
    ],
)
def test_a_tampered_cancel_link_is_refused(client, world, token):
    booking = _booked(client, world)
    assert client.post(f"/book/cancel/{token}/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_the_view_link_does_not_cancel(client, world):
    booking = _booked(client, world)
    assert client.post(f"/book/cancel/{service.view_token(booking)}/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


# Reminders and cancellations of the session.


def test_the_reminder_goes_out_once_even_if_the_task_runs_twice(client, world, mailoutbox):
    booking = _booked(client, world)
    mailoutbox.clear()
    day_before = booking.starts_at - datetime.timedelta(days=1)
    assert service.send_reminders(now=day_before) == 1
    assert service.send_reminders(now=day_before) == 0
    [mail] = mailoutbox
    assert mail.subject.startswith("Påminnelse")
    assert service.send_reminders(now=booking.starts_at - datetime.timedelta(days=2)) == 0


def test_a_cancelled_session_tells_everyone_booked(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    occurrence = world["wednesday"]
    post_booking(client, occurrence, email="amina@example.se")
    post_booking(client, occurrence, time="11:00", email="", phone="0701234567")
    mailoutbox.clear()
    SmsMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_occurrences([occurrence], "Personalen är sjuk", "The staff are ill")
    [mail] = mailoutbox
    assert mail.to == ["amina@example.se"]
    assert "Personalen är sjuk" in mail.body
    [sms] = SmsMessage.objects.all()
    assert "Personalen är sjuk" in sms.body


def test_the_schedule_migration_made_the_reminder_task():
    from django_q.models import Schedule

    assert Schedule.objects.filter(name="booking-reminders", func="visitors.booking.send_reminders").exists()


# The public pages show the state; their cache changes only with it.


def test_the_week_page_shows_book_few_left_and_fully_booked(client, world):
    occurrence = world["wednesday"]
    week = f"/schedule/{occurrence.local_start:%G-W%V}/"
    assert "Boka" in client.get(week).content.decode()
    for n, time in enumerate(["10:00", "10:30", "11:00"]):
        post_booking(client, occurrence, time=time, email=f"p{n}@example.se")
    assert "Få platser kvar" in client.get(week).content.decode()
    post_booking(client, occurrence, time="11:30", email="last@example.se")
    assert "Fullbokat" in client.get(week).content.decode()


def test_a_booking_that_leaves_the_state_as_it_was_keeps_the_cached_pages(client, world):
    lecture_slot = world["lecture"]
    lecture_slot.capacity = 10
    lecture_slot.save()
    lecture = world["monday_lecture"]
    municipality = lecture.slot.venue.municipality.slug
    before = schedule_version(), place_version(municipality)
    post_booking(client, lecture, time="17:30", email="a@example.se")
    assert (schedule_version(), place_version(municipality)) == before  # 9 of 10 left: "bookable"
    for n in range(7):
        post_booking(client, lecture, time="17:30", email=f"p{n}@example.se")
    # 2 of 10 left: "few left", in the lecture's municipality only.
    assert schedule_version() == before[0]
    assert place_version(municipality) != before[1]


def test_staff_bookings_for_a_resident_without_contact_are_allowed_by_the_model(world, django_user_model):
    desk = django_user_model.objects.create_user("desk")
    occurrence = world["wednesday"]
    start = occurrence.booking_times()[0][0]
    booking = service.book(occurrence.pk, service.BookingRequest(starts_at=start, name="Gunnar"), by=desk)
    assert booking.reference and booking.booked_by == desk
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            occurrence=occurrence, starts_at=start, ends_at=start + datetime.timedelta(minutes=30),
            reference="NOCONT", name="Utan kontakt",
        )  # fmt: skip


def test_the_format_of_a_series_decides_whether_it_is_bookable(world):
    assert world["guidance"].is_bookable and world["lecture"].is_bookable
    assert world["guidance"].format == Format.BOOKED


def test_the_agency_venue_and_help_pages_link_to_the_booking_page(client, world):
    booking_link = f'href="/book/{world["wednesday"].pk}/"'
    for url in (
        f"/agencies/{world['agency'].slug}/",
        f"/venues/{world['library'].slug}/",
        "/help/?q=BankID",
    ):
        page = client.get(url).content.decode()
        assert booking_link in page or f'href="/book/{world["monday_lecture"].pk}/"' in page, url


def test_the_booking_page_is_never_cached(client, world):
    response = client.get(book_url(world["wednesday"]))
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    post_booking(client, world["wednesday"])
    assert "Fullbokat" in client.get(book_url(world["wednesday"])).content.decode()  # 10:30 at once
