"""The calendar feed: same sessions as the week page, readable by calendar
clients, cheap to poll."""

import datetime
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from django.core.cache import caches
from django.utils import timezone
from icalendar import Calendar

from agencies.models import AgencyKind, AgencyLevel
from sessions.calendar_feed import feed_window, occurrence_uid
from sessions.models import STOCKHOLM, OccurrenceStatus
from sessions.weeks import IsoWeek
from tests import factories
from tests.conftest import skip_or_fail

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


def _zoneinfo_changes(start, end):
    """Each change of Stockholm's UTC offset in [start, end) by zoneinfo:
    the UTC hour it happens at and the offset after it. (Swedish changes
    fall on whole UTC hours.)"""
    hour = start.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    offset, changes = hour.astimezone(STOCKHOLM).utcoffset(), []
    while hour < end:
        hour += datetime.timedelta(hours=1)
        if hour.astimezone(STOCKHOLM).utcoffset() != offset:
            offset = hour.astimezone(STOCKHOLM).utcoffset()
            changes.append((hour, offset))
    return changes


def _vtimezone_changes(vtimezone, start, end):
    """The same, read from the feed's VTIMEZONE: each DTSTART/RRULE is a
    local time before the change, so TZOFFSETFROM turns it into UTC."""
    changes = []
    for change in vtimezone.subcomponents:
        before, after = change.decoded("tzoffsetfrom"), change.decoded("tzoffsetto")
        rule = rrulestr(change["rrule"].to_ical().decode(), dtstart=change.decoded("dtstart"))
        # Local and UTC times differ by hours: a day either side is plenty.
        first, last = (moment.astimezone(datetime.UTC).replace(tzinfo=None) for moment in (start, end))
        margin = datetime.timedelta(days=1)
        for local in rule.between(first - margin, last + margin, inc=True):
            moment = (local - before).replace(tzinfo=datetime.UTC)
            if start <= moment < end:
                changes.append((moment, after))
    return sorted(changes)


def test_the_feeds_vtimezone_has_every_change_zoneinfo_has_in_the_feeds_window(client):
    # The VTIMEZONE is two yearly rules (one value each, which every client
    # reads alike), not a list of dates; zoneinfo (tzdata) is the reference.
    calendar = Calendar.from_ical(client.get("/schedule.ics").content)
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert [change.name for change in vtimezone.subcomponents] == ["STANDARD", "DAYLIGHT"]
    assert all("RDATE" not in change for change in vtimezone.subcomponents)
    start, end = feed_window()
    expected = _zoneinfo_changes(start, end)
    assert len(expected) >= 2
    assert _vtimezone_changes(vtimezone, start, end) == expected
    # The icalendar package's own reading of it (not the zoneinfo zone of
    # the same name) agrees either side of each change.
    own = vtimezone.to_tz(lookup_tzid=False)
    for moment, offset in expected:
        before = moment - datetime.timedelta(minutes=1)
        offsets = (before.astimezone(own).utcoffset(), moment.astimezone(own).utcoffset())
        assert offsets == (before.astimezone(STOCKHOLM).utcoffset(), offset)
    # RFC 5545: DTSTART is the local time before the change.
    starts = {change.name: change.decoded("dtstart") for change in vtimezone.subcomponents}
    assert starts["DAYLIGHT"].time() == datetime.time(2) and starts["STANDARD"].time() == datetime.time(3)


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


# A second, independent parser: Mozilla's ical.js (Thunderbird and many web
# calendars) run under Node, pinned in tests/ical_js/package-lock.json.
ICAL_JS = Path(__file__).parent / "ical_js"
PAGE_ENTRY = re.compile(
    r'<time class="entry-time"[^>]*><span class="entry-clock">([^<]*)</span></time>\s*'
    r'<a class="agency-badge[^"]*" href="[^"]*">([^<]*)</a>'
)


def _last_sunday(year, month):
    day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def _next_last_sunday(month, today):
    day = _last_sunday(today.year, month)
    return day if day >= today else _last_sunday(today.year + 1, month)


def _next_date(month, day, today):
    date = datetime.date(today.year, month, day)
    return date if date >= today else date.replace(year=today.year + 1)


def _ical_js_events(path):
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        skip_or_fail("Node.js or npm not found (Debian: apt install nodejs npm)", "the ical.js feed test")
    if not (ICAL_JS / "node_modules" / "ical.js").exists():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=ICAL_JS, capture_output=True, text=True, timeout=300
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    result = subprocess.run(
        [node, ICAL_JS / "read_feed.mjs", path], capture_output=True, text=True, timeout=60, check=True
    )
    return {event["uid"]: event for event in json.loads(result.stdout)}


def _page_starts(client, week):
    """What the week page shows: each session's local start time, by agency name."""
    page = client.get(f"/schedule/{week}/").content.decode()
    return {html.unescape(name): text.split("–")[0].strip() for text, name in PAGE_ENTRY.findall(page)}


def test_a_second_parser_reads_the_same_utc_starts_as_the_week_page_in_winter_summer_and_change_nights(
    client, tmp_path
):
    # One one-off session per case, each by its own agency so the week page
    # tells them apart. On the change nights 01:30 is before the clocks move
    # and 03:30 after; 02:00-03:00 is skipped in March, ambiguous in October.
    today = timezone.localdate()
    spring, autumn = _next_last_sunday(3, today), _next_last_sunday(10, today)
    one_day = datetime.timedelta(days=1)
    cases = {
        "Vinter": (_next_date(1, 20, today), datetime.time(10)),
        "Sommar": (_next_date(7, 1, today), datetime.time(10)),
        "Vårnatt före": (spring, datetime.time(1, 30)),
        "Vårnatt efter": (spring, datetime.time(3, 30)),
        "Dagen efter vårnatten": (spring + one_day, datetime.time(10)),
        "Höstnatt före": (autumn, datetime.time(1, 30)),
        "Höstnatt efter": (autumn, datetime.time(3, 30)),
        "Dagen efter höstnatten": (autumn + one_day, datetime.time(10)),
    }
    library = factories.venue(factories.municipality("Mjölby"))
    occurrences = {}
    for name, (day, start) in cases.items():
        end = (datetime.datetime.combine(day, start) + datetime.timedelta(minutes=20)).time()
        series = factories.slot(
            factories.agency(name), library, recurrence="once", first_date=day, start_time=start, end_time=end
        )
        occurrences[name] = series.occurrences.get()
    feed = tmp_path / "schedule.ics"
    feed.write_bytes(client.get("/schedule.ics").content)

    read = _ical_js_events(feed)

    assert len(read) == len(cases)
    # Per session: the UTC start ical.js read, that moment on a Stockholm
    # clock, and the start the week page shows, against the stored start.
    seen, expected = {}, {}
    for name, occurrence in occurrences.items():
        event = read[occurrence_uid(occurrence)]
        start = datetime.datetime.fromisoformat(event["start"])
        shown = _page_starts(client, IsoWeek.containing(occurrence.date))[name]
        seen[name] = (event["zone"], start, f"{start.astimezone(STOCKHOLM):%H:%M}", shown)
        # The (Swedish) week page writes the time with a full stop.
        clock, swedish_clock = f"{cases[name][1]:%H:%M}", f"{cases[name][1]:%H.%M}"
        expected[name] = ("Europe/Stockholm", occurrence.starts_at, clock, swedish_clock)
    assert seen == expected
