"""A staff member on a 360 px phone logs in and logs a visit from "my day"
in at most five interactions; the staff pages pass axe-core."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from agencies.models import Membership, Role
from tests import factories
from visitors.models import TallyCount, Visit

pytestmark = pytest.mark.browser


@pytest.fixture
def sofia(transactional_db):
    town = factories.municipality("Mjölby")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    preschool = factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")
    today = timezone.localdate()
    factories.slot(childcare, factories.venue(town, name="Mjölby bibliotek"), weekday=today.weekday(),
                   first_date=today, start_time=datetime.time(0), end_time=datetime.time(23, 59),
                   topics=[preschool])  # fmt: skip
    user = User.objects.create_user("sofia", password="rätt-lösenord-123", first_name="Sofia")
    Membership.objects.create(user=user, role=Role.STAFF, agency=childcare)
    return user


def log_in(page, username="sofia"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("rätt-lösenord-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")


def log_a_visit_link(page):
    """The button on today's occurrence (the staff menu has a plain one)."""
    return page.locator("main a[href*='/staff/visits/new/?occurrence=']").first


def is_minus_one(post_data):
    return 'name="step"\r\n\r\n-1\r\n' in (post_data or "")


def assert_accessible(page, axe, what):
    violations = axe(page)
    assert not violations, f"{what}:\n{axe.report(violations)}"
    assert not page.problems.all(), page.problems.all()


def test_staff_log_a_visit_from_my_day_in_five_interactions_on_a_phone(sofia, new_page, live_server, axe):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page)
    assert_accessible(page, axe, "my day")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    interactions = 0
    log_a_visit_link(page).click()
    interactions += 1
    page.wait_for_url("**/staff/visits/new/?occurrence=*")
    assert_accessible(page, axe, "the log form")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.get_by_text("15 min", exact=True).click()
    interactions += 1
    page.get_by_text("Preschool place", exact=True).click()
    interactions += 1
    page.get_by_role("button", name="Save", exact=True).click()
    interactions += 1

    page.wait_for_url("**/staff/")
    assert interactions <= 5
    visit = Visit.objects.get()
    assert (visit.duration_minutes, visit.logged_by) == (15, sofia)
    assert "Preschool place" in page.locator("#latest-heading + ul").inner_text()

    page.goto("/staff/visits/")
    assert_accessible(page, axe, "my logs")
    assert "Preschool place" in page.content()


def test_the_log_form_works_with_the_keyboard_alone(sofia, new_page, live_server):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in_en = page.goto("/accounts/login/")
    assert log_in_en.status == 200
    page.get_by_label("Username").fill("sofia")
    page.get_by_label("Password").fill("rätt-lösenord-123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")
    log_a_visit_link(page).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/visits/new/?occurrence=*")
    page.locator("input[name=duration][value='10']").focus()
    page.keyboard.press("Space")
    page.locator("input[name=topics]").first.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")
    assert Visit.objects.get().duration_minutes == 10


def test_tally_the_form_with_errors_and_the_change_log_pass_axe_core(sofia, new_page, live_server, axe):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page)
    occurrence_id = log_a_visit_link(page).get_attribute("href").rsplit("=", 1)[1]
    page.goto(f"/staff/tally/{occurrence_id}/")
    assert_accessible(page, axe, "tally mode")
    # Taps go without a reload (a reload would drop this marker) and the
    # total, kept in view, follows them.
    page.evaluate("() => { window.notReloaded = true; }")
    plus = page.get_by_role("button", name="+1 Preschool place")
    for _ in range(3):
        plus.click()
    # The taps go one after the other (the total passes 2 on its way to 3):
    # the −1's answer is the last.
    with page.expect_response(lambda r: r.url.endswith("/tap/") and is_minus_one(r.request.post_data)):
        page.get_by_role("button", name="−1 Preschool place").click()
    page.locator(".tally-total", has_text="2 visits counted").wait_for()
    assert page.evaluate("() => window.notReloaded") is True
    assert TallyCount.objects.get().count == 2
    # Without a reload the pointer still rests on −1: let Bootstrap's colour
    # transition end, or axe measures a colour halfway between two states.
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)
    assert_accessible(page, axe, "tally mode after taps")
    page.goto(f"/staff/visits/new/?occurrence={occurrence_id}")
    page.get_by_role("button", name="Save", exact=True).click()  # no duration: the error state
    # The script's save hears "400" from the sync endpoint, then posts the
    # form the ordinary way so the page shows the errors: wait for that page.
    page.locator("#error-summary").wait_for()
    assert "Nothing was saved" in page.content()
    # The error summary comes first and has the focus.
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert_accessible(page, axe, "the log form with errors")

    lena = User.objects.create_user("lena", password="rätt-lösenord-123")
    Membership.objects.create(
        user=lena, role=Role.COORDINATOR, municipality=sofia.memberships.get().agency.municipality
    )
    coordinator = new_page(base_url=live_server.url, language="en", width=360)
    log_in(coordinator, "lena")
    coordinator.goto("/staff/changes/")
    assert_accessible(coordinator, axe, "the change log")


def test_the_staff_pages_pass_axe_core_in_swedish_on_a_phone(sofia, new_page, live_server, axe):
    """My day, the log form with its error summary, and tally mode, as a
    Swedish-speaking member of staff sees them at 360 px."""
    page = new_page(base_url=live_server.url, language="sv", width=360)
    page.goto("/accounts/login/")
    page.get_by_label("Användarnamn").fill("sofia")
    page.get_by_label("Lösenord").fill("rätt-lösenord-123")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/staff/")
    assert_accessible(page, axe, "my day (sv)")
    occurrence_id = log_a_visit_link(page).get_attribute("href").rsplit("=", 1)[1]
    page.goto(f"/staff/visits/new/?occurrence={occurrence_id}")
    assert_accessible(page, axe, "the log form (sv)")
    page.get_by_role("button", name="Spara", exact=True).click()  # no duration: the error summary
    page.locator("#error-summary").wait_for()
    assert_accessible(page, axe, "the log form with errors (sv)")
    page.goto(f"/staff/tally/{occurrence_id}/")
    assert_accessible(page, axe, "tally mode (sv)")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
