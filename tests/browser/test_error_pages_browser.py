"""The refusal pages (403, and a form sent with an expired CSRF token) pass
axe-core on a phone, like every other page."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.browser


@pytest.fixture
def olle(transactional_db):
    """Has an account but no role."""
    return User.objects.create_user("olle", password="rätt-lösenord-123")


def assert_accessible(page, axe, what):
    violations = axe(page)
    assert not violations, f"{what}:\n{axe.report(violations)}"
    assert not page.problems.all(), page.problems.all()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_403_page_is_accessible(olle, new_page, live_server, axe, language):
    page = new_page(base_url=live_server.url, language=language, width=360)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("olle")
    page.locator("#id_password").fill("rätt-lösenord-123")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    response = page.goto("/staff/")
    assert response.status == 403
    assert_accessible(page, axe, "403")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_login_form_left_open_too_long_gets_an_accessible_page_with_a_way_back(
    olle, new_page, live_server, axe, language
):
    page = new_page(base_url=live_server.url, language=language, width=360)
    page.goto("/accounts/login/")
    # What a browser that lost the cookie (or a form open since yesterday) sends.
    page.context.clear_cookies(name="csrftoken")
    page.locator("#id_username").fill("olle")
    page.locator("#id_password").fill("rätt-lösenord-123")
    with page.expect_response("**/accounts/login/") as answer:
        page.locator("main button[type=submit]").click()
    assert answer.value.status == 403
    assert_accessible(page, axe, "CSRF failure")
    page.locator("main ul a").first.click()
    page.wait_for_url("**/accounts/login/")
