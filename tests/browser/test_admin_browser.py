"""The coordinators' series page in a real browser: every form control has
an accessible name (axe-core), also the ones the admin's scripts add (the
topic search), and no script is blocked."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Membership, Role
from agencies.permissions import COORDINATORS_GROUP, ensure_role_groups
from sessions.models import Weekday
from tests import factories

pytestmark = pytest.mark.browser

PASSWORD = "rätt-lösenord-123"
# The rules about names of form controls, which this page's own code
# decides. The rest of axe's findings there (the breadcrumbs' contrast,
# Select2's list markup, the inline table's empty corner headings) are
# Django's admin itself, outside this project's templates.
NAMING_RULES = {
    "label", "select-name", "aria-input-field-name", "input-button-name", "button-name",
    "aria-toggle-field-name", "duplicate-id-aria", "label-title-only", "form-field-multiple-labels",
}  # fmt: skip
# What axe finds in every admin page: the breadcrumbs' white links on light
# blue, Django's own styling.
DJANGO_ADMIN_RULES = {"link-in-text-block"}


@pytest.fixture
def lena_and_her_series(transactional_db):
    town = factories.municipality("Mjölby")
    slot = factories.slot(
        factories.agency("Barnomsorg", municipality=town),
        factories.venue(town, name="Mjölby bibliotek"),
        weekday=Weekday.MONDAY,
        first_date=timezone.localdate(),
        topics=[factories.topic()],
    )
    user = get_user_model().objects.create_user("lena", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=user, role=Role.COORDINATOR, municipality=town)
    user.groups.add(ensure_role_groups()[COORDINATORS_GROUP])
    return slot


def problems_beyond_inline_styles(page):
    """Select2 and the admin's own scripts set style attributes, which the
    CSP blocks (a known cost of the strict policy, reported in the console);
    anything else, such as a blocked script, is a failure."""
    return [problem for problem in page.problems.all() if "Applying inline style" not in problem]


def log_in(page):
    page.goto("/admin/login/")
    page.locator("#id_username").fill("lena")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")


def test_series_page_passes_axe_core(lena_and_her_series, new_page, live_server, axe):
    page = new_page(base_url=live_server.url, language="sv")
    log_in(page)
    page.goto(f"/admin/schedule/staffedslot/{lena_and_her_series.pk}/change/")
    page.wait_for_selector(".select2-search__field[aria-label]", state="attached")
    violations = [violation for violation in axe(page) if violation["id"] in NAMING_RULES]
    assert not violations, axe.report(violations)
    assert not problems_beyond_inline_styles(page)

    # Select2 draws the topics' search box again after a choice.
    page.locator(".select2-selection--multiple").click()
    page.keyboard.press("Escape")
    violations = [violation for violation in axe(page) if violation["id"] in NAMING_RULES]
    assert not violations, axe.report(violations)


def test_sessions_outside_the_series_pass_axe_core(lena_and_her_series, new_page, live_server, axe):
    slot = lena_and_her_series
    first_two = slot.occurrences.filter(ends_at__gt=timezone.now()).order_by("date")[:2]
    slot.occurrences.filter(pk__in=list(first_two.values_list("pk", flat=True))).update(is_exception=True)
    slot.weekday = Weekday.TUESDAY
    slot.save()
    page = new_page(base_url=live_server.url, language="sv")
    log_in(page)
    page.goto(f"/admin/schedule/staffedslot/{slot.pk}/outside-series/")
    assert page.locator("fieldset legend").count() == 2
    violations = [violation for violation in axe(page) if violation["id"] not in DJANGO_ADMIN_RULES]
    assert not violations, axe.report(violations)
    assert not problems_beyond_inline_styles(page)

    # Cancelling without a reason: the page again, with the error, still accessible.
    page.get_by_label("Ställ in det med orsaken nedan", exact=False).first.check()
    page.get_by_role("button", name="Spara besluten").click()
    assert page.locator(".errornote").count() == 1
    violations = [violation for violation in axe(page) if violation["id"] not in DJANGO_ADMIN_RULES]
    assert not violations, axe.report(violations)


def test_series_page_fits_a_1280_pixel_screen(lena_and_her_series, new_page, live_server):
    """The table of upcoming occurrences scrolls inside itself instead of
    making the whole page 1,786 pixels wide."""
    page = new_page(base_url=live_server.url, language="sv", width=1280)
    log_in(page)
    page.goto(f"/admin/schedule/staffedslot/{lena_and_her_series.pk}/change/")
    assert page.locator(".inline-group .tabular table").count() == 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the series page is {width} px wide at 1280 px"
    assert not problems_beyond_inline_styles(page)


def coming_week():
    monday = timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())
    return monday, monday + datetime.timedelta(days=6)


def assert_axe_passes(page, axe):
    violations = [violation for violation in axe(page) if violation["id"] not in DJANGO_ADMIN_RULES]
    assert not violations, axe.report(violations)
    assert not problems_beyond_inline_styles(page)


@pytest.mark.parametrize(
    ("language", "link", "show", "cancel", "undo", "let_happen"),
    [
        (
            "sv",
            "Ställ in tillfällen under en period",
            "Visa tillfällena",
            "Ställ in de förkryssade tillfällena",
            "Ångra en inställning under perioden",
            "Låt de förkryssade tillfällena bli av igen",
        ),
        (
            "en",
            "Cancel sessions in a period",
            "Show the sessions",
            "Cancel the ticked sessions",
            "Undo a cancellation in the period",
            "Let the ticked sessions take place again",
        ),
    ],
)
def test_cancelling_and_undoing_a_period_passes_axe_core(
    lena_and_her_series, new_page, live_server, axe, language, link, show, cancel, undo, let_happen
):
    slot = lena_and_her_series
    first, last = coming_week()
    page = new_page(base_url=live_server.url, language=language, width=1280)
    log_in(page)
    assert_axe_passes(page, axe)  # the admin index, with its link
    page.get_by_role("link", name=link).first.click()
    assert_axe_passes(page, axe)

    # Dates reversed: a clear message, still accessible.
    page.locator("#id_venue").select_option(str(slot.venue_id))
    page.locator("#id_first_day").fill(last.isoformat())
    page.locator("#id_last_day").fill(first.isoformat())
    page.get_by_role("button", name=show).click()
    assert page.locator(".errornote").count() == 1
    assert_axe_passes(page, axe)

    page.locator("#id_first_day").fill(first.isoformat())
    page.locator("#id_last_day").fill(last.isoformat())
    page.get_by_role("button", name=show).click()
    assert page.locator("#period-sessions input[name=sessions]:checked").count() == 1
    assert_axe_passes(page, axe)
    page.locator("#id_reason").fill("Stängt")
    page.get_by_role("button", name=cancel).click()
    page.wait_for_url("**/admin/schedule/occurrence/?*")
    assert page.locator(".messagelist .success").count() == 1
    assert_axe_passes(page, axe)  # the occurrence list, with its date range
    assert slot.occurrences.get(date=first).is_cancelled

    page.goto("/admin/schedule/occurrence/cancel-period/")
    page.get_by_label(undo).check()
    page.locator("#id_venue").select_option(str(slot.venue_id))
    page.locator("#id_first_day").fill(first.isoformat())
    page.locator("#id_last_day").fill(last.isoformat())
    page.get_by_role("button", name=show).click()
    assert_axe_passes(page, axe)
    page.get_by_role("button", name=let_happen).click()
    page.wait_for_url("**/admin/schedule/occurrence/?*")
    assert not slot.occurrences.get(date=first).is_cancelled


def test_sessions_on_holidays_pass_axe_core_and_cancel_in_one_click(
    lena_and_her_series, new_page, live_server, axe
):
    slot = lena_and_her_series
    today = timezone.localdate()
    eve = datetime.date(today.year, 12, 24)
    if eve <= today:
        eve = datetime.date(today.year + 1, 12, 24)
    # A Christmas Eve session, whatever weekday it falls on.
    slot.weekday, slot.first_date, slot.last_date = eve.weekday(), eve - datetime.timedelta(days=14), eve
    slot.save()
    page = new_page(base_url=live_server.url, language="sv", width=1280)
    log_in(page)
    page.goto(f"/admin/schedule/staffedslot/{slot.pk}/holidays/")
    assert page.locator("input[name=sessions]:checked").count() == 1
    assert_axe_passes(page, axe)

    page.goto(f"/admin/schedule/staffedslot/{slot.pk}/change/")
    box = page.locator("#holiday-sessions")
    assert "Julafton" in box.inner_text()
    violations = [v for v in axe(page) if v["id"] in NAMING_RULES]
    assert not violations, axe.report(violations)
    box.get_by_role("button", name="Ställ in dem med helgdagens namn som orsak").click()
    page.wait_for_url(f"**/admin/schedule/staffedslot/{slot.pk}/change/")
    assert page.locator("#holiday-sessions").count() == 0
    assert slot.occurrences.get(date=eve).cancellation_reason == "Julafton"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_changed_admin_pages_pass_axe_core_on_a_phone(
    lena_and_her_series, new_page, live_server, axe, language
):
    """The pages issue 10 changed, at 360 px in both languages: the index
    with its shortcuts, the period page, the occurrence list with its date
    range, the holidays page and the series page (its form-control names;
    Django's own admin findings are filtered as above)."""
    slot = lena_and_her_series
    page = new_page(base_url=live_server.url, language=language, width=360)
    log_in(page)
    for url in [
        "/admin/",
        "/admin/schedule/occurrence/cancel-period/",
        "/admin/schedule/occurrence/",
        f"/admin/schedule/staffedslot/{slot.pk}/holidays/",
    ]:
        page.goto(url)
        violations = [violation for violation in axe(page) if violation["id"] not in DJANGO_ADMIN_RULES]
        assert not violations, f"{url}:\n{axe.report(violations)}"
    page.goto(f"/admin/schedule/staffedslot/{slot.pk}/change/")
    violations = [v for v in axe(page) if v["id"] in NAMING_RULES]
    assert not violations, axe.report(violations)
