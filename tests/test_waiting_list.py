"""The waiting list: a resident joins when a time is full; a cancellation
offers the place to the first in line, who has a set time to take it
before it goes to the next. An open offer holds its place."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership, Role
from agencies.permissions import COORDINATORS_GROUP, ensure_role_groups
from tests import factories
from tests.booking_fixture import booking_data, kalmar_world
from visitors import booking as service
from visitors.models import Booking, WaitingListEntry, WaitingStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cache.clear()  # the rate limit's counts
    return kalmar_world()


def half_past_ten(occurrence):
    return next(
        start for start, _end in occurrence.booking_times() if f"{timezone.localtime(start):%H:%M}" == "10:30"
    )


def booked_by(occurrence, name, **contact):
    start = half_past_ten(occurrence)
    return service.book(occurrence.pk, service.BookingRequest(starts_at=start, name=name, **contact))


def wait_data(**overrides):
    data = {"time": "10:30", "name": "Bertil", "phone": "", "email": "bertil@example.se", "website": ""}
    data.update(overrides)
    return data


@pytest.fixture
def full_time(world):
    """10:30 on Wednesday, capacity one, booked by Amina."""
    occurrence = world["wednesday"]
    return occurrence, booked_by(occurrence, "Amina", email="amina@example.se")


def test_a_full_time_links_to_the_waiting_list_and_a_resident_joins_it(client, full_time):
    occurrence, _amina = full_time
    page = client.get(f"/book/{occurrence.pk}/").content.decode()
    assert f"/book/{occurrence.pk}/wait/" in page
    response = client.post(f"/book/{occurrence.pk}/wait/", wait_data())
    assert 'role="status"' in response.content.decode()
    entry = WaitingListEntry.objects.get()
    assert (entry.email, entry.status) == ("bertil@example.se", WaitingStatus.WAITING)


def test_joining_needs_a_phone_or_an_e_mail_and_the_honeypot_refuses_robots(client, full_time):
    occurrence, _amina = full_time
    client.post(f"/book/{occurrence.pk}/wait/", wait_data(email=""))
    client.post(f"/book/{occurrence.pk}/wait/", wait_data(email="not an address"))
    robot = client.post(f"/book/{occurrence.pk}/wait/", wait_data(website="http://spam.example"))
    assert robot.status_code == 400
    assert not WaitingListEntry.objects.exists()


def test_a_time_with_places_left_cannot_be_waited_for(client, world):
    occurrence = world["wednesday"]
    client.post(f"/book/{occurrence.pk}/wait/", wait_data())
    assert not WaitingListEntry.objects.exists()


def test_the_same_contact_cannot_wait_twice(client, full_time):
    occurrence, _amina = full_time
    client.post(f"/book/{occurrence.pk}/wait/", wait_data())
    second = client.post(f"/book/{occurrence.pk}/wait/", wait_data())
    assert second.status_code == 409
    assert WaitingListEntry.objects.count() == 1


def join(occurrence, name, **contact):
    return service.join_waiting_list(occurrence.pk, half_past_ten(occurrence), name=name, **contact)


def test_a_cancellation_offers_the_place_to_the_first_in_line_by_e_mail(client, full_time):
    occurrence, amina = full_time
    bertil = join(occurrence, "Bertil", email="bertil@example.se")
    cecilia = join(occurrence, "Cecilia", email="cecilia@example.se")
    mail.outbox.clear()
    service.cancel(amina.pk)
    bertil.refresh_from_db()
    cecilia.refresh_from_db()
    assert (bertil.status, cecilia.status) == (WaitingStatus.OFFERED, WaitingStatus.WAITING)
    [offer_mail] = mail.outbox
    assert offer_mail.to == ["bertil@example.se"]
    link = next(line for line in offer_mail.body.splitlines() if "/book/offer/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert Booking.objects.holding_a_place().count() == 0  # a GET (a link preview) takes nothing
    response = client.post(f"/{path}")
    assert response.status_code == 302
    taken = Booking.objects.holding_a_place().get()
    assert (taken.name, taken.email) == ("Bertil", "bertil@example.se")
    bertil.refresh_from_db()
    assert bertil.status == WaitingStatus.TAKEN


def test_an_open_offer_holds_its_place_against_new_bookings(client, full_time):
    occurrence, amina = full_time
    join(occurrence, "Bertil", email="bertil@example.se")
    service.cancel(amina.pk)
    response = client.post(f"/book/{occurrence.pk}/", booking_data(email="david@example.se"))
    assert response.status_code == 409
    assert Booking.objects.holding_a_place().count() == 0


def test_an_offer_not_taken_in_time_goes_to_the_next_in_line_once(full_time):
    occurrence, amina = full_time
    bertil = join(occurrence, "Bertil", email="bertil@example.se")
    cecilia = join(occurrence, "Cecilia", phone="0701234567")
    service.cancel(amina.pk)
    bertil.refresh_from_db()
    later = bertil.offer_ends_at + datetime.timedelta(minutes=1)
    assert service.expire_offers(now=later) == 1
    assert service.expire_offers(now=later) == 0  # a task that runs twice offers once
    bertil.refresh_from_db()
    cecilia.refresh_from_db()
    assert (bertil.status, cecilia.status) == (WaitingStatus.EXPIRED, WaitingStatus.OFFERED)
    with pytest.raises(service.BookingRefused):
        service.take_offer(bertil.pk, now=later)


def test_phone_only_offers_are_for_staff_to_call_and_other_towns_staff_never_see_them(full_time, world):
    occurrence, amina = full_time
    cecilia = join(occurrence, "Cecilia", phone="0701234567")
    service.cancel(amina.pk)
    karin = User.objects.create_user("karin")  # Kalmar library staff
    Membership.objects.create(user=karin, role=Role.STAFF, agency=world["agency"])
    mats = User.objects.create_user("mats")  # Mjölby library staff
    Membership.objects.create(user=mats, role=Role.STAFF, agency=factories.agency("Mjölby bibliotek"))
    assert list(service.offers_to_call(karin)) == [cecilia]
    assert list(service.offers_to_call(mats)) == []


def test_an_offer_closes_before_a_session_that_is_soon(full_time, settings):
    occurrence, _amina = full_time
    settings.WAITING_LIST_OFFER_HOURS = 24
    now = occurrence.starts_at - datetime.timedelta(hours=6)
    assert service.offer_deadline(occurrence, now) == now + datetime.timedelta(hours=3)
    early = occurrence.starts_at - datetime.timedelta(days=5)
    assert service.offer_deadline(occurrence, early) == early + datetime.timedelta(hours=24)


def test_a_tampered_offer_link_is_refused(client, full_time):
    occurrence, _amina = full_time
    entry = join(occurrence, "Bertil", email="bertil@example.se")
    token = service.offer_token(entry)
    assert client.post(f"/book/offer/{token[:-2]}xx/").status_code == 404


def test_waiting_list_personal_data_is_erased_with_the_bookings(full_time):
    occurrence, _amina = full_time
    entry = join(occurrence, "Bertil", email="bertil@example.se")
    after = occurrence.ends_at + datetime.timedelta(days=31)
    service.erase_expired_personal_data(now=after)
    entry.refresh_from_db()
    assert (entry.name, entry.email, entry.phone) == ("", "", "")
    assert entry.erased_at == after


def test_staff_take_a_phone_only_offer_for_the_resident_and_others_are_refused(client, full_time, world):
    occurrence, amina = full_time
    cecilia = join(occurrence, "Cecilia", phone="0701234567")
    service.cancel(amina.pk)
    mats = User.objects.create_user("mats")  # Mjölby library staff
    Membership.objects.create(user=mats, role=Role.STAFF, agency=factories.agency("Mjölby bibliotek"))
    client.force_login(mats)
    assert client.post(f"/staff/offers/{cecilia.pk}/take/").status_code == 404
    karin = User.objects.create_user("karin")  # Kalmar library staff
    Membership.objects.create(user=karin, role=Role.STAFF, agency=world["agency"])
    client.force_login(karin)
    assert "0701234567" in client.get("/staff/").content.decode()
    assert client.post(f"/staff/offers/{cecilia.pk}/take/").status_code == 302
    assert Booking.objects.holding_a_place().get().phone == "0701234567"


def test_erasing_a_residents_data_on_request_also_clears_their_waiting_list_entries(full_time, world):
    occurrence, amina = full_time
    lecture = world["monday_lecture"]
    for n in range(lecture.slot.capacity):
        service.book(
            lecture.pk,
            service.BookingRequest(starts_at=lecture.starts_at, name=f"L{n}", phone=f"070000000{n}"),
        )
    waiting = service.join_waiting_list(lecture.pk, lecture.starts_at, name="Amina", email="amina@example.se")
    other = service.join_waiting_list(lecture.pk, lecture.starts_at, name="Bertil", email="bertil@example.se")
    karin = User.objects.create_user("karin")  # Kalmar library staff
    Membership.objects.create(user=karin, role=Role.STAFF, agency=world["agency"])
    service.erase_on_request(amina, karin)
    waiting.refresh_from_db()
    other.refresh_from_db()
    assert (waiting.name, waiting.email) == ("", "")
    assert other.email == "bertil@example.se"


def link_in(message, marker):
    line = next(line for line in message.body.splitlines() if marker in line)
    return "/" + line.split("://", 1)[1].split("/", 1)[1]


def test_joining_with_an_e_mail_sends_a_mail_with_a_link_to_leave(
    client, full_time, django_capture_on_commit_callbacks
):
    occurrence, _amina = full_time
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        joined = client.post(f"/book/{occurrence.pk}/wait/", wait_data())
    [waiting_mail] = mail.outbox
    assert waiting_mail.to == ["bertil@example.se"]
    assert waiting_mail.subject == "Du står i kö"  # Swedish, the language Bertil used
    leave = link_in(waiting_mail, "/leave/")
    assert f'href="{leave}"' in joined.content.decode()  # the joined page has it too

    assert "Ja, lämna kön" in client.get(leave).content.decode()
    assert WaitingListEntry.objects.get().status == WaitingStatus.WAITING  # a GET leaves nothing
    assert "Du har lämnat kön" in client.post(leave).content.decode()
    assert WaitingListEntry.objects.get().status == WaitingStatus.LEFT
    # The link again: nothing more to do, nothing breaks.
    assert client.post(leave).status_code == 200
    assert client.get(leave[:-8] + "x/leave/").status_code == 404


def test_saying_no_to_an_offer_offers_the_place_to_the_next_in_line(client, full_time):
    occurrence, amina = full_time
    bertil = join(occurrence, "Bertil", email="bertil@example.se")
    cecilia = join(occurrence, "Cecilia", email="cecilia@example.se")
    mail.outbox.clear()
    service.cancel(amina.pk)
    [offer_mail] = mail.outbox
    offer_page = client.get(link_in(offer_mail, "/book/offer/")).content.decode()
    leave = link_in(offer_mail, "/leave/")
    assert f'href="{leave}"' in offer_page
    mail.outbox.clear()
    client.post(leave)
    bertil.refresh_from_db()
    cecilia.refresh_from_db()
    assert (bertil.status, cecilia.status) == (WaitingStatus.LEFT, WaitingStatus.OFFERED)
    [next_offer] = mail.outbox
    assert next_offer.to == ["cecilia@example.se"]


def test_a_coordinator_sees_their_municipalitys_waiting_list_in_the_admin_and_cannot_change_it(
    client, full_time
):
    occurrence, _amina = full_time
    bertil = join(occurrence, "Bertil", email="bertil@example.se")
    coordinators = ensure_role_groups()[COORDINATORS_GROUP]
    people = {}
    for username, town in (
        ("karin", occurrence.slot.venue.municipality),
        ("maria", factories.municipality()),
    ):
        people[username] = User.objects.create_user(username, is_staff=True)
        Membership.objects.create(user=people[username], role=Role.COORDINATOR, municipality=town)
        people[username].groups.add(coordinators)
    url = reverse("admin:visitors_waitinglistentry_changelist")

    client.force_login(people["karin"])
    assert list(client.get(url).context["cl"].result_list) == [bertil]
    change = reverse("admin:visitors_waitinglistentry_change", args=[bertil.pk])
    client.post(change, {"status": WaitingStatus.LEFT})
    bertil.refresh_from_db()
    assert bertil.status == WaitingStatus.WAITING

    client.force_login(people["maria"])  # Mjölby's coordinator
    assert list(client.get(url).context["cl"].result_list) == []
    assert client.get(change).status_code in (302, 404)
