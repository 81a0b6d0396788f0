""" "Where do you live?" and a municipality's own page in a real Chromium at
phone width: axe-core finds nothing in Swedish or English, nothing is
wider than the phone, and typing in the search narrows the list at once
(static/js/municipality-search.js; without JavaScript the form asks the
server)."""

import pytest

from tests import factories
from tests.browser.test_public_pages_browser import PHONE_WIDTH, open_page, phone_problems, problems_on

pytestmark = pytest.mark.browser


@pytest.fixture
def three_municipalities(transactional_db):
    mjolby = factories.municipality("Mjölby", region="Östergötlands län")
    factories.municipality("Kalmar", region="Kalmar län")
    factories.municipality("Nybro", region="Kalmar län")
    childcare = factories.agency("Barnomsorg Mjölby", municipality=mjolby)
    factories.slot(childcare, factories.venue(mjolby, name="Mjölby bibliotek"))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_chooser_and_a_municipality_page_pass_axe_on_a_phone(
    three_municipalities, new_page, live_server, axe, language
):
    problems = []
    for path in ("/", "/?q=kalmar", "/mjolby/"):
        page = open_page(new_page, live_server, path, language, width=PHONE_WIDTH)
        found = problems_on(page, axe, language) + phone_problems(page)
        problems += [f"{path} in {language}: {problem}" for problem in found]
        page.context.close()
    assert not problems, "\n".join(problems)


def test_typing_narrows_the_list_and_a_choice_is_remembered(three_municipalities, new_page, live_server):
    page = open_page(new_page, live_server, "/", "sv", width=PHONE_WIDTH)
    page.get_by_label("Sök efter din kommun").fill("nyb")
    assert page.get_by_role("link", name="Nybro").is_visible()
    assert not page.get_by_role("link", name="Kalmar").is_visible()
    assert not page.get_by_role("heading", name="Östergötlands län").is_visible()
    page.get_by_role("link", name="Nybro").click()
    assert page.url.endswith("/nybro/")
    page.goto("/")
    assert page.url.endswith("/nybro/"), "the start page leads to the chosen municipality"
    assert not page.problems.all(), "\n".join(page.problems.all())
