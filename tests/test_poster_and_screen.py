"""The notice-board poster (one A4 page per venue, QR code made locally) and
the lobby screen (today at one venue, reloading itself). The poster's fit on
A4 is checked in a real Chromium in tests/browser/test_poster_browser.py."""

import datetime
import re

import pytest
import segno
from django.utils import timezone

from agencies.models import AgencyKind
from sessions.models import Format, OccurrenceStatus
from sessions.poster import describe_days
from sessions.schedule import cancel_occurrences
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_venues():
    """Mjölby library with childcare on Thursdays, and Mjölby's branch
    library in Ekängen with nothing this week (one municipality: the
    site-wide poster prints every venue; with several, each municipality
    has its own, see test_municipality_pages.py)."""
    town = factories.municipality("Mjölby")
    mjolby = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    ekangen = factories.venue(town, name="Ekängens bibliotek", slug="ekangen")
    childcare = factories.agency("Barnomsorg Mjölby", name_en="Childcare Mjölby", slug="barnomsorg")
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    factories.slot(
        childcare, mjolby, first_date=monday, title="Förskolefrågor", title_en="Preschool questions"
    )
    return mjolby, ekangen


def next_week():
    return IsoWeek.containing(timezone.localdate()).next()


def test_poster_has_one_page_per_venue_with_its_week_and_a_qr_code(
    client, two_venues, django_assert_num_queries
):
    week = next_week()
    # Queries: the venues with their municipality; the week's sessions with
    # series, agency and venue.
    # Plus two: the schedule version, the page cache's key; the
    # municipalities (with several, /schedule/print/ leads to one's poster).
    with django_assert_num_queries(4):
        response = client.get(f"/schedule/{week}/print/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="poster-page') == 2
    mjolby = page.split('id="poster-')[2]  # Ekängen first, by name
    assert "Mjölby bibliotek" in mjolby
    assert "14.00–15.00" in mjolby
    assert "Barnomsorg Mjölby" in mjolby
    assert "Förskolefrågor" in mjolby
    assert f"Vecka {week.week}" in mjolby
    ekangen = page.split('id="poster-')[1]
    assert "poster-empty" in ekangen
    assert 'href="/static/css/poster.css"' in page


def test_the_qr_code_is_made_here_and_leads_to_the_live_schedule(client, two_venues):
    page = client.get(f"/schedule/{next_week()}/print/").content.decode()
    # The municipality's page: it stays at its address however many
    # municipalities the site serves later.
    url = "http://testserver/mjolby/schedule/?venue=mjolby-bibliotek"
    expected = segno.make(url, error="m").svg_data_uri(scale=4, border=4)
    assert f'src="{expected}"' in page
    assert url in page  # printed as text too, for those who cannot scan
    sources = re.findall(r'src="([^"]+)"', page)
    assert all(source.startswith(("data:image/svg+xml", "/static/")) for source in sources), sources


def test_poster_marks_cancellations_with_their_reason(client, two_venues):
    week = next_week()
    occurrence = two_venues[0].slots.get().occurrences.get(date=week.monday + datetime.timedelta(days=3))
    occurrence.status, occurrence.cancellation_reason, occurrence.is_exception = (
        OccurrenceStatus.CANCELLED,
        "Stängt för påsk",
        True,
    )
    occurrence.save()
    page = client.get(f"/schedule/{week}/print/").content.decode()
    assert "poster-cancelled" in page
    assert "Stängt för påsk" in page


def test_poster_for_one_venue_and_for_the_current_week(client, two_venues):
    page = client.get(f"/schedule/{next_week()}/print/?venue=mjolby-bibliotek").content.decode()
    assert page.count('class="poster-page') == 1
    current = client.get("/schedule/print/")
    assert current.status_code == 200
    assert f"Vecka {IsoWeek.containing(timezone.localdate()).week}" in current.content.decode()


def test_poster_in_english(client, two_venues):
    client.cookies["django_language"] = "en"
    page = client.get(f"/schedule/{next_week()}/print/").content.decode()
    assert "Preschool questions" in page
    assert f"Week {next_week().week}" in page
    assert "Free help with e-services" in page


def test_a_busy_week_gets_the_dense_layout(client):
    venue = factories.venue(slug="busy")
    monday = next_week().monday
    for n in range(5):
        factories.slot(factories.agency(f"Myndighet {n}"), venue, weekday=n % 5, first_date=monday)
    page = client.get(f"/schedule/{next_week()}/print/").content.decode()
    assert 'class="poster-page poster-columns poster-' in page


def test_a_week_too_busy_for_one_page_says_how_many_more_there_are(client):
    venue = factories.venue(slug="busy")
    monday = next_week().monday
    for n in range(120):
        factories.slot(
            factories.agency(f"Myndighet {n}"),
            venue,
            weekday=n % 7,
            start_time=datetime.time(8 + n // 7 % 14),
            end_time=datetime.time(9 + n // 7 % 14),
            first_date=monday,
            last_date=monday + datetime.timedelta(days=6),
        )
    client.cookies["django_language"] = "en"
    page = client.get(f"/schedule/{next_week()}/print/").content.decode()
    shown = page.count('class="poster-offer ')
    assert 'class="poster-page poster-columns poster-densest"' in page
    assert 0 < shown < 120
    assert f"{120 - shown} more sessions this week: scan the code to see them." in page


def test_a_drop_in_held_every_afternoon_is_one_block_with_its_days_and_languages(client):
    """The same line five times is hard to read from across a room: the
    library's weekday drop-ins are one offer, its times per clock."""
    venue = factories.venue(
        factories.municipality("Mjölby"), name="Mjölby bibliotek", slug="mjolby-bibliotek"
    )
    library = factories.agency("Mjölby bibliotek", slug="bibliotek")
    monday = next_week().monday
    for weekday in range(4):
        factories.slot(
            library,
            venue,
            weekday=weekday,
            first_date=monday,
            start_time=datetime.time(13),
            end_time=datetime.time(16),
            title="Drop in i digitala verkstaden",
            languages="sv,en,ar",
        )
    factories.slot(
        library,
        venue,
        weekday=4,
        first_date=monday,
        start_time=datetime.time(10),
        end_time=datetime.time(12),
        title="Drop in i digitala verkstaden",
        languages="sv,en,ar",
    )
    page = client.get(f"/schedule/{next_week()}/print/?venue=mjolby-bibliotek").content.decode()
    assert page.count('class="poster-offer ') == 1
    assert page.count("Drop in i digitala verkstaden") == 1
    assert 'Måndag–torsdag <span class="poster-clock">13.00–16.00</span>' in page
    friday = monday + datetime.timedelta(days=4)
    assert f"Fredag {friday.day} " in page and '<span class="poster-clock">10.00–12.00</span>' in page
    assert "Hjälp på svenska, engelska och arabiska" in page


def test_a_cancelled_session_is_a_line_in_its_offer_with_day_time_and_reason(client, two_venues):
    week = next_week()
    thursday = week.monday + datetime.timedelta(days=3)
    occurrence = two_venues[0].slots.get().occurrences.get(date=thursday)
    cancel_occurrences([occurrence], "Stängt för påsk")
    page = client.get(f"/schedule/{week}/print/?venue=mjolby-bibliotek").content.decode()
    assert f"Inställt torsdag {thursday.day} " in page
    assert "14.00–15.00: Stängt för påsk" in page


def test_the_poster_has_a_print_button_from_a_static_script(client, two_venues):
    page = client.get(f"/schedule/{next_week()}/print/").content.decode()
    assert "data-print-page hidden>Skriv ut affischen</button>" in page
    assert '<script src="/static/js/poster.js" defer></script>' in page
    assert "onclick" not in page


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ([0], "måndag 30 november"),
        ([0, 1, 2, 3], "måndag–torsdag"),
        ([0, 2, 4], "måndag, onsdag och fredag"),
        ([0, 1], "måndag och tisdag"),
        ([0, 1, 2, 4], "måndag–onsdag och fredag"),
    ],
)
def test_days_of_an_offer_read_as_swedish(days, text):
    monday = datetime.date(2026, 11, 30)
    assert describe_days([monday + datetime.timedelta(days=n) for n in days]) == text


@pytest.mark.parametrize(
    "path",
    [
        "/schedule/2026-W60/print/",
        "/schedule/2099-W01/print/",
        "/schedule/2026-48/print/",
        "/schedule/print/?venue=no-such-venue",
        "/schedule/print/?venue=",
    ],
)
def test_bad_poster_addresses_are_a_404_page(client, two_venues, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Vi hittar inte sidan" in response.content.decode()


@pytest.fixture
def today_at_mjolby(time_machine):
    """Three sessions at Mjölby library today: one going on now, one later,
    one later but cancelled. Built as one-time series around noon in
    Stockholm, the clock running, so none crosses midnight whenever the
    tests run (late in the evening they were skipped)."""
    noon = datetime.datetime.combine(timezone.localdate(), datetime.time(12), timezone.get_current_timezone())
    time_machine.move_to(noon, tick=True)
    venue = factories.venue(
        factories.municipality("Mjölby"), name="Mjölby bibliotek", slug="mjolby-bibliotek", room="Verkstaden"
    )
    library = factories.agency("Biblioteket", slug="bibliotek", kind=AgencyKind.LIBRARY)
    tax = factories.agency("Skatteverket", slug="skatteverket", kind=AgencyKind.TAX_AGENCY)
    now = timezone.localtime()
    today = now.date()
    slots = []
    for n, (agency, title, title_en, start) in enumerate(
        [
            (library, "Drop in", "Drop-in", now - datetime.timedelta(minutes=30)),
            (tax, "Deklarationshjälp", "Tax return help", now + datetime.timedelta(minutes=1)),
            (library, "Testa ny teknik", "Try new technology", now + datetime.timedelta(minutes=2)),
        ]
    ):
        slot = factories.slot(
            agency,
            venue,
            recurrence="once",
            first_date=today,
            weekday=today.weekday(),
            # Late today: a session that has already ended today is history
            # and would not be stored for a series made now.
            start_time=datetime.time(23, n * 10),
            end_time=datetime.time(23, n * 10 + 5),
            title=title,
            title_en=title_en,
            format=Format.TRY if title == "Testa ny teknik" else Format.DROP_IN,
        )
        occurrence = slot.occurrences.get()
        # Times set by hand, as a coordinator would: near now, within today.
        occurrence.starts_at = start
        occurrence.ends_at = start + datetime.timedelta(minutes=1 if start > now else 60)
        occurrence.is_exception = True
        occurrence.save()
        slots.append(slot)
    cancelled = slots[2].occurrences.get()
    cancelled.status, cancelled.cancellation_reason = OccurrenceStatus.CANCELLED, "Personalen är sjuk"
    cancelled.save()
    return venue


def _section(page, heading_id):
    return page.split(f'id="{heading_id}"')[1].split("</section>")[0]


def test_screen_shows_who_is_here_now_and_later_today(client, today_at_mjolby, django_assert_num_queries):
    # Queries: the venue; today's sessions there with series and agency;
    # the next session after today.
    with django_assert_num_queries(3):
        response = client.get("/screen/mjolby-bibliotek/")
    page = response.content.decode()
    assert response.status_code == 200
    here_now = _section(page, "here-now")
    later = _section(page, "later-today")
    assert "Drop in" in here_now and "Deklarationshjälp" not in here_now
    assert "Deklarationshjälp" in later
    assert "Testa ny teknik" in later and "Personalen är sjuk" in later and "screen-cancelled" in later
    assert "Mjölby bibliotek" in page


def test_screen_is_in_the_venues_language_whatever_the_browser_says(client, today_at_mjolby):
    client.cookies["django_language"] = "en"
    response = client.get("/screen/mjolby-bibliotek/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert '<html lang="sv"' in page
    assert response["Content-Language"] == "sv"
    assert "Här nu" in page
    assert 'lang="en"' not in page


def test_a_venue_set_to_english_gets_an_english_screen_with_a_swedish_line(client, today_at_mjolby):
    today_at_mjolby.language = "en"
    today_at_mjolby.save()
    response = client.get("/screen/mjolby-bibliotek/?second=sv", HTTP_ACCEPT_LANGUAGE="sv")
    page = response.content.decode()
    assert '<html lang="en"' in page
    assert response["Content-Language"] == "en"
    assert "Here now" in page
    assert '<span class="screen-second" lang="sv">Här nu</span>' in page


def test_screen_adds_a_second_language_line_when_asked(client, today_at_mjolby):
    page = client.get("/screen/mjolby-bibliotek/?second=en").content.decode()
    assert '<html lang="sv"' in page
    assert "Här nu" in page
    assert '<span class="screen-second" lang="en">Here now</span>' in page
    assert "Free help with e-services. Ask the staff!" in page


@pytest.mark.parametrize("second", ["sv", "xx", "<script>", ""])
def test_screen_ignores_a_useless_second_language(client, today_at_mjolby, second):
    response = client.get("/screen/mjolby-bibliotek/", {"second": second})
    assert response.status_code == 200
    assert 'class="screen-second"' not in response.content.decode()


def test_screen_refreshes_itself_without_inline_script(client, today_at_mjolby):
    page = client.get("/screen/mjolby-bibliotek/").content.decode()
    assert 'data-refresh-seconds="60"' in page
    assert '<script src="/static/js/screen.js" defer></script>' in page
    # Without JavaScript the browser reloads by itself.
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in page
    assert "<main" in page and "<h1>" in page


def test_screen_when_nothing_more_today_names_the_next_time(client):
    venue = factories.venue(slug="tyst")
    agency = factories.agency("Försäkringskassan", slug="fk")
    in_three_days = timezone.localdate() + datetime.timedelta(days=3)
    factories.slot(agency, venue, weekday=in_three_days.weekday(), first_date=in_three_days)
    page = client.get("/screen/tyst/").content.decode()
    assert "Ingen är här just nu." in page
    assert "Försäkringskassan" in page.split("screen-next")[1]


def test_unknown_screen_is_a_404_page(client):
    response = client.get("/screen/no-such-venue/")
    assert response.status_code == 404


@pytest.mark.parametrize("venue", ["%00", "a%00b", "x" * 200, "../etc"])
def test_a_poster_for_a_venue_that_cannot_exist_is_a_404(client, venue):
    assert client.get(f"/schedule/print/?venue={venue}").status_code == 404


def test_the_poster_is_cached_per_host_because_its_qr_code_holds_the_address(client, db):
    factories.venue()
    first = client.get("/schedule/print/", HTTP_HOST="localhost")
    second = client.get("/schedule/print/", HTTP_HOST="127.0.0.1")
    assert first.status_code == second.status_code == 200
    assert first.content != second.content
