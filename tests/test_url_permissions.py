"""Every URL pattern of the project has a permission rule, and the rule holds:
anonymous users go to login, users without the role get 403 or 404, and a
GET on a state-changing URL gets 405. A new URL without a rule here fails."""

import datetime
import time

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from agencies.models import Membership, Role
from eserviceverkstad.views import task_cluster_seen
from sessions.models import Format
from tests import factories
from visitors.models import ExportJob, Visit

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone may GET
PUBLIC_POST = "public post"  # anyone may POST; GET is 405
ANY_POST = "post only"  # log out: POST only, for anyone
STAFF = "staff"  # login, then staff or coordinator
STAFF_POST = "staff post"  # as STAFF, and POST only
OWN_OBJECT = "own object"  # as STAFF, and only one's own (else 404)
COORDINATOR = "coordinator"  # login, then coordinator
STAFF_API = "staff api"  # POST only, JSON: 401 (never a redirect) without login, 403 without a role
# Anyone; with several municipalities (the cast has two) a site-wide
# schedule address leads to the resident's municipality, or to / to choose
# one, and the site-wide feed answers 400 listing the municipalities' feeds.
SITE_WIDE = "site-wide schedule"
PUBLIC_REDIRECT = "public redirect"  # anyone; GET remembers a choice and redirects

RULES = {
    "schedule:home": PUBLIC,
    "schedule:week": SITE_WIDE,
    "schedule:calendar_feed": SITE_WIDE,
    "schedule:agency_colours": PUBLIC,
    "schedule:poster": SITE_WIDE,
    "schedule:screen": PUBLIC,
    "schedule:help": SITE_WIDE,
    # A municipality's own pages (sessions/municipality_urls.py).
    "municipality:home": PUBLIC,
    "municipality:choose": PUBLIC_REDIRECT,
    "municipality:week": PUBLIC,
    "municipality:poster": PUBLIC,
    "municipality:calendar_feed": PUBLIC,
    "municipality:help": PUBLIC,
    "schedule:agency_list": PUBLIC,
    "schedule:agency": PUBLIC,
    "schedule:venue": PUBLIC,
    "schedule:try": PUBLIC,
    "agencies:accessibility": PUBLIC,  # and anyone may POST a report
    "agencies:privacy": PUBLIC,
    "healthz": PUBLIC,
    "healthz_tasks": PUBLIC,  # 200 while a task cluster reports (the cast has one)
    "robots": PUBLIC,
    "set_language": PUBLIC_POST,
    "login": PUBLIC,
    "logout": ANY_POST,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    # Every role lands somewhere; without a role, a 403 page that says so.
    "visitors:start": STAFF,
    "visitors:my_day": STAFF,
    "visitors:visit_list": STAFF,
    "visitors:visit_new": STAFF,
    "visitors:visit_edit": OWN_OBJECT,
    "visitors:visit_delete": STAFF_POST,
    "visitors:change_log": COORDINATOR,
    "visitors:tally": OWN_OBJECT,
    "visitors:tally_tap": STAFF_POST,
    "visitors:tally_save": STAFF_POST,
    # Staff their agencies, coordinators their municipality, project leads
    # all (scope tested in test_statistics_page.py); no role: 403.
    "visitors:stats": STAFF,
    "visitors:stats_export_csv": STAFF,
    "visitors:stats_export_xlsx": STAFF,
    # A workbook built by a task: only the user who asked (test_statistics_exports.py).
    "visitors:stats_export_job": OWN_OBJECT,
    "visitors:stats_export_download": OWN_OBJECT,
    "visitors:open_data": PUBLIC,
    "visitors:open_data_month": PUBLIC,
    # Residents book without an account; the links are signed.
    "visitors:book": PUBLIC,
    "visitors:booking_done": PUBLIC,
    "visitors:booking_cancel": PUBLIC,
    "visitors:waiting_list_join": PUBLIC,
    "visitors:waiting_list_offer": PUBLIC,
    "visitors:waiting_list_leave": PUBLIC,
    # Staff see the bookings of their agencies where they may log,
    # coordinators their municipality's (scope: test_booking_staff.py).
    "visitors:staff_book": OWN_OBJECT,
    "visitors:booking_slip": OWN_OBJECT,
    "visitors:booking_mark": STAFF_POST,
    "visitors:waiting_list_take_for": STAFF_POST,
    "visitors:booking_erase": OWN_OBJECT,
    "visitors:outbox": STAFF,
    # The offline web app (visitors/offline_views.py): the queue's endpoint,
    # its fresh CSRF token, and the worker and manifest, which browsers
    # fetch without a login (and the manifest without cookies).
    "visitors:visit_sync": STAFF_API,
    "visitors:csrf_token": STAFF,
    "visitors:service_worker": PUBLIC,
    "visitors:manifest": PUBLIC,
}

# The Django admin has its own login and permission checks (tested in
# test_admin.py); its URLs are not listed one by one.
SKIPPED_NAMESPACES = {"admin"}


def named_patterns(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else str(entry.pattern)


def test_every_url_pattern_has_a_permission_rule():
    missing = sorted(set(named_patterns()) - set(RULES))
    assert missing == [], f"Add a permission rule to RULES for: {missing}"


@pytest.fixture
def cast(settings, tmp_path):
    town = factories.municipality("Mjölby")
    library = factories.venue(town)
    childcare = factories.agency("Barnomsorg", municipality=town)
    other = factories.agency("Kalmar bibliotek", municipality=factories.municipality("Kalmar"))
    users = {}
    for name, role, scope in [
        ("sofia", Role.STAFF, {"agency": childcare}),
        ("erik", Role.STAFF, {"agency": other}),
        ("lena", Role.COORDINATOR, {"municipality": town}),
        ("olle", None, {}),
    ]:
        users[name] = User.objects.create_user(name, password="x")
        if role:
            Membership.objects.create(user=users[name], role=role, **scope)
    visit = Visit.objects.create(
        agency=childcare,
        venue=library,
        logged_by=users["sofia"],
        started_at=timezone.now() - datetime.timedelta(hours=1),
        duration_minutes=10,
        submission_key="6f1c1f3e-1111-4b4b-9c9c-000000000001",
    )
    today = timezone.localdate()
    # All day, so tally mode (open once a session has begun) lets staff in.
    slot = factories.slot(
        childcare, library, weekday=today.weekday(), first_date=today,
        start_time=datetime.time(0), end_time=datetime.time(23, 59),
    )  # fmt: skip
    visit.occurrence_today = slot.occurrences.get(date=today)
    visit.places = {"agency": childcare.slug, "venue": library.slug}
    visit.lecture, visit.booking = _booked_lecture(childcare, library)
    task_cluster_seen(["a cluster reporting now"], time.time())
    settings.STATS_EXPORT_ROOT = str(tmp_path)
    (tmp_path / "sofia.xlsx").write_bytes(b"PK")
    visit.export_job = ExportJob.objects.create(
        user=users["sofia"], query="period=2026-11", language="sv", status="ready", file_name="sofia.xlsx"
    )
    return users, visit


def _booked_lecture(agency, venue):
    from visitors import booking as service

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    lecture = factories.slot(
        agency, venue, format=Format.LECTURE, capacity=10, weekday=tomorrow.weekday(), first_date=tomorrow,
        recurrence="once", start_time=datetime.time(18), end_time=datetime.time(19),
    )  # fmt: skip
    occurrence = lecture.occurrences.get()
    request = service.BookingRequest(starts_at=occurrence.starts_at, name="Amina", email="amina@example.se")
    return occurrence, service.book(occurrence.pk, request)


def booking_tokens(booking):
    from visitors import booking as service

    return service.view_token(booking), service.cancel_token(booking)


def offer_token(occurrence):
    from visitors import booking as service
    from visitors.models import WaitingListEntry

    entry = WaitingListEntry.objects.create(
        occurrence=occurrence, starts_at=occurrence.starts_at, name="Bertil", email="bertil@example.se"
    )
    return service.offer_token(entry)


def phone_only_offer(occurrence):
    from visitors.models import WaitingListEntry, WaitingStatus

    now = timezone.now()
    return WaitingListEntry.objects.create(
        occurrence=occurrence, starts_at=occurrence.starts_at, name="Cecilia", phone="0701234567",
        status=WaitingStatus.OFFERED, offered_at=now, offer_ends_at=now + datetime.timedelta(hours=1),
    ).pk  # fmt: skip


def url_for(name, visit):
    closed_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=40)).replace(day=1)
    kwargs = {
        "visitors:tally": {"pk": visit.occurrence_today.pk},
        "visitors:tally_tap": {"pk": visit.occurrence_today.pk},
        "visitors:tally_save": {"pk": visit.occurrence_today.pk},
        "schedule:week": {"week": "2026-W48"},
        "schedule:poster": {"week": "2026-W48"},
        "municipality:home": {"municipality": "mjolby"},
        "municipality:choose": {"municipality": "mjolby"},
        "municipality:week": {"municipality": "mjolby", "week": "2026-W48"},
        "municipality:poster": {"municipality": "mjolby", "week": "2026-W48"},
        "municipality:calendar_feed": {"municipality": "mjolby"},
        "municipality:help": {"municipality": "mjolby"},
        "schedule:screen": {"venue": visit.places["venue"]},
        "schedule:agency": {"slug": visit.places["agency"]},
        "schedule:venue": {"slug": visit.places["venue"]},
        "visitors:visit_edit": {"pk": visit.pk},
        "visitors:visit_delete": {"pk": visit.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        "visitors:stats_export_job": {"pk": visit.export_job.pk},
        "visitors:stats_export_download": {"pk": visit.export_job.pk},
        # A closed month: two months back is always past its 14 days for corrections.
        "visitors:open_data_month": {"month": f"{closed_month:%Y-%m}", "extension": "json"},
        "visitors:book": {"pk": visit.lecture.pk},
        "visitors:booking_done": {"token": booking_tokens(visit.booking)[0]},
        "visitors:booking_cancel": {"token": booking_tokens(visit.booking)[1]},
        "visitors:waiting_list_join": {"pk": visit.lecture.pk},
        "visitors:waiting_list_offer": {"token": offer_token(visit.lecture)},
        "visitors:waiting_list_leave": {"token": offer_token(visit.lecture)},
        "visitors:staff_book": {"pk": visit.lecture.pk},
        "visitors:booking_slip": {"pk": visit.booking.pk},
        "visitors:booking_mark": {"pk": visit.booking.pk},
        "visitors:waiting_list_take_for": {"pk": phone_only_offer(visit.lecture)},
        "visitors:booking_erase": {"pk": visit.booking.pk},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


# What a let-in user POSTs, so the request does what the URL is for.
POST_DATA = {
    "/tap/": {"topic": "other"},
    "/save/": {"duration": "10", "outcome": "solved", "language": "sv"},
    "/mark/": {"status": "attended"},
}


def post_data(url):
    return next((data for part, data in POST_DATA.items() if url.endswith(part)), {})


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def check_login_then_role(client, url, users, method, let_in, refused):
    response = getattr(as_user(client, None), method)(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for name in refused:
        assert getattr(as_user(client, users[name]), method)(url).status_code in (403, 404), (url, name)
    for name in let_in:
        data = post_data(url) if method == "post" else None
        assert getattr(as_user(client, users[name]), method)(url, data).status_code in (200, 302), (url, name)


def check_json_api(client, url, users):
    assert as_user(client, users["sofia"]).get(url).status_code == 405, url
    anonymous = as_user(client, None).post(url)
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "login_required"), url
    assert as_user(client, users["olle"]).post(url).status_code == 403, url
    # Let in: an empty visit is checked (400), not refused.
    for name in ("sofia", "lena"):
        assert as_user(client, users[name]).post(url).status_code == 400, (url, name)


def check_site_wide(client, url):
    response = as_user(client, None).get(url)
    if url.endswith(".ics"):
        assert response.status_code == 400 and b"/mjolby/schedule.ics" in response.content, url
    else:
        assert (response.status_code, response["Location"]) == (302, "/"), url


# What an anonymous GET answers, for the rules that need no login.
ANONYMOUS_GET_STATUS = {PUBLIC: 200, PUBLIC_REDIRECT: 302, PUBLIC_POST: 405, ANY_POST: 405}


def check(rule, client, url, users):
    if rule in ANONYMOUS_GET_STATUS:
        assert as_user(client, None).get(url).status_code == ANONYMOUS_GET_STATUS[rule], url
    elif rule == SITE_WIDE:
        check_site_wide(client, url)
    elif rule == STAFF:
        check_login_then_role(client, url, users, "get", let_in=["sofia", "lena"], refused=["olle"])
    elif rule == OWN_OBJECT:
        let_in = ["sofia", "lena"] if "/visits/" in url else ["sofia"]
        check_login_then_role(client, url, users, "get", let_in=let_in, refused=["olle", "erik"])
    elif rule == STAFF_POST:
        assert as_user(client, users["sofia"]).get(url).status_code == 405, url
        check_login_then_role(client, url, users, "post", let_in=["sofia"], refused=["olle", "erik"])
    elif rule == STAFF_API:
        check_json_api(client, url, users)
    elif rule == COORDINATOR:
        check_login_then_role(client, url, users, "get", let_in=["lena"], refused=["olle", "sofia", "erik"])
    else:
        pytest.fail(f"unknown rule {rule!r}")


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_rule_holds(client, cast, name):
    users, visit = cast
    check(RULES[name], client, url_for(name, visit), users)
