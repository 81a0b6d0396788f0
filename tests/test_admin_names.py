"""The admin speaks plain Swedish: plural names where there are several
("11 serier", "Ta bort markerade serier"), counts that agree with their
number ("1 nytt tillfälle", "57 nya tillfällen"), and the product's name
instead of "Django-administration"."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import StaffedSlot, Weekday
from tests import factories
from tests.test_admin import ADD_URL, SLOT_LIST_URL, make_coordinator, new_series_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena(client):
    town = factories.municipality("Mjölby")
    client.force_login(make_coordinator("lena.koordinator", town))
    return town


def test_the_series_list_counts_and_deletes_serier_in_the_plural(client, lena):
    venue, agency = factories.venue(lena), factories.agency("Barnomsorg", municipality=lena)
    for hour in range(8, 19):
        factories.slot(
            agency, venue, start_time=datetime.time(hour), end_time=datetime.time(hour, 30), last_date=None
        )
    page = client.get(SLOT_LIST_URL, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "11 serier" in page
    assert "Ta bort markerade serier" in page
    assert "bemannad serie" not in page
    assert "Lägg till serie" in page


def test_the_sync_message_agrees_with_each_count(client, lena):
    venue, agency = factories.venue(lena), factories.agency("Barnomsorg", municipality=lena)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    once = new_series_data(agency, venue, recurrence="once", first_date=tomorrow.isoformat(), topics=[])
    messages = [str(m) for m in client.post(ADD_URL, once, follow=True).context["messages"]]
    assert "Schemat är uppdaterat: 1 nytt tillfälle." in messages

    weekly = new_series_data(agency, venue, weekday=Weekday.FRIDAY)
    messages = [str(m) for m in client.post(ADD_URL, weekly, follow=True).context["messages"]]
    count = StaffedSlot.objects.get(weekday=Weekday.FRIDAY).occurrences.count()
    assert f"Schemat är uppdaterat: {count} nya tillfällen." in messages


@pytest.mark.parametrize(
    ("language", "name"),
    [("sv", "E-serviceverkstad – administration"), ("en", "E-serviceverkstad – administration")],
)
def test_the_admin_is_named_after_the_product(client, lena, language, name):
    for url in (reverse("admin:index"), SLOT_LIST_URL):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert name in page
        assert "Django" not in page
    client.logout()
    login = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert name in login and "Django" not in login


def test_english_admin_names_series_in_english(client, lena):
    page = client.get(SLOT_LIST_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Add staffed series" in page
