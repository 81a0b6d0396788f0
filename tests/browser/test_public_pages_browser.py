"""Every public page, in Swedish and English, in a real Chromium: axe-core
finds no WCAG 2.1 AA violations, the browser reports no errors (CSP
violations show up as console errors), nothing comes from another host, and
a 360 px wide phone needs no sideways scrolling. Plus keyboard use: the
first Tab reaches a visible "skip to content" link.

The pages are walked in one test per language, so the demo data is loaded
twice rather than once per page (the live server's database is emptied
after every test); a failure lists every page's problems at once."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Occurrence
from sessions.weeks import IsoWeek

pytestmark = pytest.mark.browser

# Add each public page here as it is made.
# The demo has two municipalities: / asks "Where do you live?", and the
# schedule pages are each municipality's (the site-wide ones redirect).
PUBLIC_PATHS = [
    "/",
    "/?q=kalmar",
    "/mjolby/",
    "/kalmar/",
    "/kalmar/schedule/",
    "/kalmar/schedule/?agency=skatteverket",
    "/mjolby/help/",
    "/mjolby/help/?q=f%C3%B6rskoleplats",
    "/mjolby/help/?q=zzzz",
    "/kalmar/help/?q=kindergarten",
    "/agencies/",
    "/agencies/skatteverket/",
    "/agencies/mjolby-barnomsorg/",
    "/venues/mjolby-bibliotek/",
    "/venues/kalmar-stadsbibliotek/",
    "/try/",
    "/accessibility/",
    "/privacy/",
    "/mjolby/schedule/print/",
    "/accounts/login/",
    "/accounts/password-reset/",
]
# Error pages are pages too: they must be as accessible as the rest.
NOT_FOUND_PATHS = [
    "/schedule/2026-W60/",
    "/agencies/no-such-agency/",
]
PAGES = [(path, 200) for path in PUBLIC_PATHS] + [(path, 404) for path in NOT_FOUND_PATHS]
LANGUAGES = ["sv", "en"]
PHONE_WIDTH = 360


@pytest.fixture
def demo_data(transactional_db):
    # The live server shares the test database; pages with real entries
    # exercise far more markup (colours, badges, cancellations) than empty ones.
    call_command("seed_demo", force=True, verbosity=0)


def open_page(new_page, live_server, path, language, width=None, status=200):
    page = new_page(base_url=live_server.url, language=language, width=width)
    response = page.goto(path)
    answered = response.status if response else None
    assert answered == status, f"{path} answered {answered}, expected {status}"
    return page


def problems_on(page, axe, language):
    problems = []
    actual_language = page.evaluate("() => document.documentElement.lang")
    if not actual_language.startswith(language):
        problems.append(f"<html lang> is {actual_language!r}, expected {language!r}")
    violations = axe(page)
    if violations:
        problems.append("axe-core violations:\n" + axe.report(violations))
    return problems + page.problems.all()


def phone_problems(page):
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width <= PHONE_WIDTH:
        return []
    return [f"{scroll_width}px wide on a {PHONE_WIDTH}px phone: {widest_elements(page)}"]


def widest_elements(page):
    """The elements that stick out past the right edge, to say what to fix."""
    return page.evaluate(
        """width => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width)
            .slice(0, 5)
            .map(el => el.outerHTML.slice(0, 120))""",
        PHONE_WIDTH,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_is_accessible_error_free_and_fits_a_phone(
    demo_data, new_page, live_server, axe, language
):
    problems = []
    for path, status in PAGES:
        page = open_page(new_page, live_server, path, language, status=status)
        found = problems_on(page, axe, language) + phone_problems(page)
        problems += [f"{path} in {language}: {problem}" for problem in found]
        page.context.close()
    assert not problems, "\n".join(problems)


def skip_link_problems(page):
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    if focused.count() != 1 or focused.evaluate("el => el.tagName") != "A":
        return ["the first Tab must reach the skip link"]
    checks = [
        (focused.get_attribute("href") == "#main", "the skip link must lead to #main"),
        (focused.is_visible(), "the skip link must be visible when it has focus"),
        (bool(focused.inner_text().strip()), "the skip link needs a text"),
        (page.locator("#main").count() == 1, "the skip link's target #main is missing"),
    ]
    problems = [message for ok, message in checks if not ok]
    page.keyboard.press("Enter")
    if page.evaluate("() => location.hash") != "#main":
        problems.append("Enter on the skip link must move to #main")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_tab_reaches_a_visible_skip_link_on_every_page(demo_data, new_page, live_server, language):
    problems = []
    for path in PUBLIC_PATHS:
        page = open_page(new_page, live_server, path, language)
        problems += [f"{path}: {problem}" for problem in skip_link_problems(page)]
        page.context.close()
    assert not problems, "\n".join(problems)


def week_with_and_without(agency_slug, municipality="mjolby"):
    """A near week in which ``agency_slug`` has a session in
    ``municipality``, and one in which it has none (the demo's childcare
    hour is monthly)."""
    today = timezone.localdate()
    weeks = [IsoWeek.containing(today + datetime.timedelta(weeks=n)) for n in range(8)]
    sessions = Occurrence.objects.scheduled().filter(
        slot__agency__slug=agency_slug, slot__venue__municipality__slug=municipality, date__gte=today
    )
    busy = {IsoWeek.containing(o.local_start.date()) for o in sessions}
    return next(w for w in weeks if w in busy), next(w for w in weeks if w not in busy)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_changed_resident_pages_pass_axe_on_a_360_pixel_phone(
    demo_data, new_page, live_server, axe, language
):
    """The week with filters (closed panel and open), an empty filtered week
    with its "next time" link, the help finder's everyday words, the pages
    that now write dates in full, and the poster, at phone width."""
    with_childcare, without_childcare = week_with_and_without("mjolby-barnomsorg")
    paths = [
        "/",
        "/mjolby/",
        f"/mjolby/schedule/{with_childcare}/?agency=mjolby-barnomsorg&language=en",
        f"/mjolby/schedule/{without_childcare}/?agency=mjolby-barnomsorg",
        "/mjolby/help/?q=kindergarten",
        "/mjolby/help/?q=dagis",
        "/agencies/",
        "/agencies/skatteverket/",
        "/venues/mjolby-bibliotek/",
        "/try/",
        "/mjolby/schedule/print/",
    ]
    problems = []
    for path in paths:
        page = open_page(new_page, live_server, path, language, width=PHONE_WIDTH)
        found = problems_on(page, axe, language) + phone_problems(page)
        if page.locator("details.filters").count():
            page.locator("details.filters summary").click()
            opened = problems_on(page, axe, language)
            found += [f"with the filter panel open: {problem}" for problem in opened]
        problems += [f"{path} in {language}: {problem}" for problem in found]
        page.context.close()
    assert not problems, "\n".join(problems)


def test_an_empty_filtered_week_shows_the_next_time_link(demo_data, new_page, live_server):
    _with, without = week_with_and_without("mjolby-barnomsorg")
    page = open_page(new_page, live_server, f"/mjolby/schedule/{without}/?agency=mjolby-barnomsorg", "sv")
    link = page.get_by_role("link", name="Nästa gång:")
    assert link.is_visible()
    link.click()
    assert page.locator(".entry").count() >= 1, "the link leads to a week with the session"
    assert "agency=mjolby-barnomsorg" in page.url


def test_after_filtering_on_a_phone_the_first_session_is_on_the_first_screen(
    demo_data, new_page, live_server
):
    """Filtering used to leave the panel open, pushing the first session
    some 1,300 px down a 360 px phone."""
    week, _without = week_with_and_without("skatteverket")
    page = open_page(new_page, live_server, f"/mjolby/schedule/{week}/", "sv", width=PHONE_WIDTH)
    page.locator("details.filters summary").click()
    page.get_by_label("Verksamhet").select_option(label="Skatteverket")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_load_state()
    assert "agency=skatteverket" in page.url
    assert not page.evaluate("() => document.querySelector('details.filters').open")
    assert "Visar: Skatteverket" in page.locator("details.filters summary").inner_text()
    first_session_top = page.locator(".entry").first.evaluate("el => el.getBoundingClientRect().top")
    screen_height = page.evaluate("() => window.innerHeight")
    assert first_session_top < screen_height, f"the first session starts at {first_session_top}px"
