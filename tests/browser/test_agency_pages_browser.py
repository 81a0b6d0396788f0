"""The public pages that need data to exist (an agency's and a venue's page,
found by slug) get the same checks as the pages in
test_public_pages_browser.py, with the demo data loaded: axe-core in both
languages, no browser errors, no sideways scrolling on a 360 px phone, and
the first Tab reaching the skip link."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

PATHS = [
    "/agencies/skatteverket/",
    "/agencies/mjolby-barnomsorg/",
    "/venues/mjolby-bibliotek/",
    "/venues/kalmar-stadsbibliotek/",
]
LANGUAGES = ["sv", "en"]
PHONE_WIDTH = 360


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", verbosity=0)


def open_page(new_page, live_server, path, language, width=None):
    page = new_page(base_url=live_server.url, language=language, width=width)
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    return page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PATHS)
def test_page_is_accessible_and_error_free(demo_data, new_page, live_server, axe, path, language):
    page = open_page(new_page, live_server, path, language)
    assert page.evaluate("() => document.documentElement.lang") == language
    violations = axe(page)
    assert not violations, f"{path} in {language}:\n{axe.report(violations)}"
    assert not page.problems.all(), "\n".join(page.problems.all())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PATHS)
def test_phone_width_needs_no_sideways_scrolling(demo_data, new_page, live_server, path, language):
    page = open_page(new_page, live_server, path, language, width=PHONE_WIDTH)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"{path} in {language} is {scroll_width}px wide"


@pytest.mark.parametrize("path", PATHS)
def test_first_tab_reaches_visible_skip_link(demo_data, new_page, live_server, path):
    page = open_page(new_page, live_server, path, "sv")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.get_attribute("href") == "#main"
    assert focused.is_visible()
