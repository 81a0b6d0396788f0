"""A resident on a 360 px phone books a time from the week page with the
keyboard alone, gets the confirmation e-mail (Django's test outbox: the
live server runs in this process and tasks run at once), and cancels with
the mail's link. The same works with JavaScript switched off, and the
booking pages pass axe-core in Swedish and English."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tests.booking_fixture import kalmar_world
from visitors.models import Booking, BookingStatus

pytestmark = pytest.mark.browser

MAX_TABS = 250


@pytest.fixture
def world(transactional_db):
    cache.clear()
    return kalmar_world()


def week_url(occurrence):
    return f"/schedule/{occurrence.local_start:%G-W%V}/"


def tab_to(page, selector):
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def assert_accessible(page, axe, what):
    violations = axe(page)
    assert not violations, f"{what}:\n{axe.report(violations)}"
    assert not page.problems.all(), page.problems.all()


def assert_fits(page, width=360):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def cancel_path(mail):
    link = next(line for line in mail.body.splitlines() if "/book/cancel/" in line)
    return urlsplit(link.strip()).path


def test_a_resident_books_with_the_keyboard_on_a_phone_and_cancels_from_the_mail(
    world, new_page, live_server, mailoutbox, axe
):
    occurrence = world["wednesday"]
    page = new_page(base_url=live_server.url, language="en", width=360)
    page.goto(week_url(occurrence))
    assert_accessible(page, axe, "the week page with a bookable session")
    tab_to(page, f"a[href='/book/{occurrence.pk}/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/book/{occurrence.pk}/")
    assert_accessible(page, axe, "the booking page")
    assert_fits(page)

    tab_to(page, "#id_time_0")
    page.keyboard.press("ArrowDown")  # 10:30, chosen with the arrow keys as in any radio group
    assert page.evaluate("() => document.querySelector('#id_time_1').checked")
    tab_to(page, "#id_name")
    page.keyboard.type("Amina")
    tab_to(page, "#id_email")
    page.keyboard.type("amina@example.se")
    tab_to(page, ".booking-form button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url("**/book/booked/**")
    booking = Booking.objects.get()
    assert booking.reference in page.content()
    assert_accessible(page, axe, "the confirmation page")
    assert_fits(page)

    [mail] = mailoutbox
    assert mail.subject == f"Your booking {booking.reference}"
    page.goto(cancel_path(mail))
    assert_accessible(page, axe, "the cancel page")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED  # opening the link cancels nothing
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your booking is cancelled").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert_accessible(page, axe, "the page after cancelling")


def test_the_same_flow_works_with_javascript_switched_off(world, browser, live_server, mailoutbox):
    occurrence = world["wednesday"]
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 360, "height": 800}
    )
    context.add_cookies([{"name": "django_language", "value": "sv", "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(week_url(occurrence))
        page.locator(f"a[href='/book/{occurrence.pk}/']").first.click()
        page.wait_for_url(f"**/book/{occurrence.pk}/")
        # A mistake first: neither phone nor e-mail. The page says what to fix.
        page.locator("label[for=id_time_2]").click()
        page.get_by_label("Ditt namn").fill("Amina")
        page.get_by_role("button", name="Boka tiden").click()
        assert "Skriv ett telefonnummer eller en e-postadress" in page.content()
        assert page.locator("#id_time_2").is_checked()  # the choice is kept
        page.get_by_label("Telefon").fill("070-123 45 67")
        page.get_by_role("button", name="Boka tiden").click()
        page.wait_for_url("**/book/booked/**")
        booking = Booking.objects.get()
        assert booking.phone == "0701234567" and booking.reference in page.content()
        assert mailoutbox == []  # phone only: a text message in the outbox instead
        page.get_by_role("link", name="Avboka").click()
        page.get_by_role("button", name="Ja, avboka").click()
        page.get_by_role("heading", name="Din bokning är avbokad").wait_for()
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
    finally:
        context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_booking_page_with_errors_passes_axe(world, new_page, live_server, axe, language):
    page = new_page(base_url=live_server.url, language=language, width=360)
    page.goto(f"/book/{world['monday_lecture'].pk}/")
    assert_accessible(page, axe, f"the lecture's booking page ({language})")
    page.locator(".booking-form button[type=submit]").click()
    page.locator("#error-summary").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert_accessible(page, axe, f"the booking page with errors ({language})")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_waiting_list_pages_pass_axe_and_fit_a_phone(world, new_page, live_server, axe, language):
    from visitors import booking as service

    lecture = world["monday_lecture"]
    for n in range(lecture.slot.capacity):
        seat = service.BookingRequest(
            starts_at=lecture.starts_at, name=f"Lyssnare {n}", email=f"l{n}@example.se"
        )
        service.book(lecture.pk, seat)
    page = new_page(base_url=live_server.url, language=language, width=360)
    page.goto(f"/book/{lecture.pk}/")
    assert_accessible(page, axe, f"the full lecture's booking page ({language})")
    page.locator(f"a[href='/book/{lecture.pk}/wait/']").click()
    page.wait_for_url(f"**/book/{lecture.pk}/wait/")
    assert_accessible(page, axe, f"the waiting list page ({language})")
    assert_fits(page)
    page.fill("#id_name", "Bertil")
    page.fill("#id_email", f"bertil-{language}@example.se")
    page.locator(".booking-form button[type=submit]").click()
    page.locator("[role=status]").wait_for()
    assert_accessible(page, axe, f"the waiting list page, joined ({language})")
