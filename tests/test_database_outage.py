"""While the database cannot be reached (a restart), residents keep the
public pages they were reading: the last good copy from the page cache,
marked so that no one keeps it, for a bounded time. Staff pages and forms
say "try again in a minute" with a 503, in the visitor's language; only a
real bug is a 500. (tests/test_database_restart.py does this with a real
PostgreSQL restart under a running server.)

The cast: a resident reading the week page, Sofia (Mjölby childcare staff)
on her staff pages."""

import time

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, ProgrammingError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from agencies.models import Membership, Role
from sessions import page_cache
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident():
    # A 503 or 500 is an answer to look at here, not an exception to raise.
    return Client(raise_request_exception=False)


@pytest.fixture
def sofia(resident):
    town = factories.municipality("Mjölby")
    factories.venue(town, name="Mjölby bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    user = User.objects.create_user("sofia", password="x")
    Membership.objects.create(user=user, role=Role.STAFF, agency=childcare)
    staff = Client(raise_request_exception=False)
    staff.force_login(user)
    return staff


CONNECTION_LOST = OperationalError("server closed the connection unexpectedly")


def break_the_database(monkeypatch, error=CONNECTION_LOST):
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)


def test_a_cached_public_page_is_served_from_its_last_good_copy_marked_stale(resident, monkeypatch):
    fresh = resident.get("/schedule/")
    assert fresh.status_code == 200
    break_the_database(monkeypatch)
    stale = resident.get("/schedule/")
    assert stale.status_code == 200
    assert stale.content == fresh.content
    assert stale["Cache-Control"] == "max-age=0, must-revalidate"
    assert int(stale["Age"]) >= 0


def test_the_home_page_survives_its_clock_bucket_changing_during_the_outage(resident, monkeypatch):
    # The home page's key changes every minute; its last good copy does not.
    fresh = resident.get("/")
    break_the_database(monkeypatch)
    monkeypatch.setattr(page_cache, "_key", lambda *args: page_cache.schedule_version())
    stale = resident.get("/")
    assert (stale.status_code, stale.content) == (200, fresh.content)


def test_the_last_good_copy_stands_in_only_for_a_bounded_time(resident, monkeypatch):
    resident.get("/schedule/")
    break_the_database(monkeypatch)
    long_ago = time.monotonic() - page_cache.LAST_GOOD_SECONDS - 1
    monkeypatch.setattr(page_cache, "_version_read_at", long_ago)
    response = resident.get("/schedule/")
    assert response.status_code == 503


def test_a_public_page_that_was_never_cached_asks_to_try_again(resident, monkeypatch):
    resident.get("/schedule/")  # the database was reached lately
    break_the_database(monkeypatch)
    response = resident.get("/help/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"


@pytest.mark.parametrize(
    ("language", "text"),
    [("sv", "Försök igen om en minut"), ("en", "Try again in a minute")],
)
def test_staff_pages_ask_to_try_again_in_the_visitors_language(sofia, monkeypatch, language, text):
    sofia.cookies["django_language"] = language
    break_the_database(monkeypatch)
    response = sofia.get("/staff/")
    assert response.status_code == 503
    page = response.content.decode()
    assert f"<h1>{text}</h1>" in page
    assert f'<html lang="{language}">' in page
    assert response["Cache-Control"] == "no-store"


def test_a_form_sent_during_the_outage_is_told_it_was_not_saved(sofia, monkeypatch):
    sofia.cookies["django_language"] = "en"
    break_the_database(monkeypatch)
    response = sofia.post("/staff/visits/new/", {"duration": "15"})
    assert response.status_code == 503
    assert "If you were sending a form, it was not saved." in response.content.decode()


def test_a_real_database_bug_is_still_a_500(sofia, monkeypatch):
    break_the_database(monkeypatch, ProgrammingError('relation "visitors_visit" does not exist'))
    assert sofia.get("/staff/").status_code == 500
