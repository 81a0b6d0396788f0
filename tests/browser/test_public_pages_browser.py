"""Every public page, in Swedish and English, in a real Chromium: axe-core
finds no WCAG 2.1 AA violations, the browser reports no errors (CSP
violations show up as console errors), nothing comes from another host, and
a 360 px wide phone needs no sideways scrolling. Plus keyboard use: the
first Tab reaches a visible "skip to content" link."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

# Add each public page here as it is made.
PUBLIC_PATHS = [
    "/",
    "/schedule/",
    "/help/",
    "/help/?q=f%C3%B6rskoleplats",
    "/help/?q=zzzz",
    "/agencies/",
    "/try/",
    "/accessibility/",
    "/privacy/",
    "/schedule/print/",
]
# Error pages are pages too: they must be as accessible as the rest.
NOT_FOUND_PATHS = [
    "/schedule/2026-W60/",
]
PAGES = [(path, 200) for path in PUBLIC_PATHS] + [(path, 404) for path in NOT_FOUND_PATHS]
LANGUAGES = ["sv", "en"]
PHONE_WIDTH = 360


@pytest.fixture
def demo_data(transactional_db):
    # The live server shares the test database; pages with real entries
    # exercise far more markup (colours, badges, cancellations) than empty ones.
    call_command("seed_demo", verbosity=0)


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


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("path", "status"), PAGES)
def test_page_is_accessible_and_error_free(demo_data, new_page, live_server, axe, path, status, language):
    page = open_page(new_page, live_server, path, language, status=status)
    problems = problems_on(page, axe, language)
    assert not problems, f"{path} in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("path", "status"), PAGES)
def test_phone_width_needs_no_sideways_scrolling(demo_data, new_page, live_server, path, status, language):
    page = open_page(new_page, live_server, path, language, width=PHONE_WIDTH, status=status)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, (
        f"{path} in {language} is {scroll_width}px wide on a {PHONE_WIDTH}px phone: {widest_elements(page)}"
    )
    assert not page.problems.all(), "\n".join(page.problems.all())


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
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_first_tab_reaches_visible_skip_link(transactional_db, new_page, live_server, path, language):
    page = open_page(new_page, live_server, path, language)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.evaluate("el => el.tagName") == "A", "the first Tab must reach the skip link"
    assert focused.get_attribute("href") == "#main"
    assert focused.is_visible(), "the skip link must be visible when it has focus"
    assert focused.inner_text().strip(), "the skip link needs a text"
    assert page.locator("#main").count() == 1, "the skip link's target #main is missing"

    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"
