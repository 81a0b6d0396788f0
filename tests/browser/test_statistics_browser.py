"""The statistics page passes axe-core in Swedish and English, on a wide
screen and on a 360 px phone, with figures, for publication and with a form
error; it fits the phone's width and breaks no CSP rule (no inline style)."""

import pytest

from tests import statistics_fixture as fx

pytestmark = pytest.mark.browser

PASSWORD = "rätt-lösenord-123"


@pytest.fixture
def world(transactional_db):
    return fx.build()


def log_in(page, username):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def assert_accessible(page, axe, what):
    violations = axe(page)
    assert not violations, f"{what}:\n{axe.report(violations)}"
    assert not page.problems.all(), (what, page.problems.all())


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_statistics_page_passes_axe_core(world, new_page, live_server, axe, language, width):
    page = new_page(base_url=live_server.url, language=language, width=width)
    log_in(page, "anna")
    for query, what in [
        ("?period=2026-11", "the month"),
        ("?period=2026-11&publication=on", "for publication"),
        ("?period=2026-13", "a form error"),
    ]:
        page.goto(f"/staff/stats/{query}")
        assert page.locator("h1").count() == 1
        assert_accessible(page, axe, f"{what} ({language}, {width} px)")
        if width == 360:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, what
        if what == "the month":
            # Five scheduled cells in the fixture, plus the legend's sample.
            assert page.locator("svg.stats-heatmap rect[stroke-dasharray]").count() == 6


def test_the_menu_leads_a_coordinator_to_their_statistics(world, new_page, live_server):
    page = new_page(base_url=live_server.url, language="en", width=360)
    log_in(page, "karin")
    page.get_by_role("link", name="Statistics").click()
    page.wait_for_url("**/staff/stats/")
    page.locator("#id_period").fill("2026-11")
    page.get_by_role("button", name="Show statistics").click()
    page.wait_for_url("**/staff/stats/?period=2026-11*")
    assert "Mjölby" not in page.content()
    assert page.get_by_role("table", name="Visits per agency").locator("tfoot td").first.inner_text() == "4"
