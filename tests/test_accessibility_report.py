"""The accessibility statement and its report form: the DOS law's content,
reports stored for coordinators and e-mailed to the venue's municipality,
bad input refused on the field, and a rate limit per client address."""

import datetime
import socket

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.accessibility import REPORTS_PER_WINDOW, purge_expired_reports
from agencies.models import REPORT_MAX_LENGTH, AccessibilityReport, Membership, Role
from agencies.permissions import COORDINATORS_GROUP, ensure_role_groups
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mjolby_library():
    town = factories.municipality("Mjölby", contact_email="verkstad@mjolby.example")
    return factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")


@pytest.fixture
def kalmar_library():
    town = factories.municipality("Kalmar", contact_email="")
    return factories.venue(town, name="Kalmar stadsbibliotek", slug="kalmar-stadsbibliotek")


def report(chosen, **fields):
    return {
        "venue": chosen.pk,
        "page": "/schedule/",
        "description": "Filtret går inte att använda med skärmläsare.",
        "reply_to": "",
        **fields,
    }


def test_statement_has_the_dos_law_content(client, mjolby_library, django_assert_num_queries):
    client.cookies["django_language"] = "en"
    # Queries: the municipalities (their contact addresses); the venues for
    # the report form.
    with django_assert_num_queries(2):
        response = client.get("/accessibility/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "partly meets the requirements of the DOS law" in page  # conformance status
    assert "WCAG) 2.1 at level AA" in page
    assert "What is not accessible" in page  # known gaps
    assert "reloads itself every minute" in page
    assert 'id="report"' in page  # how to report
    assert 'href="mailto:verkstad@mjolby.example"' in page
    assert "Myndigheten för digital förvaltning, Digg" in page  # the supervisory authority
    assert 'href="https://www.digg.se/tdosanmalan"' in page
    assert "25 November 2026" in page  # reviewed, formatted by Babel
    assert '<label for="id_description">What is the problem?' in page


def test_a_report_is_stored_and_emailed_to_the_venues_municipality(client, mjolby_library, mailoutbox):
    client.cookies["django_language"] = "en"
    response = client.post("/accessibility/", report(mjolby_library, reply_to="boende@example.se"))
    assert response.status_code == 302
    assert response["Location"] == "/accessibility/#report"
    stored = AccessibilityReport.objects.get()
    assert stored.venue == mjolby_library
    assert stored.description == "Filtret går inte att använda med skärmläsare."
    assert stored.language == "en"
    assert stored.emailed_to == "verkstad@mjolby.example"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["verkstad@mjolby.example"]
    assert mail.reply_to == ["boende@example.se"]
    assert "Mjölby bibliotek" in mail.subject
    assert "Filtret går inte att använda med skärmläsare." in mail.body
    assert "/schedule/" in mail.body
    # The thank-you message is shown once, after the redirect.
    assert "We have received your report" in client.get(response["Location"]).content.decode()


def test_a_report_without_an_email_address_has_no_reply_to(client, mjolby_library, mailoutbox):
    client.post("/accessibility/", report(mjolby_library))
    assert mailoutbox[0].reply_to == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"description": ""}, "description", "Describe the problem, so that we can fix it."),
        ({"description": "   \n\t  "}, "description", "Describe the problem, so that we can fix it."),
        (
            {"description": "x" * (REPORT_MAX_LENGTH + 1)},
            "description",
            f"Write at most {REPORT_MAX_LENGTH} characters. "
            f"Your text has {REPORT_MAX_LENGTH + 1} characters.",
        ),
        ({"description": "Trasig\x00knapp"}, "description", "Null characters are not allowed."),
        ({"venue": ""}, "venue", "Choose the workshop, so we know who should fix it."),
        ({"venue": "999999"}, "venue", "Select a valid choice."),
        ({"venue": "not a number"}, "venue", "Select a valid choice."),
        ({"reply_to": "not an address"}, "reply_to", "Write an e-mail address such as name@example.se"),
        ({"page": "p" * 301}, "page", "Ensure this value has at most 300 characters"),
    ],
)
def test_bad_reports_get_a_message_on_the_field_and_nothing_is_stored(
    client, mjolby_library, mailoutbox, fields, field, message
):
    client.cookies["django_language"] = "en"
    response = client.post("/accessibility/", report(mjolby_library, **fields))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page
    assert message in page.split(f'id="id_{field}_error"')[1].split("</ul>")[0]
    assert 'aria-invalid="true"' in page
    assert "The report was not sent." in page
    assert AccessibilityReport.objects.count() == 0
    assert mailoutbox == []


def test_a_report_exactly_at_the_limit_is_accepted(client, mjolby_library):
    response = client.post("/accessibility/", report(mjolby_library, description="å" * REPORT_MAX_LENGTH))
    assert response.status_code == 302
    assert len(AccessibilityReport.objects.get().description) == REPORT_MAX_LENGTH


def test_reports_are_rate_limited_per_client_address(client, mjolby_library, mailoutbox):
    client.cookies["django_language"] = "en"
    for _ in range(REPORTS_PER_WINDOW):
        response = client.post("/accessibility/", report(mjolby_library), REMOTE_ADDR="10.0.0.7")
        assert response.status_code == 302
    refused = client.post("/accessibility/", report(mjolby_library), REMOTE_ADDR="10.0.0.7")
    assert refused.status_code == 429
    assert "Many reports have been sent from your connection" in refused.content.decode()
    assert AccessibilityReport.objects.count() == REPORTS_PER_WINDOW
    assert len(mailoutbox) == REPORTS_PER_WINDOW
    # Another address is not affected.
    assert client.post("/accessibility/", report(mjolby_library), REMOTE_ADDR="10.0.0.8").status_code == 302
    assert AccessibilityReport.objects.count() == REPORTS_PER_WINDOW + 1


def test_invalid_reports_do_not_count_against_the_limit(client, mjolby_library):
    for _ in range(REPORTS_PER_WINDOW + 2):
        client.post("/accessibility/", report(mjolby_library, description=""), REMOTE_ADDR="10.0.0.9")
    assert client.post("/accessibility/", report(mjolby_library), REMOTE_ADDR="10.0.0.9").status_code == 302


def test_a_municipality_without_an_address_still_gets_the_report_stored(client, kalmar_library, mailoutbox):
    response = client.post("/accessibility/", report(kalmar_library))
    assert response.status_code == 302
    assert AccessibilityReport.objects.get().emailed_to == ""
    assert mailoutbox == []


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_mail_server_that_is_down_does_not_lose_the_report(client, mjolby_library, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    response = client.post("/accessibility/", report(mjolby_library))
    assert response.status_code == 302
    stored = AccessibilityReport.objects.get()
    assert stored.emailed_to == ""


def test_only_get_and_post_are_allowed(client):
    assert client.put("/accessibility/").status_code == 405


def test_reports_older_than_a_year_are_deleted(mjolby_library):
    old = AccessibilityReport.objects.create(venue=mjolby_library, description="Gammal")
    a_year_ago = timezone.now() - datetime.timedelta(days=366)
    AccessibilityReport.objects.filter(pk=old.pk).update(created_at=a_year_ago)
    recent = AccessibilityReport.objects.create(venue=mjolby_library, description="Ny")
    assert purge_expired_reports() == 1
    assert list(AccessibilityReport.objects.all()) == [recent]


def test_the_nightly_purge_is_scheduled():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="purge-accessibility-reports")
    assert schedule.func == "agencies.accessibility.purge_expired_reports"
    assert schedule.schedule_type == Schedule.DAILY


def test_coordinators_see_their_municipalitys_reports_in_the_admin(client, mjolby_library, kalmar_library):
    AccessibilityReport.objects.create(venue=mjolby_library, description="Mjölby-problemet")
    AccessibilityReport.objects.create(venue=kalmar_library, description="Kalmar-problemet")
    groups = ensure_role_groups()
    user = get_user_model().objects.create_user("lena", password="x", is_staff=True)
    user.groups.add(groups[COORDINATORS_GROUP])
    Membership.objects.create(user=user, role=Role.COORDINATOR, municipality=mjolby_library.municipality)
    client.force_login(user)
    page = client.get("/admin/agencies/accessibilityreport/").content.decode()
    assert "Mjölby-problemet" in page
    assert "Kalmar-problemet" not in page
    assert client.get("/admin/agencies/accessibilityreport/add/").status_code == 403
