"""An installation for several municipalities: "Where do you live?" at /,
each municipality's own pages at /<municipality>/…, the site-wide schedule
addresses sending residents there, and municipality slugs that can never
take one of the site's own paths."""

import datetime

import pytest
from django.core import checks
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.urls import clear_url_caches
from django.utils import timezone

from agencies.models import AgencyKind, AgencyLevel, Municipality
from eserviceverkstad.reserved_paths import reserved_path_segments
from sessions.municipalities import MUNICIPALITY_COOKIE
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db


def next_thursday():
    return IsoWeek.containing(timezone.localdate()).next().monday + datetime.timedelta(days=3)


@pytest.fixture
def region():
    """Mjölby (Östergötlands län) with childcare at its library; Kalmar and
    Nybro (Kalmar län), Kalmar with Skatteverket at its city library."""
    mjolby = factories.municipality("Mjölby", region="Östergötlands län")
    kalmar = factories.municipality("Kalmar", region="Kalmar län")
    factories.municipality("Nybro", region="Kalmar län")
    mjolby_library = factories.venue(mjolby, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    kalmar_library = factories.venue(kalmar, name="Kalmar stadsbibliotek", slug="kalmar-stadsbibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=mjolby)
    tax = factories.agency(
        "Skatteverket", slug="skatteverket", kind=AgencyKind.TAX_AGENCY, level=AgencyLevel.NATIONAL
    )
    factories.slot(childcare, mjolby_library, weekday=3)
    factories.slot(tax, kalmar_library, weekday=1)
    return {"mjolby": mjolby, "kalmar": kalmar}


def test_one_municipality_keeps_the_home_page_without_a_chooser(client):
    town = factories.municipality("Mjölby", region="Östergötlands län")
    factories.venue(town, name="Mjölby bibliotek")
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Var bor du?" not in page
    assert "Mjölby bibliotek" in page


def test_several_municipalities_are_listed_by_region(client, region):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "<h1>Var bor du?</h1>" in page
    kalmar_lan, ostergotland = page.split("Kalmar län</h2>")[1].split("Östergötlands län</h2>")
    assert "Kalmar" in kalmar_lan and "Nybro" in kalmar_lan and "Mjölby" not in kalmar_lan
    assert 'href="/mjolby/choose/"' in ostergotland
    # The venues' times belong on the municipalities' pages.
    assert "Mjölby bibliotek" not in page


def test_the_search_filters_the_list_without_javascript(client, region):
    page = client.get("/?q=nyb", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'href="/nybro/choose/"' in page
    assert 'href="/kalmar/choose/"' not in page and 'href="/mjolby/choose/"' not in page
    assert "Sökningen ”nyb” gav 1 kommun." in page
    # The region's name finds its municipalities too.
    by_region = client.get("/?q=kalmar+län").content.decode()
    assert 'href="/nybro/choose/"' in by_region and 'href="/mjolby/choose/"' not in by_region


def test_choosing_remembers_the_municipality_and_start_leads_there(client, region):
    response = client.get("/kalmar/choose/")
    assert response.status_code == 302 and response["Location"] == "/kalmar/"
    assert response.cookies[MUNICIPALITY_COOKIE].value == "kalmar"
    again = client.get("/")
    assert again.status_code == 302 and again["Location"] == "/kalmar/"
    # A visible way back to the list, which does not send the resident on.
    page = client.get("/kalmar/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'href="/?choose">Välj en annan kommun</a>' in page
    assert client.get("/?choose").status_code == 200


def test_a_remembered_municipality_that_is_gone_shows_the_list(client, region):
    client.cookies[MUNICIPALITY_COOKIE] = "vimmerby"
    assert client.get("/").status_code == 200


def test_a_municipality_page_shows_only_its_venues(client, region):
    page = client.get("/mjolby/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Mjölby bibliotek" in page and "Barnomsorg Mjölby" in page
    assert "Kalmar stadsbibliotek" not in page and "Skatteverket" not in page
    assert 'href="/mjolby/schedule/"' in page
    # Its help search stays in the municipality.
    assert 'action="/mjolby/help/"' in page


def test_an_unknown_municipality_is_a_404_page(client, region):
    for path in ("/vimmerby/", "/vimmerby/schedule/", "/vimmerby/schedule.ics", "/vimmerby/help/"):
        assert client.get(path).status_code == 404, path


def test_a_municipality_week_page_lists_only_its_sessions(client, region, django_assert_num_queries):
    week = IsoWeek.containing(next_thursday())
    # Queries: the schedule version; the municipality; the filter's venues,
    # agencies, topics and languages; the week's occurrences with series,
    # agency and venue; their topics.
    with django_assert_num_queries(8):
        page = client.get(f"/kalmar/schedule/{week}/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Skatteverket" in page and "Barnomsorg Mjölby" not in page
    # The filter offers Kalmar's venues only, and its links stay in Kalmar.
    assert "Mjölby bibliotek" not in page
    assert f'href="/kalmar/schedule/{week.next()}/"' in page
    assert 'href="/kalmar/schedule.ics"' in page
    assert f'href="/kalmar/schedule/{week}/print/"' in page


def test_site_wide_schedule_addresses_lead_to_the_municipality(client, region):
    week = IsoWeek.containing(next_thursday())
    # Not chosen yet: to the list.
    assert client.get("/schedule/")["Location"] == "/"
    assert client.get("/help/?q=bankid")["Location"] == "/"
    # A venue or municipal agency in the address names its municipality.
    venue = client.get(f"/schedule/{week}/?venue=mjolby-bibliotek")
    assert venue["Location"] == f"/mjolby/schedule/{week}/?venue=mjolby-bibliotek"
    assert client.get("/schedule/?agency=barnomsorg")["Location"] == "/mjolby/schedule/?agency=barnomsorg"
    # Otherwise the resident's choice.
    client.get("/kalmar/choose/")
    assert client.get(f"/schedule/{week}/print/")["Location"] == f"/kalmar/schedule/{week}/print/"
    assert client.get("/help/?q=bankid")["Location"] == "/kalmar/help/?q=bankid"
    assert client.get("/schedule/?municipality=mjolby")["Location"] == "/mjolby/schedule/"


def test_site_wide_addresses_are_the_pages_with_one_municipality(client):
    town = factories.municipality("Mjölby")
    factories.slot(factories.agency("Barnomsorg Mjölby", municipality=town), factories.venue(town))
    week = IsoWeek.containing(next_thursday())
    for path in ("/schedule/", f"/schedule/{week}/", "/schedule/print/", "/schedule.ics", "/help/"):
        assert client.get(path).status_code == 200, path
    # The municipality's own addresses work as well (a poster's QR code).
    assert "Barnomsorg Mjölby" in client.get(f"/mjolby/schedule/{week}/").content.decode()


def test_the_site_wide_feed_with_several_municipalities_lists_theirs(client, region):
    response = client.get("/schedule.ics", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Prenumerera på din kommuns kalender" in text
    for slug in ("kalmar", "mjolby", "nybro"):
        assert f"http://testserver/{slug}/schedule.ics" in text
    feed = client.get("/kalmar/schedule.ics")
    assert feed.status_code == 200
    assert b"Skatteverket" in feed.content and b"Barnomsorg" not in feed.content


def test_a_site_wide_feed_of_more_than_5000_events_is_refused(client, region, monkeypatch):
    monkeypatch.setattr("sessions.views.SITE_WIDE_FEED_LIMIT", 3)
    assert client.get("/schedule.ics?municipality=kalmar").status_code == 400
    monkeypatch.setattr("sessions.views.SITE_WIDE_FEED_LIMIT", 5000)
    assert client.get("/schedule.ics?municipality=kalmar").status_code == 200


def test_the_reserved_paths_come_from_the_urlconf():
    assert {"admin", "schedule", "book", "staff", "open-data", "healthz", "accounts", "i18n", "static"} <= (
        reserved_path_segments()
    )
    assert "mjolby" not in reserved_path_segments()


def test_a_path_added_later_is_reserved(settings):
    # tests/page_cache_urls.py adds /test/…, which the site's own URLconf has not.
    assert "test" not in reserved_path_segments()
    settings.ROOT_URLCONF = "tests.page_cache_urls"
    clear_url_caches()
    try:
        assert "test" in reserved_path_segments()
        with pytest.raises(ValidationError, match="/test/"):
            Municipality(name="Test", formal_name="Test kommun", slug="test").full_clean()
    finally:
        clear_url_caches()


def test_the_admin_refuses_a_slug_that_is_a_site_path(admin_client):
    response = admin_client.post(
        "/admin/agencies/municipality/add/",
        {"name": "Book", "formal_name": "Book kommun", "slug": "book", "booking_retention_days": "30"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 200
    assert "sidor på /book/" in response.content.decode()
    assert not Municipality.objects.filter(slug="book").exists()


def test_a_system_check_flags_a_municipality_that_clashes():
    Municipality.objects.create(name="Staff", formal_name="Staff kommun", slug="staff")
    Municipality.objects.create(name="Kalmar", formal_name="Kalmar kommun", slug="kalmar")
    errors = checks.run_checks(databases=["default"], tags=[checks.Tags.database])
    clashes = [error for error in errors if error.id == "agencies.E001"]
    assert len(clashes) == 1 and "'staff'" in clashes[0].msg


def test_the_chooser_and_a_municipality_page_have_fixed_queries(client, region, django_assert_num_queries):
    # Region-scale lists: more municipalities, and Mjölby with more venues.
    for n in range(20):
        town = factories.municipality(f"Ort {n}", slug=f"ort-{n}", region=f"Län {n % 4}")
        factories.slot(factories.agency(municipality=town), factories.venue(town))
        factories.slot(factories.agency(municipality=region["mjolby"]), factories.venue(region["mjolby"]))
    caches["pages"].clear()
    # Queries: the schedule version (page cache key); the municipalities.
    with django_assert_num_queries(2):
        assert client.get("/").status_code == 200
    # Queries: the schedule version; the municipality; its venues; the
    # sessions happening now there; the next sessions per venue.
    with django_assert_num_queries(5):
        assert client.get("/mjolby/").status_code == 200
    # A resident who has chosen: the municipalities (is there more than
    # one, and is the chosen one among them), and no page.
    client.cookies[MUNICIPALITY_COOKIE] = "mjolby"
    with django_assert_num_queries(1):
        assert client.get("/").status_code == 302


# --- The whole region, when the resident asks for it --------------------------


@pytest.fixture
def nybro_library(region):
    nybro = Municipality.objects.get(slug="nybro")
    library = factories.venue(nybro, name="Nybro bibliotek", slug="nybro-bibliotek")
    childcare = factories.agency("Barnomsorg Nybro", slug="barnomsorg-nybro", municipality=nybro)
    factories.slot(childcare, library, weekday=2)
    return library


def test_a_week_page_lists_its_region_only_when_the_resident_asks(client, region, nybro_library):
    week = IsoWeek.containing(next_thursday())
    own = client.get(f"/kalmar/schedule/{week}/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Skatteverket" in own and "Barnomsorg Nybro" not in own
    # The choice is on the page, as a filter.
    assert '<option value="region">Hela Kalmar län</option>' in own
    assert '<option value="">Bara Kalmar</option>' in own
    asked = client.get(f"/kalmar/schedule/{week}/?area=region", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Skatteverket" in asked and "Barnomsorg Nybro" in asked and "Nybro bibliotek" in asked
    # Another region's sessions never; the filter offers the region's venues.
    assert "Barnomsorg Mjölby" not in asked and "Mjölby bibliotek" not in asked
    assert '<option value="region" selected>Hela Kalmar län</option>' in asked
    # The weeks keep the choice; the calendar feed stays Kalmar's own.
    assert f'href="/kalmar/schedule/{week.next()}/?area=region"' in asked
    assert 'href="/kalmar/schedule.ics"' in asked


def test_the_region_page_shows_a_change_in_a_neighbour_at_once(client, region, nybro_library):
    week = IsoWeek.containing(next_thursday())
    path = f"/kalmar/schedule/{week}/?area=region"
    assert "Lånekortet" not in client.get(path).content.decode()
    client.get(path)  # cached now
    # A new series of an agency already there: only Nybro's version changes
    # (a new agency would change every page's, sessions/cache_scope.py).
    childcare = nybro_library.slots.get().agency
    factories.slot(childcare, nybro_library, weekday=4, title="Lånekortet")
    assert "Lånekortet" in client.get(path).content.decode()


def test_a_municipality_without_a_region_offers_no_region(client):
    town = factories.municipality("Mjölby", region="")
    factories.slot(factories.agency("Barnomsorg Mjölby", municipality=town), factories.venue(town))
    factories.municipality("Kalmar", region="Kalmar län")
    page = client.get("/mjolby/schedule/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'name="area"' not in page


def test_an_unknown_area_is_a_clear_message(client, region):
    page = client.get("/kalmar/schedule/?area=country", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Vi känner inte igen ett av filtren i adressen" in page
    assert '<ul class="entries">' not in page
