"""The public pages in all seven languages in a real Chromium: axe-core finds
no WCAG 2.1 AA violations at 360 px (and in Swedish and English at 1280 px),
nothing runs off the side of a 360 px phone, <html> has the language and,
in Arabic and Persian, the direction; and a screenshot of the Arabic week
page (docs/screenshot-week-ar.png) shows it right to left.

One browser context per language walks every page, so the demo data is
loaded once per language, not once per page."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Format, Occurrence
from sessions.weeks import IsoWeek
from tests.browser.test_public_pages_browser import PHONE_WIDTH, phone_problems
from tests.test_languages import every_catalogue  # noqa: F401 (a fixture: Somali, Tigrinya)

# Run on PostgreSQL by make test: it evens out the two processes' times.
pytestmark = [pytest.mark.browser, pytest.mark.postgresql_run]

LANGUAGES = ["sv", "en", "ar", "fa", "so", "ti", "uk"]
RIGHT_TO_LEFT = {"ar", "fa"}
WIDE = 1280
SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshot-week-ar.png"


@pytest.fixture
def demo_data(transactional_db, every_catalogue):  # noqa: F811
    call_command("seed_demo", force=True, verbosity=0)


def public_paths():
    booked = (
        Occurrence.objects.filter(slot__format=Format.BOOKED, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    return [
        "/",
        f"/schedule/{IsoWeek.containing(timezone.localdate())}/",
        "/help/",
        "/help/?q=bankid",
        "/agencies/skatteverket/",
        "/venues/mjolby-bibliotek/",
        "/try/",
        "/accessibility/",
        "/privacy/",
        f"/book/{booked.pk}/",
    ]


def language_problems(page, language):
    found = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
    expected = [language, "rtl" if language in RIGHT_TO_LEFT else ""]
    return [] if found == expected else [f"<html lang dir> is {found}, expected {expected}"]


def axe_problems(page, axe):
    violations = axe(page)
    return ["axe-core violations:\n" + axe.report(violations)] if violations else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_in_each_language_is_accessible_and_fits_a_phone(
    demo_data, new_page, live_server, axe, language
):
    page = new_page(base_url=live_server.url, language=language, width=PHONE_WIDTH)
    problems = []
    for path in public_paths():
        response = page.goto(path)
        found = [] if response and response.status == 200 else [f"answered {response and response.status}"]
        found += language_problems(page, language) + axe_problems(page, axe) + phone_problems(page)
        if language in ("sv", "en"):
            page.set_viewport_size({"width": WIDE, "height": 800})
            found += [f"at {WIDE} px: {problem}" for problem in axe_problems(page, axe)]
            page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
        problems += [f"{path} in {language}: {problem}" for problem in found]
    assert not problems + page.problems.all(), "\n".join(problems + page.problems.all())


def test_the_arabic_week_page_reads_right_to_left(demo_data, new_page, live_server):
    page = new_page(base_url=live_server.url, language="ar", width=PHONE_WIDTH, height=900)
    # The demo has two municipalities: the week page is a municipality's own.
    page.goto(f"/mjolby/schedule/{IsoWeek.containing(timezone.localdate())}/")
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    # Our stylesheet's logical properties: the entry's coloured edge is on the right.
    edges = page.locator(".entry").first.evaluate(
        "el => [getComputedStyle(el).borderRightWidth, getComputedStyle(el).borderLeftWidth]"
    )
    assert float(edges[0].removesuffix("px")) > float(edges[1].removesuffix("px"))
    # The site's name starts at the right edge of the header.
    name = page.locator(".site-name").bounding_box()
    assert name["x"] + name["width"] > PHONE_WIDTH / 2
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
