"""Every public page, in Swedish and English, in a real Chromium: axe-core
finds no WCAG 2.1 AA violations, the browser reports no errors (CSP
violations show up as console errors), nothing comes from another host, and
a 360 px wide phone needs no sideways scrolling. Plus keyboard use: the
first Tab reaches a visible "skip to content" link.

The pages are walked in one test per language, so the demo data is loaded
twice rather than once per page (the live server's database is emptied
after every test); a failure lists every page's problems at once."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

# Add each public page here as it is made.
PUBLIC_PATHS = [
    "/",
    "/schedule/",
    "/schedule/?agency=skatteverket",
    "/help/",
    "/help/?q=f%C3%B6rskoleplats",
    "/help/?q=zzzz",
    "/agencies/",
    "/agencies/skatteverket/",
    "/agencies/mjolby-barnomsorg/",
    "/venues/mjolby-bibliotek/",
    "/venues/kalmar-stadsbibliotek/",
    "/try/",
    "/accessibility/",
    "/privacy/",
    "/schedule/print/",
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
