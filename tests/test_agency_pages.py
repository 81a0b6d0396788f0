"""The agency pages, the venue page, the "try" page and the privacy page, in
Swedish and English, with their query counts pinned."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import AgencyKind, AgencyLevel, EService, TryItem, TryItemKind
from sessions.models import Format, OccurrenceStatus, Recurrence
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    return factories.municipality("Mjölby", contact_email="verkstad@mjolby.example")


@pytest.fixture
def library(town):
    return factories.venue(
        town,
        name="Mjölby bibliotek",
        slug="mjolby-bibliotek",
        room="Digitala verkstaden",
        address="Burensköldsvägen 11",
        opening_hours="Måndag–torsdag 10–19",
        opening_hours_en="Monday–Thursday 10–19",
        accessibility="Hörslinga i verkstaden",
        accessibility_en="Hearing loop in the workshop",
        directions="Fem minuter från resecentrum",
        directions_en="Five minutes from the travel centre",
    )


@pytest.fixture
def childcare(town, library):
    agency = factories.agency(
        "Barnomsorg Mjölby",
        name_en="Childcare Mjölby",
        slug="barnomsorg",
        municipality=town,
        description="Vi hjälper dig med förskoleplats.",
        description_en="We help you with preschool places.",
        contact="Telefon 0142-00 00 00",
        website="https://barnomsorg.example",
    )
    preschool = factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")
    eservice = EService.objects.create(
        agency=agency,
        name="Tacka ja till förskoleplats",
        name_en="Accept a preschool place",
        slug="tacka-ja",
        url="https://e-tjanst.example/tacka-ja",
        what_to_bring="BankID och brevet",
        what_to_bring_en="BankID and the letter",
    )
    eservice.topics.set([preschool])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    factories.slot(agency, library, weekday=tomorrow.weekday(), first_date=tomorrow, topics=[preschool])
    return agency


@pytest.fixture
def tax_agency(library):
    agency = factories.agency(
        "Skatteverket",
        name_en="Swedish Tax Agency",
        slug="skatteverket",
        kind=AgencyKind.TAX_AGENCY,
        level=AgencyLevel.NATIONAL,
    )
    factories.slot(agency, library, weekday=1)
    return agency


def test_agency_list_groups_municipal_and_national_agencies(
    client, childcare, tax_agency, django_assert_num_queries
):
    # Queries: agencies with their municipality; their e-services; the next
    # time of each.
    # Plus one: the schedule version, the page cache's key.
    with django_assert_num_queries(4):
        page = client.get("/agencies/").content.decode()
    municipal, national = page.split('id="national"')
    assert "Barnomsorg Mjölby" in municipal
    assert "Tacka ja till förskoleplats" in municipal
    assert "Skatteverket" in national
    assert 'href="/agencies/barnomsorg/"' in page


def test_agency_list_queries_do_not_grow_with_the_agencies(client, library, django_assert_num_queries):
    for n in range(12):
        agency = factories.agency(f"Myndighet {n}")
        EService.objects.create(agency=agency, name=f"Tjänst {n}", slug=f"tjanst-{n}")
        factories.slot(agency, library, weekday=n % 5)
    # Plus one: the schedule version, the page cache's key.
    with django_assert_num_queries(4):
        client.get("/agencies/")


def test_agency_page_shows_eservices_what_to_bring_next_times_and_contact(
    client, childcare, library, django_assert_num_queries
):
    # Queries: the agency with its municipality; its e-services; their
    # topics; the topics its series cover; its next times in each venue.
    # Plus one: the schedule version, the page cache's key.
    with django_assert_num_queries(6):
        response = client.get("/agencies/barnomsorg/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Barnomsorg Mjölby</h1>" in page
    assert "Vi hjälper dig med förskoleplats." in page
    assert "Tacka ja till förskoleplats" in page
    assert "BankID och brevet" in page
    assert 'href="https://e-tjanst.example/tacka-ja"' in page
    assert 'href="/venues/mjolby-bibliotek/"' in page
    assert "14.00–15.00" in page
    assert "Telefon 0142-00 00 00" in page
    assert 'href="https://barnomsorg.example"' in page
    assert 'href="/schedule/?topic=forskoleplats"' in page


def test_agency_page_in_english(client, childcare):
    client.cookies["django_language"] = "en"
    page = client.get("/agencies/barnomsorg/").content.decode()
    assert "<h1>Childcare Mjölby</h1>" in page
    assert "We help you with preschool places." in page
    assert "Accept a preschool place" in page
    assert "BankID and the letter" in page
    assert "Preschool place" in page


def test_agency_page_says_so_when_nothing_is_planned(client, tax_agency):
    tax_agency.slots.all().delete()
    page = client.get("/agencies/skatteverket/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No times are planned in the coming months." in page
    assert "Ask the staff in the workshop." in page


def test_cancelled_times_are_not_offered_as_next_times(client, childcare):
    first = childcare.slots.get().occurrences.order_by("starts_at").first()
    first.status, first.cancellation_reason, first.is_exception = OccurrenceStatus.CANCELLED, "Sjuk", True
    first.save()
    second = childcare.slots.get().occurrences.order_by("starts_at")[1]
    page = client.get("/agencies/barnomsorg/").content.decode()
    assert f'datetime="{timezone.localtime(first.starts_at).isoformat()}"' not in page
    assert f'datetime="{timezone.localtime(second.starts_at).isoformat()}"' in page


@pytest.mark.parametrize(
    "path",
    ["/agencies/no-such-agency/", "/venues/no-such-venue/", "/agencies/%00/", "/venues/a b/", "/venues/x/y/"],
)
def test_unknown_slugs_are_a_404_page(client, childcare, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Vi hittar inte sidan" in response.content.decode()


def test_venue_page_shows_the_facts_and_the_coming_week(
    client, childcare, library, django_assert_num_queries
):
    TryItem.objects.create(venue=library, name="Läsplatta", name_en="E-reader", kind=TryItemKind.E_READER)
    # Queries: the venue with its municipality; the coming week's sessions
    # there with series and agency; their topics; each agency's next
    # session there; the things to try there.
    # Plus one: the schedule version, the page cache's key.
    with django_assert_num_queries(6):
        response = client.get("/venues/mjolby-bibliotek/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Burensköldsvägen 11",
        "Digitala verkstaden",
        "Måndag–torsdag 10–19",
        "Hörslinga i verkstaden",
        "Fem minuter från resecentrum",
        "Barnomsorg Mjölby",
        "Läsplatta",
    ):
        assert text in page, text
    assert page.count('class="entry ') == 1  # tomorrow's session; the series is weekly
    assert 'href="/schedule/?venue=mjolby-bibliotek"' in page


def test_venue_page_in_english(client, childcare, library):
    client.cookies["django_language"] = "en"
    page = client.get("/venues/mjolby-bibliotek/").content.decode()
    assert "Monday–Thursday 10–19" in page
    assert "Hearing loop in the workshop" in page
    assert "Five minutes from the travel centre" in page
    assert "Childcare Mjölby" in page


def test_try_page_lists_what_to_try_and_the_next_try_times(client, library, django_assert_num_queries):
    TryItem.objects.create(
        venue=library,
        name="Trygghetslarm",
        name_en="Safety alarm",
        kind=TryItemKind.SAFETY_ALARM,
        description="Prova ett larm",
        staff_must_be_present=True,
    )
    TryItem.objects.create(venue=library, name="Läsplatta", kind=TryItemKind.E_READER)
    factories.slot(
        factories.agency("Biblioteket", slug="biblioteket", kind=AgencyKind.LIBRARY),
        library,
        format=Format.TRY,
        weekday=(timezone.localdate() + datetime.timedelta(days=2)).weekday(),
        first_date=timezone.localdate() + datetime.timedelta(days=2),
    )
    # Queries: the things to try with their venue and municipality; the
    # next "try new technology" times in each venue.
    # Plus one: the schedule version, the page cache's key.
    with django_assert_num_queries(3):
        page = client.get("/try/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Safety alarm" in page
    assert "Läsplatta" in page  # no English name: the Swedish one
    assert "E-reader" in page  # the kind
    assert "Staff show you how it works" in page
    assert "Ask the staff, and try it whenever the library is open." in page
    assert page.count("<li><time") == 3
    assert 'href="/schedule/?venue=mjolby-bibliotek&amp;format=try"' in page


def test_try_page_without_anything_says_so(client):
    page = client.get("/try/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing to try has been added yet." in page


def test_privacy_page_says_what_is_kept_why_for_how_long_and_who_to_ask(
    client, town, django_assert_num_queries
):
    client.cookies["django_language"] = "en"
    # Queries: the municipalities (who to ask).
    with django_assert_num_queries(1):
        page = client.get("/privacy/").content.decode()
    assert "365 days after it was sent" in page
    assert "60 minutes" in page
    assert "never write down your name, personal identity number" in page
    assert 'href="mailto:verkstad@mjolby.example"' in page
    assert "Swedish Authority for Privacy Protection" in page


def test_every_page_links_to_the_new_pages(client):
    page = client.get("/schedule/").content.decode()
    for path in ("/help/", "/agencies/", "/try/", "/accessibility/", "/privacy/"):
        assert f'href="{path}"' in page, path


def test_home_page_has_the_help_search_box(client):
    page = client.get("/").content.decode()
    assert 'role="search"' in page
    assert 'action="/help/"' in page
    assert '<label class="form-label help-search-label" for="help-q">' in page


def test_week_page_links_to_the_poster_of_the_same_week(client, library):
    page = client.get("/schedule/2026-W50/?venue=mjolby-bibliotek").content.decode()
    assert 'href="/schedule/2026-W50/print/?venue=mjolby-bibliotek"' in page


def test_agency_and_venue_urls_are_their_pages(childcare, library):
    # Served by the schedule app; the URLs are wired in the settings, so
    # agencies' models need not know them.
    assert childcare.get_absolute_url() == reverse("schedule:agency", args=["barnomsorg"])
    assert childcare.get_absolute_url() == "/agencies/barnomsorg/"
    assert library.get_absolute_url() == "/venues/mjolby-bibliotek/"


def _rare_series(agency, venue, days_away):
    """A series that is first here ``days_away`` days from now, and then only
    every three months: the Nth weekday of the month of that day."""
    day = timezone.localdate() + datetime.timedelta(days=days_away)
    nth = (day.day - 1) // 7 + 1
    return factories.slot(
        agency,
        venue,
        recurrence=Recurrence.MONTHLY,
        interval=3,
        week_of_month=nth if nth < 5 else -1,
        weekday=day.weekday(),
        first_date=day,
    )


@pytest.mark.parametrize("days_away", [36, 100])
def test_a_rare_series_far_ahead_is_still_next_on_the_agency_and_venue_pages(
    client, childcare, library, days_away, django_assert_num_queries
):
    tax_office = factories.agency("Skatteverket", slug="skatteverket", level=AgencyLevel.NATIONAL)
    EService.objects.create(agency=tax_office, name="Inkomstdeklaration", slug="deklaration")
    occurrence = _rare_series(tax_office, library, days_away).occurrences.order_by("starts_at").first()
    assert occurrence.local_start.date() == timezone.localdate() + datetime.timedelta(days=days_away)
    when = f'datetime="{timezone.localtime(occurrence.starts_at).isoformat()}"'
    # Queries: as on every agency page (see above), plus the schedule version.
    with django_assert_num_queries(6):
        agency_page = client.get("/agencies/skatteverket/").content.decode()
    assert when in agency_page
    assert "No times are planned in the coming months." not in agency_page
    # Queries: as on every venue page (see above), plus the schedule version.
    with django_assert_num_queries(6):
        venue_page = client.get("/venues/mjolby-bibliotek/").content.decode()
    further_ahead = venue_page.split("Längre fram")[1]
    assert when in further_ahead
    assert "Barnomsorg Mjölby" not in further_ahead  # here tomorrow, in the coming week
    assert when in client.get("/agencies/").content.decode()
