"""Dates and times as Swedish text writes them (Språkrådet's Svenska
skrivregler): "13.00–16.00", dates in full on public pages, a week as
"30 november–6 december 2026". English keeps "13:00". Machine formats (the
datetime attribute, the calendar feed) stay ISO and RFC 5545."""

import datetime

import pytest
from django.utils import timezone

from eserviceverkstad.i18n import format_clock, format_date_range
from sessions.models import StaffedSlot
from sessions.weeks import IsoWeek
from tests import factories


@pytest.mark.parametrize(("language", "text"), [("sv", "13.00"), ("en", "13:00")])
def test_the_clock_has_a_full_stop_in_swedish_and_a_colon_in_english(language, text):
    assert format_clock(datetime.time(13), language) == text


@pytest.mark.parametrize(
    ("first", "last", "language", "text"),
    [
        ((2026, 11, 30), (2026, 12, 6), "sv", "30 november–6 december 2026"),
        ((2026, 12, 1), (2026, 12, 7), "sv", "1–7 december 2026"),
        ((2026, 12, 28), (2027, 1, 3), "sv", "28 december 2026–3 januari 2027"),
        ((2026, 11, 30), (2026, 12, 6), "en", "30 November–6 December 2026"),
        ((2026, 12, 1), (2026, 12, 7), "en", "1–7 December 2026"),
    ],
)
def test_a_date_range_names_the_month_once_when_it_is_the_same(first, last, language, text):
    assert format_date_range(datetime.date(*first), datetime.date(*last), language) == text


def test_a_week_reads_as_its_date_range():
    assert IsoWeek(2026, 49).date_range() == "30 november–6 december 2026"


@pytest.fixture
def childcare_next_week(db):
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    thursday = IsoWeek.containing(timezone.localdate()).next().monday + datetime.timedelta(days=3)
    factories.slot(childcare, library, recurrence="once", first_date=thursday)
    return thursday


def long_swedish_day(day):
    months = "januari februari mars april maj juni juli augusti september oktober november december"
    return f"torsdag {day.day} {months.split()[day.month - 1]}"


def test_swedish_pages_write_times_with_a_full_stop_and_keep_iso_attributes(client, childcare_next_week):
    page = client.get(f"/schedule/{IsoWeek.containing(childcare_next_week)}/").content.decode()
    assert "14.00–15.00" in page
    assert "14:00–15:00" not in page
    assert f'datetime="{childcare_next_week.isoformat()}T14:00:00+' in page


def test_english_pages_keep_the_colon(client, childcare_next_week):
    client.cookies["django_language"] = "en"
    page = client.get(f"/schedule/{IsoWeek.containing(childcare_next_week)}/").content.decode()
    assert "14:00–15:00" in page


@pytest.mark.parametrize("path", ["/", "/agencies/", "/agencies/barnomsorg/", "/venues/mjolby-bibliotek/"])
def test_public_pages_write_the_day_in_full(client, childcare_next_week, path):
    page = client.get(path).content.decode()
    assert "tors " not in page
    assert long_swedish_day(childcare_next_week) in page.lower()


def test_the_help_finder_writes_the_day_in_full(client, childcare_next_week):
    topic = factories.topic("Förskoleplats", slug="forskoleplats", keywords="dagis")
    StaffedSlot.objects.get().topics.set([topic])
    page = client.get("/help/?q=dagis").content.decode()
    assert f"{long_swedish_day(childcare_next_week).capitalize()} 14.00–15.00" in page


def test_the_calendar_feed_keeps_its_machine_times(client, childcare_next_week):
    feed = client.get("/schedule.ics").content.decode()
    assert f"DTSTART;TZID=Europe/Stockholm:{childcare_next_week:%Y%m%d}T140000" in feed
