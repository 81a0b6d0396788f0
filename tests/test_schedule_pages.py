"""The public week page and the home page, in Swedish and English."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import AgencyKind, AgencyLevel
from sessions.models import STOCKHOLM, Format, Occurrence, OccurrenceStatus, by_local_day
from sessions.schedule import cancel_occurrences
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mjolby_childcare():
    """Childcare staff at Mjölby library, Thursdays 14-15, in Swedish and English."""
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    childcare = factories.agency(
        "Barnomsorg Mjölby", name_en="Childcare Mjölby", slug="barnomsorg", municipality=town
    )
    preschool = factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")
    return factories.slot(childcare, library, languages="sv,en", topics=[preschool], note="Ta med BankID")


def this_thursday():
    """Thursday next week: every day of that week lies ahead, so every
    occurrence of a series created today is stored."""
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    return monday + datetime.timedelta(days=3)


def week_url(day):
    return f"/schedule/{IsoWeek.containing(day)}/"


def test_week_page_lists_the_session_with_its_facts_in_swedish(client, mjolby_childcare):
    thursday = this_thursday()
    response = client.get(week_url(thursday), HTTP_ACCEPT_LANGUAGE="sv")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Barnomsorg Mjölby" in page
    assert "14.00–15.00" in page
    assert "Mjölby bibliotek" in page
    assert "Förskoleplats" in page
    assert "Ta med BankID" in page
    assert "svenska, engelska" in page
    assert f"vecka {thursday.isocalendar().week}".lower() in page.lower()
    assert f"Torsdag {thursday.day} " in page


def test_week_page_in_english_names_days_and_agency_in_english(client, mjolby_childcare):
    client.cookies["django_language"] = "en"
    thursday = this_thursday()
    page = client.get(week_url(thursday)).content.decode()
    assert f"Thursday {thursday.day} " in page
    assert "Childcare Mjölby" in page
    assert "Preschool place" in page
    assert "Swedish, English" in page
    assert '<html lang="en">' in page


def test_accept_language_is_honoured_on_the_first_visit(client, mjolby_childcare):
    page = client.get("/schedule/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in page


def test_language_switch_is_remembered_in_a_cookie(client, mjolby_childcare):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/schedule/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/schedule/").content.decode()


def test_cancelled_occurrence_is_shown_marked_with_its_reason(client, mjolby_childcare):
    thursday = this_thursday()
    occurrence = mjolby_childcare.occurrences.get(date=thursday)
    occurrence.status = OccurrenceStatus.CANCELLED
    occurrence.cancellation_reason = "Stängt för påsk"
    occurrence.is_exception = True
    occurrence.save()
    page = client.get(week_url(thursday)).content.decode()
    assert "Inställt" in page
    assert "Stängt för påsk" in page
    assert "entry-cancelled" in page


@pytest.fixture
def tax_agency_in_mjolby():
    """Skatteverket at Mjölby's citizen service: a second venue and agency
    in a one-municipality installation, whose site-wide week page shows all."""
    office = factories.venue(
        factories.municipality("Mjölby"), name="Mjölby medborgarservice", slug="mjolby-medborgarservice"
    )
    tax = factories.agency(
        "Skatteverket",
        slug="skatteverket",
        kind=AgencyKind.TAX_AGENCY,
        level=AgencyLevel.NATIONAL,
        colour="#6b2c91",
    )
    return factories.slot(
        tax, office, weekday=1, languages="sv,ar", format=Format.BOOKED, capacity=1, booking_minutes=30
    )


# A municipality's own week page filters the same way; that it lists only
# its own sessions is tested in test_municipality_pages.py.
@pytest.mark.parametrize(
    ("query", "shows_childcare", "shows_tax"),
    [
        ("municipality=mjolby", True, True),
        ("venue=mjolby-medborgarservice", False, True),
        ("agency=barnomsorg", True, False),
        ("topic=forskoleplats", True, False),
        ("format=booked", False, True),
        ("language=ar", False, True),
        ("language=en", True, False),
        ("language=sv", True, True),
        ("", True, True),
    ],
)
def test_filters_narrow_the_week(
    client, mjolby_childcare, tax_agency_in_mjolby, query, shows_childcare, shows_tax
):
    page = client.get(f"{week_url(this_thursday())}?{query}").content.decode()
    entries = page.split('role="status"')[-1]  # after the filter form's choices
    assert ("Barnomsorg Mjölby" in entries) is shows_childcare
    assert ("Skatteverket" in entries) is shows_tax


@pytest.mark.parametrize("query", ["agency=no-such-agency", "format=party", "language=xx", "venue=%00"])
def test_unknown_filter_values_show_a_message_and_nothing_else(client, mjolby_childcare, query):
    response = client.get(f"/schedule/?{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "känner inte igen" in page
    assert 'class="entries"' not in page


def test_week_navigation_keeps_the_filters(client, mjolby_childcare):
    week = IsoWeek.containing(this_thursday())
    page = client.get(f"/schedule/{week}/?agency=barnomsorg&language=en").content.decode()
    assert f'href="/schedule/{week.next()}/?agency=barnomsorg&amp;language=en"' in page
    assert f'href="/schedule/{week.previous()}/?agency=barnomsorg&amp;language=en"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/schedule/2026-W60/",
        "/schedule/2027-W53/",  # 2027 has 52 weeks
        "/schedule/2026-W00/",
        "/schedule/2026-48/",
        "/schedule/week48/",
        "/schedule/2026-W4/",
        "/schedule/2099-W01/",
        "/schedule/1999-W01/",
    ],
)
def test_bad_weeks_are_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Vi hittar inte sidan" in response.content.decode()


def test_week_53_exists_in_a_53_week_year(client):
    assert client.get("/schedule/2026-W53/").status_code == 200


def _schedule_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _many_series(count, first_week_day):
    town = factories.municipality("Mjölby")
    venues = [factories.venue(town) for _ in range(5)]
    topic = factories.topic()
    for n in range(count):
        agency = factories.agency(f"Myndighet {n}")
        factories.slot(
            agency,
            venues[n % 5],
            weekday=n % 5,
            first_date=first_week_day,
            topics=[topic],
            last_date=first_week_day + datetime.timedelta(days=27),
        )


def test_week_page_queries_do_not_grow_with_the_number_of_series(client, django_assert_num_queries):
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    url = f"/schedule/{IsoWeek.containing(monday)}/?municipality=mjolby"
    _many_series(5, monday)
    # Queries: the schedule versions (page cache key: catalogue and
    # municipality, one query); the filter's municipalities, venues,
    # agencies, topics and languages; the chosen municipality; the week's
    # sessions as plain rows with series, agency and venue; their topics.
    # (A week with nothing scheduled asks for the next session instead: see
    # the empty-week tests below.)
    caches["pages"].clear()
    with django_assert_num_queries(9):
        client.get(url)
    _many_series(295, monday)
    caches["pages"].clear()
    with django_assert_num_queries(9):
        page = client.get(url).content.decode()
    assert "300 tillfällen" in page


def test_a_cached_week_page_costs_one_query_and_a_change_shows_at_once(
    client, mjolby_childcare, django_assert_num_queries
):
    url = week_url(this_thursday())
    client.get(url)
    # Queries: the schedule version only.
    with django_assert_num_queries(1):
        assert "Barnomsorg Mjölby" in client.get(url).content.decode()
    occurrence = mjolby_childcare.occurrences.get(date=this_thursday())
    cancel_occurrences([occurrence], "Stängt för påsk")
    assert "Stängt för påsk" in client.get(url).content.decode()
    mjolby_childcare.agency.name = "Barnomsorgen i Mjölby"
    mjolby_childcare.agency.save()
    assert "Barnomsorgen i Mjölby" in client.get(url).content.decode()


def test_logged_in_staff_get_a_fresh_page_with_their_menu(client, mjolby_childcare):
    url = week_url(this_thursday())
    client.get(url)
    client.force_login(User.objects.create_user("sofia"))
    assert "Logga ut" in client.get(url).content.decode()


def test_a_municipality_page_shows_who_is_here_now_and_next(
    client, mjolby_childcare, tax_agency_in_mjolby, django_assert_num_queries
):
    factories.venue(factories.municipality("Kalmar"), name="Kalmar stadsbibliotek")
    now = timezone.localtime()
    current = mjolby_childcare.occurrences.filter(starts_at__gt=now).first()
    current.starts_at = now - datetime.timedelta(minutes=10)
    current.ends_at = now + datetime.timedelta(minutes=50)
    current.is_exception = True
    current.save()
    # Queries: the municipality; its venues; occurrences happening now;
    # the next three per venue. Plus one: the schedule version, the page
    # cache's key.
    with django_assert_num_queries(5):
        page = client.get("/mjolby/").content.decode()
    library, office = page.split('id="venue-')[1:]
    assert "Mjölby bibliotek" in library
    here_now = library.split("Här nu")[1].split("Nästa")[0]
    assert "Barnomsorg Mjölby" in here_now
    assert "Skatteverket" in office.split("Nästa")[1] and "Mjölby medborgarservice" in office
    # Kalmar's library is on Kalmar's page, not Mjölby's.
    assert "Kalmar stadsbibliotek" not in page
    assert "Kalmar stadsbibliotek" in client.get("/kalmar/").content.decode()


def test_healthz_reports_database_and_task_cluster(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert set(body["tasks"]) == {"clusters", "queued", "last_success"}


def test_agency_colours_come_as_a_stylesheet(client, mjolby_childcare):
    response = client.get("/agency-colours.css")
    agency = mjolby_childcare.agency
    assert response["Content-Type"].startswith("text/css")
    assert f".agency-{agency.pk}{{background-color:#1f5f8b;color:#ffffff}}" in response.content.decode()


def test_sessions_are_grouped_by_their_stockholm_date_with_empty_days_kept():
    utc = datetime.UTC
    # 00:30 on 1 July in Stockholm is 22:30 UTC on 30 June.
    after_midnight = Occurrence(starts_at=datetime.datetime(2026, 6, 30, 22, 30, tzinfo=utc))
    afternoon = Occurrence(starts_at=datetime.datetime(2026, 7, 2, 12, 0, tzinfo=utc))
    days = [datetime.date(2026, 7, 3), datetime.date(2026, 7, 1)]
    grouped = by_local_day([afternoon, after_midnight], days)
    assert list(grouped) == [datetime.date(2026, 7, n) for n in (1, 2, 3)]
    assert grouped[datetime.date(2026, 7, 1)] == [after_midnight]
    assert grouped[datetime.date(2026, 7, 3)] == []
    assert after_midnight.local_start.tzinfo == STOCKHOLM


class FormActions(HTMLParser):
    """The action attribute of every form (None where it has none)."""

    def __init__(self):
        super().__init__()
        self.actions = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.actions.append(dict(attrs).get("action"))


def test_no_form_on_the_week_page_has_an_empty_action(client, mjolby_childcare):
    # HTML forbids action="" (the validator reports it); the filter form names its page.
    url = week_url(this_thursday())
    parser = FormActions()
    parser.feed(client.get(f"{url}?agency=barnomsorg").content.decode())
    assert parser.actions, "the week page has its filter form and the language switch"
    assert "" not in parser.actions
    assert url in parser.actions


@pytest.fixture
def monthly_tax_agency():
    """The tax agency at Mjölby library every fourth Thursday 13-15, from
    next week's Thursday: most weeks have nothing of it."""
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    tax = factories.agency(
        "Skatteverket", slug="skatteverket", kind=AgencyKind.TAX_AGENCY, level=AgencyLevel.NATIONAL
    )
    return factories.slot(
        tax,
        library,
        interval=4,
        first_date=this_thursday(),
        start_time=datetime.time(13),
        end_time=datetime.time(15),
    )


def test_an_empty_filtered_week_leads_to_the_week_of_the_next_session(
    client, monthly_tax_agency, django_assert_num_queries
):
    empty_week = IsoWeek.containing(this_thursday()).next()
    next_session = this_thursday() + datetime.timedelta(weeks=4)
    # Queries: the schedule version (page cache key); the filter's
    # municipalities, venues, agencies, topics and languages; the chosen
    # agency; the week's occurrences (none, so no topics query); the next
    # session the filters find.
    with django_assert_num_queries(9):
        page = client.get(f"/schedule/{empty_week}/?agency=skatteverket&language=sv").content.decode()
    assert "0 tillfällen den här veckan." in page
    link = f'href="/schedule/{IsoWeek.containing(next_session)}/?agency=skatteverket&amp;language=sv"'
    assert link in page
    day = next_session.strftime("%-d")
    assert f"Nästa gång: torsdag {day} " in page.split(link)[1].split("</a>")[0]


def test_a_week_with_only_cancelled_sessions_leads_to_the_next_one(
    client, monthly_tax_agency, django_assert_num_queries
):
    first = monthly_tax_agency.occurrences.get(date=this_thursday())
    cancel_occurrences([first], "Stängt för utbildning")
    # Queries: as for an empty week, plus the cancelled session's topics.
    with django_assert_num_queries(10):
        page = client.get(f"{week_url(this_thursday())}?agency=skatteverket").content.decode()
    next_week = IsoWeek.containing(this_thursday() + datetime.timedelta(weeks=4))
    assert f'href="/schedule/{next_week}/?agency=skatteverket"' in page
    assert "Nästa gång:" in page


def test_a_week_with_sessions_has_no_next_time_link(client, monthly_tax_agency):
    page = client.get(f"{week_url(this_thursday())}?agency=skatteverket").content.decode()
    assert "Nästa gång:" not in page


def test_a_past_empty_week_leads_forward_to_the_coming_session(client, monthly_tax_agency):
    past = IsoWeek.containing(timezone.localdate()).previous()
    page = client.get(f"/schedule/{past}/?agency=skatteverket").content.decode()
    assert f'href="/schedule/{IsoWeek.containing(this_thursday())}/?agency=skatteverket"' in page


def test_the_next_time_link_reads_in_english(client, monthly_tax_agency):
    client.cookies["django_language"] = "en"
    empty_week = IsoWeek.containing(this_thursday()).next()
    page = client.get(f"/schedule/{empty_week}/?agency=skatteverket").content.decode()
    next_session = this_thursday() + datetime.timedelta(weeks=4)
    assert f"Next time: Thursday {next_session.day} " in page


def _cancel(series, count):
    cancel_occurrences(list(series.occurrences.filter(date__gte=this_thursday())[:count]), "Stängt")


@pytest.mark.parametrize(
    ("sessions", "cancelled", "language", "text"),
    [
        (1, 0, "sv", "1 tillfälle den här veckan."),
        (2, 0, "sv", "2 tillfällen den här veckan."),
        (1, 1, "sv", "1 tillfälle den här veckan, varav 1 inställt."),
        (2, 1, "sv", "2 tillfällen den här veckan, varav 1 inställt."),
        (2, 2, "sv", "2 tillfällen den här veckan, varav 2 inställda."),
        (1, 1, "en", "1 session this week, of which 1 is cancelled."),
        (2, 2, "en", "2 sessions this week, of which 2 are cancelled."),
    ],
)
def test_cancelled_sessions_are_counted_apart(client, sessions, cancelled, language, text):
    library = factories.venue(factories.municipality("Mjölby"), slug="mjolby-bibliotek")
    series = [
        factories.slot(factories.agency(f"Myndighet {n}"), library, first_date=this_thursday())
        for n in range(sessions)
    ]
    for one in series[:cancelled]:
        _cancel(one, 1)
    client.cookies["django_language"] = language
    page = client.get(week_url(this_thursday())).content.decode()
    status = page.split('role="status">')[1].split("</p>")[0]
    assert " ".join(status.split()) == text


def test_after_filtering_the_panel_is_closed_and_one_line_names_the_filters(client, mjolby_childcare):
    page = client.get(f"{week_url(this_thursday())}?agency=barnomsorg&language=en").content.decode()
    assert '<details class="filters">' in page
    summary = " ".join(page.split("<summary>")[1].split("</summary>")[0].split())
    assert "Visar: Barnomsorg Mjölby, engelska" in summary
    assert "ändra" in summary


def test_without_filters_the_panel_is_closed_and_says_what_it_filters(client, mjolby_childcare):
    page = client.get(week_url(this_thursday())).content.decode()
    assert '<details class="filters">' in page
    assert "Visar:" not in page


def test_an_unknown_filter_shows_the_plain_panel_heading(client, mjolby_childcare):
    page = client.get("/schedule/?agency=no-such-agency").content.decode()
    assert "Visar:" not in page


def test_a_filtered_week_shows_only_its_days_with_sessions(client, mjolby_childcare):
    url = week_url(this_thursday())
    filtered = client.get(f"{url}?agency=barnomsorg").content.decode()
    assert filtered.count('<section class="day') == 1
    assert "Ingen är här den här dagen." not in filtered
    unfiltered = client.get(url).content.decode()
    assert unfiltered.count('<section class="day') == 5


def test_the_calendar_and_poster_links_come_after_the_week(client, mjolby_childcare):
    page = client.get(f"{week_url(this_thursday())}?agency=barnomsorg").content.decode()
    assert page.index('class="entries"') < page.index('class="subscribe"')


def test_every_entry_on_the_week_page_links_to_its_agency_and_its_venue(client):
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    _many_series(5, monday)
    page = client.get(f"/schedule/{IsoWeek.containing(monday)}/?municipality=mjolby").content.decode()
    entries = page.split('<li class="entry ')[1:]
    assert len(entries) == 5
    for entry in entries:
        agency_link = r'<a class="agency-badge agency-\d+" href="/agencies/agency-\d+/">Myndighet \d+</a>'
        assert re.search(agency_link, entry)
        assert re.search(r'<a href="/venues/mjolby-bibliotek-\d+/">Mjölby bibliotek \d+</a>', entry)
