"""The staff pages offline: the JSON endpoint the tablet's queue sends
visits to, tally taps sent later with their times and keys, the fresh CSRF
token, the idle logout, the service worker and the manifest.

The cast: Sofia works for Mjölby childcare and logs visits on the shared
tablet; Maja, her colleague, uses the same tablet later; Olle has an
account but no role and must be refused."""

import datetime
import time
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from agencies.models import Membership, Role
from eserviceverkstad.idle_logout import LAST_SEEN
from sessions.models import OccurrenceStatus
from tests import factories
from visitors.models import OCCURRENCE_MARGIN, TallyCount, TallyTap, Visit, VisitChange
from visitors.offline_views import APP_SHELL
from visitors.services import save_tally

pytestmark = pytest.mark.django_db

SYNC = "/staff/visits/sync/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def world():
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    preschool = factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")
    today = timezone.localdate()
    slot = factories.slot(
        childcare, library, weekday=today.weekday(), first_date=today,
        start_time=datetime.time(0), end_time=datetime.time(23, 59), topics=[preschool],
    )  # fmt: skip
    users = {}
    for name, role in [("sofia", Role.STAFF), ("maja", Role.STAFF), ("olle", None)]:
        users[name] = User.objects.create_user(name, password="x")
        if role:
            Membership.objects.create(user=users[name], role=role, agency=childcare)
    return {"occurrence": slot.occurrences.get(date=today), "preschool": preschool, **users}


def visit_data(world, **overrides):
    start = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    data = {
        "submission_key": str(uuid.uuid4()),
        "occurrence": world["occurrence"].pk,
        "duration": "15",
        "topics": [world["preschool"].pk],
        "outcome": "solved",
        "mode": "drop_in",
        "people": "1",
        "started_at": start.strftime("%Y-%m-%dT%H:%M"),
        "language": "sv",
        "first_visit": "unknown",
    }
    return {**data, **overrides}


def sync(client, data, **headers):
    return client.post(SYNC, data, **JSON, **headers)


# The visit endpoint


def test_a_visit_is_created_once_and_a_resend_is_already_saved(client, world):
    client.force_login(world["sofia"])
    data = visit_data(world)
    first = sync(client, data)
    assert (first.status_code, first.json()) == (201, {"status": "created"})
    for _retry in range(3):
        again = sync(client, data)
        assert (again.status_code, again.json()) == (200, {"status": "already_saved"})
    visit = Visit.objects.get()
    assert (visit.logged_by, list(visit.topics.all())) == (world["sofia"], [world["preschool"]])
    assert VisitChange.objects.count() == 1


def test_a_refused_visit_answers_400_with_the_forms_errors_and_saves_nothing(client, world):
    client.force_login(world["sofia"])
    response = sync(
        client, visit_data(world, duration="", note="Ring 070-123 45 67"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"duration", "note"}
    assert fields["duration"]["label"] == "How long"
    assert not Visit.objects.exists() and not VisitChange.objects.exists()


def test_a_visit_at_a_time_cancelled_meanwhile_is_refused_with_the_reason(client, world):
    occurrence = world["occurrence"]
    occurrence.status, occurrence.cancellation_reason = OccurrenceStatus.CANCELLED, "Sjuk"
    occurrence.save()
    client.force_login(world["sofia"])
    response = sync(client, visit_data(world), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["occurrence"]
    assert "cancelled" in response.json()["errors"][0]["message"]
    assert not Visit.objects.exists()


def test_logged_out_is_a_json_401_never_a_redirect_to_the_login_page(client, world):
    for headers in ({}, JSON):
        response = client.post(SYNC, visit_data(world), **headers)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "login_required"
    assert not Visit.objects.exists()


def test_an_account_without_a_role_gets_a_json_403(client, world):
    client.force_login(world["olle"])
    response = sync(client, visit_data(world))
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert not Visit.objects.exists()


def test_a_visit_queued_by_another_user_is_never_saved_under_this_login(client, world):
    """Sofia's queue on the shared tablet; Maja has logged in since."""
    client.force_login(world["maja"])
    response = sync(client, visit_data(world, queued_by=str(world["sofia"].pk)))
    assert (response.status_code, response.json()["error"]) == (403, "other_user")
    assert not Visit.objects.exists()
    assert sync(client, visit_data(world, queued_by=str(world["maja"].pk))).status_code == 201


def test_the_forms_own_save_says_where_to_go_next_with_the_message(client, world):
    client.force_login(world["sofia"])
    response = sync(client, visit_data(world, interactive="1", another="1"))
    assert response.json()["next"] == f"/staff/visits/new/?occurrence={world['occurrence'].pk}"
    page = client.get(response.json()["next"]).content.decode()
    assert "Besöket är sparat." in page or "The visit is saved." in page
    # The queue's sends add no message: a dozen would pile up on the next page.
    sync(client, visit_data(world))
    assert "Besöket är sparat." not in client.get("/staff/").content.decode()


def test_a_stale_csrf_token_is_a_json_error_of_its_own(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["sofia"])
    stale = client.post(SYNC, visit_data(world), HTTP_X_CSRFTOKEN="x" * 32, **JSON)
    assert stale.status_code == 403
    assert stale["Content-Type"] == "application/json"
    assert stale.json()["error"] == "csrf_failed"
    # A page's form without a script still gets the site's own page.
    page = client.post("/staff/visits/new/", visit_data(world))
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")
    # A fresh token, fetched as the queue does, goes through.
    fresh = client.get("/staff/csrf/", **JSON).json()
    assert fresh["user"] == world["sofia"].pk
    sent = client.post(SYNC, visit_data(world), HTTP_X_CSRFTOKEN=fresh["token"], **JSON)
    assert sent.status_code == 201


def test_the_token_endpoint_is_never_cached_and_refuses_without_login_as_json(client, world):
    response = client.get("/staff/csrf/", **JSON)
    assert response.status_code == 401
    client.force_login(world["sofia"])
    response = client.get("/staff/csrf/", **JSON)
    assert "no-store" in response["Cache-Control"]


# Tally taps sent later


def tap(client, occurrence, **data):
    return client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": "other", **data}, **JSON)


def test_a_resent_tap_counts_once(client, world):
    occurrence = world["occurrence"]
    client.force_login(world["sofia"])
    key = str(uuid.uuid4())
    tapped_at = (timezone.now() - datetime.timedelta(minutes=7)).isoformat()
    for _resend in range(3):
        response = tap(client, occurrence, tap_key=key, tapped_at=tapped_at)
        assert (response.status_code, response.json()) == (200, {"count": 1, "total": 1})
    assert TallyTap.objects.get().tapped_at.isoformat() == tapped_at
    tap(client, occurrence, tap_key=str(uuid.uuid4()))
    assert TallyCount.objects.get().count == 2


def test_a_resent_minus_one_takes_back_one_tap_only(client, world):
    occurrence = world["occurrence"]
    client.force_login(world["sofia"])
    for _tap in range(3):
        tap(client, occurrence, tap_key=str(uuid.uuid4()))
    minus = str(uuid.uuid4())
    for _resend in range(2):
        assert tap(client, occurrence, step="-1", tap_key=minus).json()["count"] == 2
    saved = save_tally(occurrence, world["sofia"], duration=10, outcome="solved", mode="drop_in")
    assert saved == 2  # the tap taken back is not a visit


@pytest.mark.parametrize(
    "tapped_at",
    [
        "tomorrow",
        "2026-13-01T10:00:00+01:00",
        "2026-12-01T10:00:00",  # no zone: whose ten o'clock?
        "future",
        "before the session",
    ],
)
def test_a_tap_time_outside_sane_bounds_is_refused_and_counts_nothing(client, world, tapped_at):
    occurrence = world["occurrence"]
    times = {
        "future": timezone.now() + datetime.timedelta(minutes=30),
        "before the session": occurrence.starts_at - OCCURRENCE_MARGIN - datetime.timedelta(minutes=1),
    }
    client.force_login(world["sofia"])
    value = times[tapped_at].isoformat() if tapped_at in times else tapped_at
    response = tap(client, occurrence, tap_key=str(uuid.uuid4()), tapped_at=value)
    assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert not TallyTap.objects.exists()


def test_a_tap_a_little_ahead_of_the_server_clock_is_taken_as_now(client, world):
    client.force_login(world["sofia"])
    ahead = timezone.now() + datetime.timedelta(minutes=2)
    assert tap(client, world["occurrence"], tapped_at=ahead.isoformat()).status_code == 200
    assert TallyTap.objects.get().tapped_at <= timezone.now()


def test_a_tap_with_a_key_that_is_no_uuid_is_refused(client, world):
    client.force_login(world["sofia"])
    assert tap(client, world["occurrence"], tap_key="1; DROP TABLE").status_code == 400
    assert not TallyCount.objects.filter(count__gt=0).exists()


def test_a_tap_from_a_script_without_login_is_a_json_401(client, world):
    response = tap(client, world["occurrence"])
    assert (response.status_code, response.json()["error"]) == (401, "login_required")
    # The page's form without a script still goes to the login page.
    assert client.post(f"/staff/tally/{world['occurrence'].pk}/tap/", {"topic": "other"}).status_code == 302


# The idle logout on a shared tablet


def seen_minutes_ago(client, minutes):
    session = client.session
    session[LAST_SEEN] = int(time.time()) - minutes * 60
    session.save()


@override_settings(STAFF_IDLE_MINUTES=30)
def test_a_login_ends_after_the_idle_time(client, world):
    client.force_login(world["sofia"])
    assert client.get("/staff/").status_code == 200
    seen_minutes_ago(client, 29)
    assert client.get("/staff/").status_code == 200
    seen_minutes_ago(client, 31)
    response = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # Logged out for good, and the queue gets its 401.
    assert sync(client, visit_data(world)).status_code == 401
    assert (
        "minutes without activity"
        in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@override_settings(STAFF_IDLE_MINUTES=30)
def test_the_idle_clock_is_written_at_most_once_a_minute_and_not_by_the_queue(client, world):
    client.force_login(world["sofia"])
    logged_in_at = client.session[LAST_SEEN]
    client.get("/staff/")
    assert client.session[LAST_SEEN] == logged_in_at  # within the minute: no session write
    seen_minutes_ago(client, 5)
    before = client.session[LAST_SEEN]
    # The queue sending by itself is not the user at the tablet.
    client.get("/staff/csrf/", HTTP_X_BACKGROUND_SYNC="1", **JSON)
    assert client.session[LAST_SEEN] == before
    client.get("/staff/")
    assert client.session[LAST_SEEN] > before


@override_settings(STAFF_IDLE_MINUTES=0)
def test_an_idle_time_of_zero_keeps_the_login(client, world):
    client.force_login(world["sofia"])
    seen_minutes_ago(client, 600)
    assert client.get("/staff/").status_code == 200


# The web app: worker, manifest, whose page it is


def test_the_service_worker_is_served_under_staff_fresh_with_its_version(client):
    response = client.get("/staff/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/staff/"
    body = response.content.decode()
    assert body.startswith("self.OFFLINE_CONFIG = {")
    assert '"version": "' in body and "/static/css/site.css" in body and "/agency-colours.css" in body
    assert "worker-src 'self'" in response["Content-Security-Policy"]


def test_the_manifest_is_ours_with_icons_that_exist(client):
    from django.contrib.staticfiles import finders

    response = client.get("/staff/manifest.webmanifest?lang=en")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["start_url"], manifest["scope"], manifest["lang"]) == ("/staff/", "/staff/", "en")
    assert manifest["name"] == "E-service workshop for staff"
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")
        assert finders.find(icon["src"].removeprefix("/static/"))
    assert client.get("/staff/manifest.webmanifest?lang=xx").json()["lang"] == "sv"
    for name in APP_SHELL:
        assert finders.find(name), name


def test_staff_pages_name_their_user_for_the_worker_and_public_pages_do_not(client, world):
    client.force_login(world["sofia"])
    page = client.get("/staff/")
    assert page["X-Staff-User"] == str(world["sofia"].pk)
    assert 'rel="manifest"' in page.content.decode()
    assert f'data-user="{world["sofia"].pk}"' in page.content.decode()
    public = client.get("/schedule/")
    assert "X-Staff-User" not in public and 'rel="manifest"' not in public.content.decode()
