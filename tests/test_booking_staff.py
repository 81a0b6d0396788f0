"""Staff and bookings: "my day" lists each session's bookings with what the
resident needs; staff mark who came, log a visit from a booking, book for a
resident at the desk and print a slip. Each sees only their scope: tested
with the user who must be refused."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone

from agencies.models import Membership, Role
from sessions.models import Format, Occurrence
from sessions.schedule import cancel_occurrences
from tests import factories
from tests.booking_fixture import kalmar_world
from visitors import booking as service
from visitors.models import Booking, BookingStatus, SmsMessage

pytestmark = pytest.mark.django_db


def _user(username, role=None, **scope):
    user = User.objects.create_user(username, password="x")
    if role:
        Membership.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def world(time_machine):
    # Ten in the morning in Stockholm, the clock running: a session later
    # today, and Mjölby's lecture at 23.00, can be booked whenever CI runs
    # (late in the evening these tests were skipped).
    ten = datetime.datetime.combine(timezone.localdate(), datetime.time(10), timezone.get_current_timezone())
    time_machine.move_to(ten, tick=True)
    cache.clear()
    world = kalmar_world()
    # Today's guidance at Kalmar (later today, so it can still be booked).
    now = timezone.localtime()
    start = (now + datetime.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    today = Occurrence.objects.create(
        slot=world["guidance"],
        date=now.date(),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        is_exception=True,
    )
    world["today"] = today
    # Mjölby has its own library and residents.
    mjolby = factories.municipality("Mjölby")
    mjolby_library = factories.venue(mjolby)
    mjolby_agency = factories.agency("Mjölby bibliotek", municipality=mjolby)
    lecture = factories.slot(
        mjolby_agency, mjolby_library, format=Format.LECTURE, capacity=30, weekday=start.weekday(),
        first_date=now.date(), recurrence="once",
        start_time=datetime.time(23), end_time=datetime.time(23, 45),
    )  # fmt: skip
    world["mjolby_lecture"] = lecture.occurrences.get()
    world["karin"] = _user("karin", Role.STAFF, agency=world["agency"])  # Kalmar library staff
    world["lena"] = _user("lena", Role.COORDINATOR, municipality=mjolby)  # Mjölby coordinator
    world["mats"] = _user("mats", Role.STAFF, agency=mjolby_agency)  # Mjölby staff
    world["olle"] = _user("olle")  # no role
    return world


def book(occurrence, name="Amina", **fields):
    start = occurrence.booking_times()[0][0] if "starts_at" not in fields else fields.pop("starts_at")
    return service.book(occurrence.pk, service.BookingRequest(starts_at=start, name=name, **fields))


def test_my_day_lists_todays_bookings_with_what_the_resident_needs(client, world):
    book(world["today"], email="amina@example.se", need="BankID på ny telefon", needs_interpreter=True,
         language="ar", topic=world["bankid"])  # fmt: skip
    client.force_login(world["karin"])
    page = client.get("/staff/").content.decode()
    assert "Amina" in page and "BankID på ny telefon" in page
    assert "Behöver tolk" in page and "arabiska" in page
    assert "Kom inte" in page  # the no-show button


def test_staff_of_another_municipality_never_see_the_residents(client, world):
    booking = book(world["today"], email="amina@example.se")
    mjolby_booking = book(world["mjolby_lecture"], name="Gunnar", phone="0701234567")
    client.force_login(world["mats"])
    page = client.get("/staff/").content.decode()
    assert "Gunnar" in page and "Amina" not in page
    assert client.get(f"/staff/bookings/{booking.pk}/slip/").status_code == 404
    assert client.post(f"/staff/bookings/{booking.pk}/mark/", {"status": "attended"}).status_code == 404
    assert client.get(f"/staff/book/{world['today'].pk}/").status_code == 404
    assert client.get(f"/staff/bookings/{mjolby_booking.pk}/slip/").status_code == 200


def test_a_coordinator_sees_their_municipality_only(client, world):
    kalmar = book(world["today"], email="amina@example.se")
    mjolby = book(world["mjolby_lecture"], name="Gunnar", phone="0701234567")
    assert list(service.bookings_for(world["lena"])) == [mjolby]
    client.force_login(world["lena"])
    assert client.get(f"/staff/bookings/{kalmar.pk}/slip/").status_code == 404
    assert client.get(f"/staff/bookings/{mjolby.pk}/slip/").status_code == 200


def test_a_user_without_a_role_is_refused(client, world):
    booking = book(world["today"], email="amina@example.se")
    client.force_login(world["olle"])
    assert client.get(f"/staff/bookings/{booking.pk}/slip/").status_code == 403
    assert client.get("/staff/outbox/").status_code == 403
    assert not service.bookings_for(world["olle"]).exists()


def test_staff_mark_who_came_and_who_did_not(client, world):
    came = book(world["today"], email="amina@example.se")
    client.force_login(world["karin"])
    response = client.post(f"/staff/bookings/{came.pk}/mark/", {"status": "attended"})
    assert response.status_code == 302
    came.refresh_from_db()
    assert came.status == BookingStatus.ATTENDED
    client.post(f"/staff/bookings/{came.pk}/mark/", {"status": "no_show"})
    came.refresh_from_db()
    assert came.status == BookingStatus.NO_SHOW
    assert client.post(f"/staff/bookings/{came.pk}/mark/", {"status": "cancelled"}).status_code == 400


def test_log_a_visit_from_a_booking_prefills_mode_topic_and_language(client, world):
    booking = book(world["today"], email="amina@example.se", topic=world["bankid"], language="en")
    client.force_login(world["karin"])
    page = client.get(
        f"/staff/visits/new/?occurrence={world['today'].pk}&booking={booking.pk}"
    ).content.decode()
    assert re.search(r'name="mode" value="booked"[^>]*checked', page)
    assert re.search(rf'name="topics" value="{world["bankid"].pk}"[^>]*checked', page)
    assert re.search(r'name="language" value="en"[^>]*checked', page)
    # Another user's booking id prefills nothing.
    client.force_login(world["mats"])
    page = client.get(f"/staff/visits/new/?booking={booking.pk}").content.decode()
    assert not re.search(r'name="mode" value="booked"[^>]*checked', page)


def test_staff_book_for_a_resident_without_phone_or_email_and_print_a_slip(client, world):
    client.force_login(world["karin"])
    occurrence = world["wednesday"]
    response = client.post(
        f"/staff/book/{occurrence.pk}/", {"time": "11:00", "name": "Gunnar", "language": "sv"}
    )
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.booked_by == world["karin"] and not booking.phone and not booking.email
    slip = client.get(response["Location"]).content.decode()
    assert booking.reference in slip and "Storgatan 1" in slip and "Din telefon och din bankdosa" in slip
    assert "css/slip.css" in slip


def test_residents_still_need_a_phone_or_email(client, world):
    response = client.post(
        f"/book/{world['wednesday'].pk}/", {"time": "11:00", "name": "Gunnar", "language": "sv"}
    )
    assert response.status_code == 200
    assert not Booking.objects.exists()


def test_a_cancelled_session_puts_phone_only_bookings_on_the_call_list_and_in_the_outbox(
    client, world, django_capture_on_commit_callbacks
):
    occurrence = world["wednesday"]
    book(occurrence, name="Gunnar", phone="0701234567")
    SmsMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_occurrences([occurrence], "Personalen är sjuk")
    client.force_login(world["karin"])
    page = client.get("/staff/").content.decode()
    assert "Ring eller sms:a" in page and "0701234567" in page
    outbox = client.get("/staff/outbox/").content.decode()
    assert "Personalen är sjuk" in outbox
    client.force_login(world["mats"])
    assert "0701234567" not in client.get("/staff/outbox/").content.decode()


def test_my_day_makes_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    for n in range(2):
        book(world["today"], name=f"Resident {n}", email=f"r{n}@example.se",
             starts_at=world["today"].booking_times()[n][0])  # fmt: skip
    client.force_login(world["karin"])
    # Session, user, staff check; my agencies' occurrences this week; their
    # bookings I may see, with topic; the call list; the waiting-list
    # offers to call; the next sessions after this week (shown: nothing
    # more this week) and their bookings; my latest logs (none, so no
    # topics or e-services queries).
    with django_assert_num_queries(10):
        client.get("/staff/")


# Privacy: personal data are deleted; the counts stay.


def test_personal_data_are_erased_the_municipalitys_number_of_days_after_the_session(world):
    booking = book(world["wednesday"], email="amina@example.se", need="BankID", phone="0701234567")
    town = world["town"]
    town.booking_retention_days = 10
    town.save()
    ended = world["wednesday"].ends_at
    assert service.erase_expired_personal_data(now=ended + datetime.timedelta(days=9)) == 0
    assert service.erase_expired_personal_data(now=ended + datetime.timedelta(days=11)) == 1
    booking.refresh_from_db()
    assert (booking.name, booking.phone, booking.email, booking.need) == ("", "", "", "")
    assert booking.erased_at and booking.status == BookingStatus.BOOKED  # still counted
    assert not SmsMessage.objects.filter(booking=booking).exists()
    assert Booking.objects.holding_a_place().filter(occurrence=world["wednesday"]).count() == 1


def test_the_privacy_deletion_task_is_scheduled():
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="visitors.booking.erase_expired_personal_data").exists()


def test_staff_erase_a_residents_data_on_request_and_others_cannot(client, world):
    first = book(world["today"], email="amina@example.se")
    second = book(world["wednesday"], email="amina@example.se")
    other = book(world["wednesday"], name="Gunnar", email="gunnar@example.se",
                 starts_at=world["wednesday"].booking_times()[1][0])  # fmt: skip
    client.force_login(world["mats"])
    assert client.post(f"/staff/bookings/{first.pk}/erase/").status_code == 404
    client.force_login(world["karin"])
    assert "Amina" in client.get(f"/staff/bookings/{first.pk}/erase/").content.decode()
    first.refresh_from_db()
    assert first.name == "Amina"  # GET only asks
    assert client.post(f"/staff/bookings/{first.pk}/erase/").status_code == 302
    for booking in (first, second, other):
        booking.refresh_from_db()
    assert first.is_erased and second.is_erased and not other.is_erased


def test_the_privacy_page_says_how_long_each_municipality_keeps_bookings(client, world):
    page = client.get("/privacy/").content.decode()
    assert (
        "Kalmar: ditt namn, telefonnummer, e-post och det du skrev tas bort 30 dagar efter tillfället" in page
    )
