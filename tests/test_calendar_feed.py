"""The calendar feed: same sessions as the week page, readable by calendar
clients, cheap to poll."""

import datetime

import pytest
from django.core.cache import caches
from django.utils import timezone
from icalendar import Calendar

from agencies.models import AgencyKind, AgencyLevel
from sessions.models import OccurrenceStatus
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_series():
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    tax = factories.agency(
        "Skatteverket", slug="skatteverket", kind=AgencyKind.TAX_AGENCY, level=AgencyLevel.NATIONAL
    )
    return factories.slot(childcare, library), factories.slot(tax, library, weekday=1, languages="sv,ar")


def _events(response):
    calendar = Calendar.from_ical(response.content)
    return calendar, [component for component in calendar.walk("VEVENT")]


def test_feed_holds_the_same_sessions_as_the_week_page_for_the_same_filter(client, two_series):
    childcare, _tax = two_series
    week = IsoWeek.containing(timezone.localdate() + datetime.timedelta(days=7))
    occurrence = childcare.occurrences.filter(starts_at__gte=timezone.now()).first()
    occurrence.status, occurrence.cancellation_reason, occurrence.is_exception = (
        OccurrenceStatus.CANCELLED,
        "Stängt för påsk",
        True,
    )
    occurrence.save()
    _calendar, events = _events(client.get("/schedule.ics?agency=barnomsorg"))
    in_week = [e for e in events if IsoWeek.containing(e.decoded("dtstart").date()) == week]
    page = client.get(f"/schedule/{week}/?agency=barnomsorg").content.decode()
    assert len(in_week) == page.count('class="entry ')
    assert {str(e["summary"]) for e in events} == {"Barnomsorg Mjölby"}
    cancelled = [e for e in events if str(e["status"]) == "CANCELLED"]
    assert len(cancelled) == 1
    assert "Stängt för påsk" in str(cancelled[0]["description"])


def test_feed_uses_stockholm_wall_clock_times_with_a_vtimezone(client, two_series):
    calendar, events = _events(client.get("/schedule.ics"))
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    start = events[0].decoded("dtstart")
    assert (start.hour, start.minute) in {(14, 0)}
    assert events[0]["dtstart"].params["TZID"] == "Europe/Stockholm"


def test_uids_are_stable_and_sequence_grows_when_an_occurrence_changes(client, two_series):
    childcare, _tax = two_series
    _calendar, before = _events(client.get("/schedule.ics?agency=barnomsorg"))
    occurrence = childcare.occurrences.filter(starts_at__gte=timezone.now()).first()
    occurrence.room, occurrence.is_exception, occurrence.sequence = (
        "Sagorummet",
        True,
        occurrence.sequence + 1,
    )
    occurrence.save()
    _calendar, after = _events(client.get("/schedule.ics?agency=barnomsorg"))
    assert [str(e["uid"]) for e in before] == [str(e["uid"]) for e in after]
    changed = {str(e["uid"]): int(e["sequence"]) for e in after}
    assert changed[f"{childcare.pk}-{occurrence.date:%Y%m%d}@eserviceverkstad"] == 1
    assert "Sagorummet" in {str(e["location"]).split(", ")[1] for e in after}


def test_polling_an_unchanged_feed_gets_304_and_a_change_gets_200(client, two_series):
    first = client.get("/schedule.ics")
    assert first.status_code == 200
    again = client.get("/schedule.ics", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    since = client.get("/schedule.ics", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    occurrence = two_series[0].occurrences.filter(starts_at__gte=timezone.now()).last()
    occurrence.status, occurrence.cancellation_reason = OccurrenceStatus.CANCELLED, "Sjukdom"
    occurrence.save()
    assert client.get("/schedule.ics", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_feed_filtered_by_language(client, two_series):
    _calendar, events = _events(client.get("/schedule.ics?language=ar"))
    assert {str(e["summary"]) for e in events} == {"Skatteverket"}


def test_unknown_filter_in_the_feed_is_a_plain_400(client, two_series):
    response = client.get("/schedule.ics?agency=nope")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_feed_queries_are_pinned_and_a_current_copy_costs_less(client, two_series, django_assert_num_queries):
    # Queries: the schedule version (page cache key and ETag); the filter's
    # municipalities, venues, agencies, topics and languages; the chosen
    # agency; the occurrences with series, agency and venue; their topics.
    caches["pages"].clear()
    with django_assert_num_queries(9):
        first = client.get("/schedule.ics?agency=barnomsorg")
    # A calendar client polling again: the version only, then 304 from the
    # page cache, or the cached body for a client without a copy.
    with django_assert_num_queries(1):
        again = client.get("/schedule.ics?agency=barnomsorg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    with django_assert_num_queries(1):
        cached = client.get("/schedule.ics?agency=barnomsorg")
    assert cached.content == first.content and cached["ETag"] == first["ETag"]
    # Uncached, a current copy still gets 304 without reading occurrences.
    caches["pages"].clear()
    with django_assert_num_queries(7):
        assert (
            client.get("/schedule.ics?agency=barnomsorg", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        )
