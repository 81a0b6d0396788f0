"""The library's wifi drops during a busy hour: Sofia keeps logging on the
shared tablet, the visits wait on the device, and they arrive once the
network is back, none twice. Maja, who uses the tablet next, never sees or
sends Sofia's queue.

Offline is ``context.set_offline(True)`` plus a route that aborts every
request: Playwright's offline mode does not cover the service worker's own
requests. The server side is watched too (Django's ``request_started``),
so "nothing arrived while offline" is checked where it matters."""

import datetime
import time

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.signals import request_started
from django.utils import timezone

from agencies.models import Membership, Role
from sessions.models import OccurrenceStatus
from tests import factories
from visitors.models import TallyCount, Visit

pytestmark = pytest.mark.browser

PASSWORD = "rätt-lösenord-123"


@pytest.fixture
def tablet(transactional_db):
    """Mjölby childcare's drop-in today, with Sofia and Maja on staff."""
    town = factories.municipality("Mjölby")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    preschool = factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")
    today = timezone.localdate()
    slot = factories.slot(
        childcare, factories.venue(town, name="Mjölby bibliotek"), weekday=today.weekday(), first_date=today,
        start_time=datetime.time(0), end_time=datetime.time(23, 59), topics=[preschool],
    )  # fmt: skip
    users = {}
    for name in ("sofia", "maja"):
        users[name] = User.objects.create_user(name, password=PASSWORD, first_name=name.title())
        Membership.objects.create(user=users[name], role=Role.STAFF, agency=childcare)
    return {"occurrence": slot.occurrences.get(date=today), **users}


class ServerLog:
    """The requests that reached Django, by path."""

    def __init__(self):
        self.paths = []
        request_started.connect(self.note)

    def note(self, sender, environ, **kwargs):
        self.paths.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    def clear(self):
        self.paths = []

    def while_offline(self):
        # The browser itself checks for a new worker on a navigation, past
        # any offline emulation: that is no page or queue reaching Django.
        return [path for path in self.paths if path != "GET /staff/sw.js"]

    def close(self):
        request_started.disconnect(self.note)


@pytest.fixture
def server_log():
    log = ServerLog()
    yield log
    log.close()


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")


def wait_until(page, script, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    state = page.evaluate(STATE)
    raise AssertionError(f"Never true: {script}\nCaches: {state}")


STATE = """async () => {
  const state = {controlled: !!navigator.serviceWorker.controller};
  for (const name of await caches.keys()) {
    state[name] = (await (await caches.open(name)).keys()).map(request => request.url);
  }
  return JSON.stringify(state);
}"""

KEPT_PAGES = """async () => {
  const names = (await caches.keys()).filter(name => name.includes('-pages-'));
  if (names.length !== 1) return false;
  const urls = (await (await caches.open(names[0])).keys()).map(request => new URL(request.url).pathname);
  return urls.includes('/staff/') && urls.includes('/staff/visits/new/')
    && !!navigator.serviceWorker.controller;
}"""

QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('esv-offline', 1);
  open.onsuccess = () => {
    const request = open.result.transaction('visits').objectStore('visits').getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  };
})"""

PUT_BACK = """entries => new Promise((resolve, reject) => {
  const open = indexedDB.open('esv-offline', 1);
  open.onsuccess = () => {
    const transaction = open.result.transaction('visits', 'readwrite');
    entries.forEach(entry => transaction.objectStore('visits').put(entry));
    transaction.oncomplete = () => resolve(true);
    transaction.onerror = () => reject(transaction.error);
  };
})"""


def go_offline(page):
    page.context.set_offline(True)
    page.context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(page):
    page.context.unroute("**/*")
    page.context.set_offline(False)


def ready_for_offline(page):
    """The worker controls the page and has kept "my day" and the form.
    A page that loaded while the worker was still installing may have been
    missed by its clients.claim(): the next load is controlled."""
    wait_until(page, "async () => !!(await navigator.serviceWorker.getRegistration())?.active")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    wait_until(page, KEPT_PAGES)


def save_a_visit(page, minutes="15 min"):
    page.get_by_text(minutes, exact=True).click()
    page.get_by_text("Preschool place", exact=True).click()
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".offline-status", has_text="Saved on this device").wait_for()


def assert_accessible(page, axe, what):
    violations = axe(page)
    assert not violations, f"{what}:\n{axe.report(violations)}"
    # No script error and no Content-Security-Policy violation either.
    assert not page.problems.all(), page.problems.all()


def test_visits_saved_offline_wait_on_the_tablet_and_arrive_once(
    tablet, new_page, live_server, server_log, axe
):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "sofia")
    occurrence = tablet["occurrence"]
    page.goto(f"/staff/visits/new/?occurrence={occurrence.pk}")
    ready_for_offline(page)

    go_offline(page)
    server_log.clear()
    for minutes in ("5 min", "10 min", "15 min"):
        save_a_visit(page, minutes)
        page.locator(".offline-queue-count").wait_for()
    page.reload()
    page.locator("#offline-queue .offline-queue-count", has_text="3 visits wait to be sent").wait_for()
    assert page.locator(".offline-entry").count() == 3
    assert "Waiting to be sent" in page.locator("#offline-queue").inner_text()
    assert_accessible(page, axe, "the log form with visits waiting, offline")
    # Nothing reached the server while the tablet was offline.
    assert server_log.while_offline() == [] and not Visit.objects.exists()
    kept = page.evaluate(QUEUE)
    assert len(kept) == 3 and {entry["user"] for entry in kept} == {str(tablet["sofia"].pk)}

    go_online(page)
    page.locator(".offline-status", has_text="Everything that waited is sent.").wait_for()
    assert page.locator("#offline-queue").is_hidden()
    assert page.evaluate(QUEUE) == []
    visits = Visit.objects.order_by("duration_minutes")
    assert [v.duration_minutes for v in visits] == [5, 10, 15]
    assert {v.logged_by for v in visits} == {tablet["sofia"]}
    assert server_log.paths.count("POST /staff/visits/sync/") == 3

    # The answers got lost: the same queue is sent again, on the next page.
    server_log.clear()
    page.evaluate(PUT_BACK, kept)
    page.reload()
    wait_until(page, "async () => (await (" + QUEUE + ")()).length === 0")
    assert server_log.paths.count("POST /staff/visits/sync/") == 3
    assert Visit.objects.count() == 3


def test_a_visit_the_server_refuses_stays_with_its_message_to_correct(
    tablet, new_page, live_server, server_log, axe
):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "sofia")
    occurrence = tablet["occurrence"]
    page.goto(f"/staff/visits/new/?occurrence={occurrence.pk}")
    ready_for_offline(page)
    go_offline(page)
    save_a_visit(page)
    # Meanwhile the coordinator cancels the session.
    occurrence.status, occurrence.cancellation_reason = OccurrenceStatus.CANCELLED, "Sjuk"
    occurrence.save()
    go_online(page)
    entry = page.locator(".offline-entry.is-refused")
    entry.wait_for()
    assert "Not saved. Correct it or delete it:" in entry.inner_text()
    assert "This time was cancelled" in entry.inner_text()
    assert not Visit.objects.exists()
    page.goto("/staff/")
    page.locator("#offline-queue .offline-entry.is-refused").wait_for()
    assert "1 visit waits to be sent" in page.locator("#offline-queue").inner_text()
    assert_accessible(page, axe, "my day with a refused visit (en)")
    page.context.add_cookies([{"name": "django_language", "value": "sv", "url": live_server.url}])
    page.reload()
    page.locator("#offline-queue .offline-entry.is-refused").wait_for()
    assert "Inte sparat" in page.locator("#offline-queue").inner_text()
    assert_accessible(page, axe, "my day with a refused visit (sv)")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])

    # Correct it: the form opens with the visit; outside a scheduled time.
    page.goto("/staff/")
    page.locator(".offline-entry-correct").click()
    page.wait_for_url("**/staff/visits/new/?queued=*")
    page.locator(".offline-status", has_text="Correct the visit").wait_for()
    assert page.locator("input[name=duration][value='15']").is_checked()
    page.get_by_label("Scheduled time").select_option("")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/staff/")
    visit = Visit.objects.get()
    assert (visit.occurrence, visit.duration_minutes, visit.logged_by) == (None, 15, tablet["sofia"])
    assert page.evaluate(QUEUE) == []
    assert page.locator("#offline-queue").is_hidden()


def test_a_shared_tablet_keeps_each_users_queue_for_them(tablet, new_page, live_server, server_log):
    """Sofia's login ends while the tablet is offline; Maja logs in next and
    neither sees nor sends Sofia's visit; Sofia logs in again and it goes
    under her name."""
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "sofia")
    page.goto("/staff/visits/new/")
    ready_for_offline(page)
    go_offline(page)
    save_a_visit(page)
    Session.objects.all().delete()  # Sofia's login ends meanwhile
    go_online(page)
    page.locator(".offline-status", has_text="You are logged out").wait_for()
    assert not Visit.objects.exists()

    log_in(page, "maja")
    page.wait_for_timeout(500)
    assert page.locator("#offline-queue").is_hidden()
    assert not Visit.objects.exists()
    # Logging out with nothing waiting asks nothing.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/")

    log_in(page, "sofia")
    page.locator(".offline-status", has_text="Everything that waited is sent.").wait_for()
    assert Visit.objects.get().logged_by == tablet["sofia"]

    # With a visit not sent, logging out warns and offers to send it first.
    page.goto("/staff/visits/new/")
    ready_for_offline(page)
    go_offline(page)
    save_a_visit(page, "30 min")
    page.get_by_role("button", name="Log out").click()
    dialog = page.get_by_role("dialog", name="Visits not sent yet")
    dialog.wait_for()
    assert "1 visit waits to be sent" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    go_online(page)
    page.locator(".offline-status", has_text="Everything that waited is sent.").wait_for()
    assert Visit.objects.count() == 2
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/")
    assert not page.evaluate("async () => (await caches.keys()).some(name => name.includes('-pages-'))")


def test_taps_counted_offline_are_sent_once_with_their_times(tablet, new_page, live_server, server_log):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "sofia")
    occurrence = tablet["occurrence"]
    page.goto(f"/staff/tally/{occurrence.pk}/")
    ready_for_offline(page)
    go_offline(page)
    server_log.clear()
    plus = page.get_by_role("button", name="+1 Preschool place")
    for _ in range(3):
        plus.click()
    page.get_by_role("button", name="−1 Preschool place").click()
    page.locator(".tally-queue", has_text="2 taps wait to be sent").wait_for()
    assert page.locator(".tally-total", has_text="2 visits counted").is_visible()
    assert server_log.while_offline() == [] and not TallyCount.objects.exists()
    tapped_offline = timezone.now()

    go_online(page)
    page.locator(".tally-queue").wait_for(state="hidden")
    counter = TallyCount.objects.get()
    assert counter.count == 2
    assert all(tap.tapped_at <= tapped_offline for tap in counter.taps.all())
    assert page.locator(".tally-total", has_text="2 visits counted").is_visible()


def test_send_then_log_out_sends_the_waiting_visit_before_the_login_ends(tablet, new_page, live_server):
    """The wifi drops without the tablet noticing (the browser still says
    online): the save fails and waits on the device. Sofia logs out; the
    dialog's first choice sends the visit, then ends her login."""
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "sofia")
    page.goto("/staff/visits/new/")
    ready_for_offline(page)
    page.context.route("**/*", lambda route: route.abort("connectionreset"))
    save_a_visit(page)
    page.context.unroute("**/*")
    assert not Visit.objects.exists()

    page.get_by_role("button", name="Log out").click()
    dialog = page.get_by_role("dialog", name="Visits not sent yet")
    dialog.wait_for()
    dialog.get_by_role("button", name="Send them, then log out").click()
    page.wait_for_url(f"{live_server.url}/")
    assert Visit.objects.get().logged_by == tablet["sofia"]
    assert not Session.objects.exists()
    assert page.evaluate(QUEUE) == []


def test_an_idle_tablet_logs_itself_out_without_another_request(tablet, new_page, live_server, settings):
    """Sofia walks away from the tablet on "my day". After STAFF_IDLE_MINUTES
    the page itself ends her login, so the next person is not logged in as
    her, whether or not anyone touches the tablet."""
    settings.STAFF_IDLE_MINUTES = 30
    page = new_page(base_url=live_server.url, language="en", width=360)
    page.clock.install()
    log_in(page, "sofia")
    assert Session.objects.exists()
    page.clock.fast_forward("29:00")
    page.wait_for_timeout(300)
    assert page.url.endswith("/staff/"), "logged out too early"
    page.clock.fast_forward("02:00")
    page.wait_for_url(f"{live_server.url}/")
    assert not Session.objects.exists()
