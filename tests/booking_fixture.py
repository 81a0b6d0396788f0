"""A booked guidance series and a lecture at Kalmar library, from next
week on: shared by the booking tests (plain functions, so the race test
can build the same world in its own transaction)."""

import datetime

from django.utils import timezone

from agencies.models import EService
from sessions.models import Format, Weekday
from tests import factories


def next_weekday(weekday):
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday() + weekday)


def kalmar_world():
    town = factories.municipality("Kalmar")
    library = factories.venue(town, name="Kalmar stadsbibliotek", slug="kalmar-stadsbibliotek")
    agency = factories.agency("Kalmar stadsbibliotek", municipality=town, name_en="Kalmar City Library")
    bankid = factories.topic("BankID", name_en="BankID", slug="bankid")
    EService.objects.create(
        agency=agency,
        name="Mobilt BankID",
        name_en="Mobile BankID",
        slug="mobilt-bankid",
        what_to_bring="Din telefon och din bankdosa",
        what_to_bring_en="Your phone and your bank's card reader",
    ).topics.add(bankid)
    wednesday = next_weekday(Weekday.WEDNESDAY)
    guidance = factories.slot(
        agency,
        library,
        format=Format.BOOKED,
        weekday=Weekday.WEDNESDAY,
        start_time=datetime.time(10),
        end_time=datetime.time(12),
        first_date=wednesday,
        capacity=1,
        booking_minutes=30,
        languages="sv,en,ar",
        topics=[bankid],
        title="Boka en halvtimme",
        title_en="Book half an hour",
    )
    monday = next_weekday(Weekday.MONDAY)
    lecture = factories.slot(
        agency,
        library,
        format=Format.LECTURE,
        weekday=Weekday.MONDAY,
        start_time=datetime.time(17, 30),
        end_time=datetime.time(19),
        first_date=monday,
        capacity=2,
        topics=[bankid],
        title="Säker på nätet",
    )
    return {
        "town": town,
        "library": library,
        "agency": agency,
        "bankid": bankid,
        "guidance": guidance,
        "lecture": lecture,
        "wednesday": guidance.occurrences.get(date=wednesday),
        "monday_lecture": lecture.occurrences.get(date=monday),
    }


def booking_data(**overrides):
    data = {
        "time": "10:30",
        "name": "Amina",
        "phone": "",
        "email": "amina@example.se",
        "topic": "",
        "need": "Skaffa BankID på min nya telefon",
        "language": "sv",
        "website": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}
