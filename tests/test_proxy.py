"""Behind the TLS proxy: X-Forwarded-For and X-Forwarded-Proto are believed
only when TRUSTED_PROXY_COUNT says a proxy stands in front, and then only
the hops the trusted proxies wrote (the rightmost ones). The login throttle
and the report form's limit both key on that one client address."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import RequestFactory

from agencies.accessibility import REPORTS_PER_WINDOW
from eserviceverkstad.client_ip import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"


@pytest.fixture
def one_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def address_of(**headers):
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers))


def test_without_a_trusted_proxy_a_clients_forwarded_for_is_ignored():
    assert django_settings.TRUSTED_PROXY_COUNT == 0
    assert address_of(HTTP_X_FORWARDED_FOR="203.0.113.9") == PROXY


@pytest.mark.parametrize(
    ("forwarded", "seen"),
    [
        ("198.51.100.4", "198.51.100.4"),
        # A client's own X-Forwarded-For, kept by a proxy that appends: the
        # proxy's hop is the rightmost, and only it counts.
        ("203.0.113.9, 198.51.100.4", "198.51.100.4"),
        (" 198.51.100.4 ", "198.51.100.4"),
        ("", PROXY),
    ],
)
def test_with_one_trusted_proxy_its_rightmost_hop_is_the_client(one_trusted_proxy, forwarded, seen):
    assert address_of(HTTP_X_FORWARDED_FOR=forwarded) == seen


def test_with_two_trusted_proxies_the_outer_proxys_hop_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert address_of(HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4, 10.0.0.2") == "198.51.100.4"
    # Fewer hops than proxies: the header did not come through them.
    assert address_of(HTTP_X_FORWARDED_FOR="198.51.100.4") == PROXY


def test_without_a_trusted_proxy_a_clients_forwarded_proto_does_not_make_the_request_https(client):
    response = client.get("/schedule/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


def fail_login(client, forwarded_for):
    return client.post(
        "/accounts/login/",
        {"username": "sofia", "password": "fel"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def log_in(client, forwarded_for):
    return client.post(
        "/accounts/login/",
        {"username": "sofia", "password": "rätt-lösenord-123"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_the_proxy_the_login_throttle_pauses_only_the_guessing_address(client, one_trusted_proxy):
    User.objects.create_user("sofia", "sofia@mjolby.example", "rätt-lösenord-123")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        fail_login(client, "203.0.113.66")
    assert log_in(client, "203.0.113.66").status_code == 429
    # Sofia herself, at the library, is not locked out by someone else's guesses.
    assert log_in(client, "198.51.100.4").status_code == 302


def test_without_a_trusted_proxy_the_login_throttle_ignores_a_forged_forwarded_for(client):
    User.objects.create_user("sofia", "sofia@mjolby.example", "rätt-lösenord-123")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        fail_login(client, "203.0.113.66")
    # A guesser cannot escape the pause by inventing a new address.
    assert log_in(client, "203.0.113.67").status_code == 429


@pytest.fixture
def mjolby_library():
    town = factories.municipality("Mjölby", contact_email="verkstad@mjolby.example")
    return factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")


def send_report(client, venue, forwarded_for):
    return client.post(
        "/accessibility/",
        {"venue": venue.pk, "page": "/", "description": "Knappen syns inte.", "reply_to": ""},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_the_proxy_the_report_limit_is_per_client(client, mjolby_library, one_trusted_proxy):
    for _ in range(REPORTS_PER_WINDOW):
        assert send_report(client, mjolby_library, "203.0.113.66").status_code == 302
    assert send_report(client, mjolby_library, "203.0.113.66").status_code == 429
    # The forged left-hand hop does not help; another resident is not affected.
    assert send_report(client, mjolby_library, "198.51.100.1, 203.0.113.66").status_code == 429
    assert send_report(client, mjolby_library, "198.51.100.4").status_code == 302
