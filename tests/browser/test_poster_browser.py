"""The notice-board poster printed by Chromium: one A4 page per venue, and
the lobby screen in a real browser (axe-core, no CSP errors, the reload
script loaded from our own host)."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from agencies.models import Venue
from eserviceverkstad.i18n import format_clock, format_day
from sessions.poster import LAYOUTS, Head, Offer
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.browser

# A PDF page object; "/Type /Pages" is the page tree, not a page.
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")
MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")
# A4 is 210 x 297 mm = 595.28 x 841.89 points; Chromium rounds a little.
A4_POINTS = (595.28, 841.89)


def is_a4(pdf):
    sizes = [(float(width), float(height)) for width, height in MEDIA_BOX.findall(pdf)]
    return bool(sizes) and all(
        abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2 for width, height in sizes
    )


# The demo's municipalities, each with its own poster at /<slug>/schedule/print/.
DEMO_MUNICIPALITIES = ["mjolby", "kalmar"]


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", force=True, verbosity=0)


def printed_pages(page, path):
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    return pdf, len(PDF_PAGE.findall(pdf))


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("weeks_ahead", [0, 1, 2, 3])
def test_poster_prints_one_a4_page_per_venue(demo_data, new_page, live_server, language, weeks_ahead):
    # Four consecutive weeks catch the monthly sessions (childcare, the tax
    # agency, lectures) and the demo's cancellation with its long reason.
    week = IsoWeek.containing(timezone.localdate())
    for _ in range(weeks_ahead):
        week = week.next()
    page = new_page(base_url=live_server.url, language=language)
    # The demo has two municipalities, each with its own poster.
    for slug in DEMO_MUNICIPALITIES:
        pdf, pages = printed_pages(page, f"/{slug}/schedule/{week}/print/")
        venues = Venue.objects.filter(municipality__slug=slug).count()
        assert pages == venues, f"{slug} {week} in {language}: {pages} printed pages for {venues} venues"
        assert is_a4(pdf), f"the pages are not A4: {MEDIA_BOX.findall(pdf)}"
    assert not page.problems.all(), "\n".join(page.problems.all())


def test_poster_for_one_venue_prints_one_page(demo_data, new_page, live_server):
    page = new_page(base_url=live_server.url)
    _pdf, pages = printed_pages(page, "/mjolby/schedule/print/?venue=mjolby-bibliotek")
    assert pages == 1


def test_printed_poster_hides_the_site_around_it(demo_data, new_page, live_server):
    page = new_page(base_url=live_server.url)
    page.goto("/mjolby/schedule/print/")
    page.emulate_media(media="print")
    for selector in (".site-header", ".site-footer", ".poster-intro"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator(".poster-qr").first.is_visible()
    natural_width = page.locator(".poster-qr").first.evaluate("img => img.naturalWidth")
    assert natural_width > 0, "the QR code image did not load"


@pytest.mark.parametrize("path", ["/screen/mjolby-bibliotek/", "/screen/kalmar-stadsbibliotek/?second=en"])
def test_lobby_screen_is_accessible_and_loads_its_script(demo_data, new_page, live_server, axe, path):
    page = new_page(base_url=live_server.url, width=1920, height=1080)
    scripts = []
    page.on("response", lambda response: scripts.append(response) if response.url.endswith(".js") else None)
    response = page.goto(path)
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    assert [r.status for r in scripts] == [200], "screen.js must load from our own host"
    violations = axe(page)
    assert not violations, axe.report(violations)
    assert not page.problems.all(), "\n".join(page.problems.all())
    # The no-JavaScript fallback stays inert text while scripts run, so it
    # neither reloads the page nor trips axe's meta-refresh rule.
    assert page.evaluate("() => document.querySelectorAll('meta[http-equiv=refresh]').length") == 0


def busy_venue(sessions, long_names=True):
    """A venue with ``sessions`` sessions next week, spread over the days,
    each by its own agency (so each is its own offer on the poster), with
    long agency names and titles (the worst case for one page) or short
    ones."""
    town = factories.municipality("Mjölby")
    venue = factories.venue(town, name="Mjölby stadsbibliotek och medborgarkontor", slug="busy")
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    name = LONG_NAME if long_names else "Bibliotek"
    title = LONG_TITLE if long_names else ""
    for n in range(sessions):
        factories.slot(
            factories.agency(f"{name} {n}", municipality=town),
            venue,
            weekday=n % 7,
            start_time=datetime.time(8 + n // 7 % 14),
            end_time=datetime.time(9 + n // 7 % 14),
            first_date=monday,
            last_date=monday + datetime.timedelta(days=6),
            title=title,
        )
    return venue


LONG_NAME = "Utbildningsförvaltningen – barnomsorg och skolval"
LONG_TITLE = "Frågor om förskoleplats, kö och skolval till förskoleklass"


def offers_of_busy_week(sessions, long_names):
    """What busy_venue's week prints, in start order, as poster.offers_of
    makes it (in Swedish, which the busy-week test prints in)."""
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    rows = []
    for n in range(sessions):
        day, hour = monday + datetime.timedelta(days=n % 7), 8 + n // 7 % 14
        name = f"{LONG_NAME} {n}" if long_names else f"Bibliotek {n}"
        clock = f"{format_clock(datetime.time(hour), 'sv')}–{format_clock(datetime.time(hour + 1), 'sv')}"
        times = [(format_day(day, "sv").capitalize(), clock)]
        offer = Offer(n, name, LONG_TITLE if long_names else "Drop in", "Hjälp på svenska", times, [], 1)
        rows.append(((day, hour, name), offer))
    return [offer for _key, offer in sorted(rows, key=lambda row: row[0])]


def head_of_busy_week():
    week = IsoWeek.containing(timezone.localdate()).next()
    with translation.override("sv"):
        return Head(
            "Gratis hjälp med e-tjänster",
            "Mjölby stadsbibliotek och medborgarkontor",
            "Digitala verkstaden, Storgatan 1",
            f"{week.title()} · {week.date_range()}",
        )


def largest_week(layout, long_names):
    """The most sessions of busy_venue's kind that ``layout`` is trusted with."""
    head, sessions = head_of_busy_week(), 0
    while layout.holds(offers_of_busy_week(sessions + 1, long_names), head):
        sessions += 1
    return sessions


# The edge of each layout (the largest week the server gives it), with long
# and with short texts, and a week far beyond what the smallest holds: each
# must print on exactly one sheet.
BUSY_WEEKS = sorted(
    {(largest_week(layout, long_names), long_names) for layout in LAYOUTS for long_names in (True, False)}
    | {(90, True), (150, False)}
)


@pytest.mark.parametrize(("sessions", "long_names"), BUSY_WEEKS)
def test_a_busy_week_still_prints_on_one_page(transactional_db, new_page, live_server, sessions, long_names):
    busy_venue(sessions, long_names)
    week = IsoWeek.containing(timezone.localdate()).next()
    page = new_page(base_url=live_server.url, language="sv")
    _pdf, pages = printed_pages(page, f"/schedule/{week}/print/?venue=busy")
    layout = page.locator(".poster-page").get_attribute("class")
    shown = page.locator(".poster-offer").count()
    assert pages == 1, f"{sessions} sessions ({layout}, {shown} shown) took {pages} pages"


# The narrowest phone screen WCAG 1.4.10 (reflow) asks a page to fit.
NARROW_WIDTH = 320


@pytest.mark.parametrize("path", ["/screen/mjolby-bibliotek/", "/screen/kalmar-stadsbibliotek/?second=en"])
def test_lobby_screen_fits_a_320_pixel_wide_screen(demo_data, new_page, live_server, path):
    page = new_page(base_url=live_server.url, width=NARROW_WIDTH, height=640)
    response = page.goto(path)
    assert response is not None and response.status == 200
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    sticking_out = page.evaluate(
        """width => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width)
            .map(el => el.outerHTML.slice(0, 120))""",
        NARROW_WIDTH,
    )
    assert scroll_width <= NARROW_WIDTH, f"{scroll_width}px wide: {sticking_out}"


# 20 pt in CSS pixels (1 pt = 4/3 px): what the issue asks of times and
# agency names for a poster read from two metres.
MIN_READABLE_PX = 20 * 4 / 3
# The printable part of A4 (186 x 273 mm with 12 mm margins) in CSS pixels.
PRINTABLE_PX = {"width": round(186 / 25.4 * 96), "height": round(273 / 25.4 * 96)}

POSTER_MEASURES = """() => [...document.querySelectorAll('.poster-page')].map(sheet => {
    const size = el => parseFloat(getComputedStyle(el).fontSize);
    const sizes = sel => [...sheet.querySelectorAll(sel)].map(size);
    const others = [...sheet.querySelectorAll('*')].filter(el => !el.closest('.poster-kicker')
        && el.childNodes.length && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
    const head = sheet.querySelector('.poster-head').getBoundingClientRect();
    const foot = sheet.querySelector('.poster-foot').getBoundingClientRect();
    // Each offer's text (not its stretched box), rows by their top edge.
    const rows = {};
    for (const offer of sheet.querySelectorAll('.poster-offer')) {
        const box = offer.getBoundingClientRect();
        const last = offer.lastElementChild.getBoundingClientRect();
        const top = Math.round(box.top);
        rows[top] = Math.max(rows[top] || 0, last.bottom - box.top);
    }
    return {
        venue: sheet.querySelector('.poster-venue').textContent,
        offers: sheet.querySelectorAll('.poster-offer').length,
        kicker: size(sheet.querySelector('.poster-kicker')),
        largest_other: Math.max(...others.map(size)),
        times: sizes('.poster-times li'),
        agencies: sizes('.poster-agency'),
        filled: Object.values(rows).reduce((a, b) => a + b, 0) / (foot.top - head.bottom),
    };
})"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_printed_poster_is_readable_from_across_the_room(demo_data, new_page, live_server, language):
    """Times and agencies at least 20 pt, the key message the largest text,
    and the sessions spread over the sheet rather than leaving its bottom
    third empty: in four weeks of the demo, as Chromium prints them."""
    week = IsoWeek.containing(timezone.localdate())
    page = new_page(base_url=live_server.url, language=language, **PRINTABLE_PX)
    page.emulate_media(media="print")
    for _ in range(4):
        for slug in DEMO_MUNICIPALITIES:
            page.goto(f"/{slug}/schedule/{week}/print/")
            for sheet in page.evaluate(POSTER_MEASURES):
                where = f"{week} {language} {sheet['venue']}"
                assert sheet["offers"] > 0, where
                assert min(sheet["times"] + sheet["agencies"]) >= MIN_READABLE_PX - 0.01, (where, sheet)
                assert sheet["kicker"] > sheet["largest_other"], (where, sheet)
                assert sheet["filled"] >= 0.6, (where, sheet)
        week = week.next()


def test_the_print_button_prints_and_is_not_printed(demo_data, new_page, live_server):
    page = new_page(base_url=live_server.url, language="sv")
    page.goto("/mjolby/schedule/print/")
    button = page.get_by_role("button", name="Skriv ut affischen")
    assert button.is_visible(), "poster.js shows the button"
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    button.click()
    assert page.evaluate("() => window.printed === true")
    page.emulate_media(media="print")
    assert not button.is_visible()
    assert not page.problems.all(), "\n".join(page.problems.all())


def test_without_javascript_there_is_no_dead_print_button(demo_data, browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/mjolby/schedule/print/")
    assert page.locator("[data-print-page]").count() == 1
    assert not page.locator("[data-print-page]").is_visible()
    context.close()
