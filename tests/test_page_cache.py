"""The page cache (sessions/page_cache.py): what it must never store, what
its key is made of, and how it answers HEAD and conditional requests."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from sessions import views
from sessions.weeks import IsoWeek
from tests import factories, page_cache_urls

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def mjolby_childcare():
    """Childcare staff at Mjölby library, Thursdays 14-15."""
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    return factories.slot(childcare, library)


@pytest.fixture
def small_page_cache(settings):
    """A page cache that holds 20 pages, so a flood of new entries would
    push the real pages out within the test."""
    caches_setting = dict(settings.CACHES)
    caches_setting["pages"] = {**caches_setting["pages"], "OPTIONS": {"MAX_ENTRIES": 20}}
    settings.CACHES = caches_setting
    caches["pages"].clear()


@pytest.fixture
def renders():
    page_cache_urls.RENDERS.clear()
    return page_cache_urls.RENDERS


def next_week_url(query=""):
    week = IsoWeek.containing(timezone.localdate() + datetime.timedelta(days=7))
    return f"/schedule/{week}/{query}"


def test_the_page_cache_middleware_comes_first_so_it_sees_every_cookie():
    assert settings.MIDDLEWARE[0] == "sessions.page_cache.PageCacheMiddleware"


@pytest.mark.urls("tests.page_cache_urls")
def test_a_page_with_a_csrf_token_is_never_served_to_another_visitor(renders):
    anna, bertil = Client(), Client()
    first = anna.get("/test/form/")
    anna_secret = first.cookies["csrftoken"].value
    assert _unmask_cipher_token(TOKEN.search(first.content.decode())[1]) == anna_secret

    second = bertil.get("/test/form/")
    # Bertil's page was rendered for him: his own cookie, a token for it,
    # and nothing of Anna's.
    assert renders == ["form", "form"]
    assert "csrftoken" in second.cookies
    bertil_secret = second.cookies["csrftoken"].value
    assert bertil_secret != anna_secret
    bertil_token = TOKEN.search(second.content.decode())[1]
    assert _unmask_cipher_token(bertil_token) == bertil_secret
    assert anna_secret not in second.content.decode()


@pytest.mark.urls("tests.page_cache_urls")
def test_a_page_for_a_visitor_who_already_has_a_csrf_cookie_is_not_stored_either(renders):
    cecilia = Client()
    cecilia.get("/test/form/")
    cecilia.get("/test/form/")
    assert renders == ["form", "form"]


@pytest.mark.urls("tests.page_cache_urls")
@pytest.mark.parametrize(
    "path, kind",
    [
        ("/test/message/", "message"),
        ("/test/unread-message/", "unread message"),
        ("/test/session/", "session"),
    ],
)
def test_a_page_that_shows_or_leaves_a_message_or_writes_the_session_is_not_stored(renders, path, kind):
    first = Client().get(path, HTTP_X_VISITOR="Anna")
    second = Client().get(path, HTTP_X_VISITOR="Bertil")
    assert renders == [kind, kind]
    assert first.status_code == second.status_code == 200
    assert "Anna" not in second.content.decode()


def test_random_parameters_neither_make_entries_nor_push_the_real_page_out(
    client, mjolby_childcare, small_page_cache, django_assert_num_queries
):
    url = next_week_url()
    page = client.get(url).content
    for n in range(1000):
        # Queries: the schedule version only; it is the cached page.
        with django_assert_num_queries(1):
            response = client.get(f"{url}?x={n}")
        assert response.content == page
    with django_assert_num_queries(1):
        assert client.get(url).content == page


def test_unknown_filter_values_are_not_stored_and_do_not_push_the_real_page_out(
    client, mjolby_childcare, small_page_cache, django_assert_num_queries
):
    url = next_week_url("?agency=barnomsorg")
    page = client.get(url).content
    for n in range(30):
        assert "känner inte igen" in client.get(next_week_url(f"?agency=nope-{n}")).content.decode()
    with django_assert_num_queries(1):
        assert client.get(url).content == page


def test_the_same_filters_in_another_order_find_the_same_page(
    client, mjolby_childcare, django_assert_num_queries
):
    page = client.get(next_week_url("?municipality=mjolby&agency=barnomsorg")).content
    with django_assert_num_queries(1):
        again = client.get(next_week_url("?agency=barnomsorg&x=1&municipality=mjolby"))
    assert again.content == page


def test_a_stored_page_carries_no_parameter_of_the_visitor_who_made_it(client, mjolby_childcare):
    first = client.get(next_week_url("?agency=barnomsorg&utm_source=planted")).content.decode()
    assert "agency=barnomsorg" in first and "planted" not in first
    assert "planted" not in client.get(next_week_url("?agency=barnomsorg")).content.decode()


def test_head_on_the_week_page_is_answered_from_the_cached_page_without_a_body(
    client, mjolby_childcare, django_assert_num_queries
):
    url = next_week_url()
    # A HEAD before any GET renders the page (and stores it).
    assert client.head(url).status_code == 200
    page = client.get(url)
    with django_assert_num_queries(1):
        head = client.head(url)
    assert head.status_code == 200
    assert head["Content-Type"] == page["Content-Type"]
    assert head["Content-Length"] == str(len(page.content))
    # The test client drops a HEAD's body by itself; the view must as well.
    request = RequestFactory().head(url)
    with translation.override("sv"):
        direct = views.week(request, week=url.split("/")[2])
    assert direct.status_code == 200 and direct.content == b""


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_304_from_the_page_cache_keeps_etag_and_cache_control(
    client, mjolby_childcare, method, django_assert_num_queries
):
    first = client.get("/schedule.ics?agency=barnomsorg")
    assert first.status_code == 200
    # Queries: the schedule version only; the cached feed answers.
    with django_assert_num_queries(1):
        again = getattr(client, method)("/schedule.ics?agency=barnomsorg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"] == "public, max-age=900"


def test_a_304_from_the_feed_itself_keeps_etag_and_cache_control(client, mjolby_childcare):
    first = client.get("/schedule.ics")
    caches["pages"].clear()
    again = client.get("/schedule.ics", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=900"


@pytest.fixture
def two_towns():
    """Skatteverket (national) in Kalmar's and Mjölby's libraries, and
    Kalmar's own citizen service, next Thursday."""
    kalmar, mjolby = factories.municipality("Kalmar"), factories.municipality("Mjölby")
    kalmar_library = factories.venue(kalmar, name="Kalmar stadsbibliotek", slug="kalmar-bibliotek")
    mjolby_library = factories.venue(mjolby, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    skatteverket = factories.agency("Skatteverket", slug="skatteverket", level="national")
    citizen_service = factories.agency("Medborgarservice Kalmar", slug="service", municipality=kalmar)
    return {
        "kalmar": factories.slot(citizen_service, kalmar_library),
        "mjolby": factories.slot(skatteverket, mjolby_library),
        "skatteverket": skatteverket,
    }


def thursday_next_week():
    next_week = IsoWeek.containing(timezone.localdate() + datetime.timedelta(days=7))
    return next_week.monday + datetime.timedelta(days=3)


def town_week_url(town, query=""):
    """Next week's page of ``town`` (/<municipality>/schedule/<week>/)."""
    return next_week_url(query).replace("/schedule/", f"/{town}/schedule/", 1)


@pytest.mark.parametrize("place", ["", "?venue=kalmar-bibliotek"])
def test_a_change_in_kalmar_leaves_mjolbys_cached_pages_and_shows_at_once_on_every_server(
    client, two_towns, place, django_assert_num_queries
):
    from sessions import page_cache
    from sessions.schedule import cancel_occurrences

    kalmar_url, mjolby_url = town_week_url("kalmar", place), town_week_url("mjolby")
    mjolby_venue_url = town_week_url("mjolby", "?venue=mjolby-bibliotek")
    mjolby_pages = [client.get(url).content for url in (mjolby_url, mjolby_venue_url)]
    assert b"Medborgarservice Kalmar" in client.get(kalmar_url).content
    occurrence = two_towns["kalmar"].occurrences.get(date=thursday_next_week())
    cancel_occurrences([occurrence], "Stängt för inventering")
    # Another app server: its own pages, no other state of this process;
    # the versions are read from the shared database cache.
    page_cache._version_read_at = None
    assert "Stängt för inventering" in client.get(kalmar_url).content.decode()
    # Queries: the versions only; Mjölby's pages were not rendered again.
    for url, before in zip((mjolby_url, mjolby_venue_url), mjolby_pages, strict=True):
        with django_assert_num_queries(1):
            assert client.get(url).content == before


def test_a_change_to_a_national_agency_renders_every_municipalitys_page_anew(client, two_towns):
    mjolby_url = town_week_url("mjolby")
    assert "Skatteverket" in client.get(mjolby_url).content.decode()
    two_towns["skatteverket"].name = "Skatteverket Servicekontor"
    two_towns["skatteverket"].save()
    assert "Skatteverket Servicekontor" in client.get(mjolby_url).content.decode()


def test_a_venue_edit_renders_its_municipalitys_pages_anew_but_not_the_others(
    client, two_towns, django_assert_num_queries
):
    kalmar_venue = two_towns["kalmar"].venue
    mjolby_url, kalmar_url = town_week_url("mjolby"), town_week_url("kalmar")
    before = client.get(mjolby_url).content
    client.get(kalmar_url)
    kalmar_venue.room = "Lilla salen"
    kalmar_venue.save()
    assert "Lilla salen" in client.get(kalmar_url).content.decode()
    with django_assert_num_queries(1):
        assert client.get(mjolby_url).content == before


def test_a_nightly_sync_that_changes_nothing_leaves_the_cached_pages(
    client, two_towns, django_assert_num_queries
):
    from sessions.schedule import sync_occurrences

    url = town_week_url("kalmar")
    before = client.get(url).content
    result = sync_occurrences(two_towns["kalmar"])
    assert (result.created, result.moved, result.deleted) == (0, 0, 0)
    with django_assert_num_queries(1):
        assert client.get(url).content == before
