"""Logging in and out on a shared tablet: throttled failures that lift by
themselves, password reset by e-mail, sessions that end with the day."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User

from agencies.models import Membership, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia():
    return User.objects.create_user("sofia", "sofia@mjolby.example", "rätt-lösenord-123")


def attempt(client, username, password, address="10.1.2.3"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_staff_log_in_and_land_on_my_day(client, sofia):
    Membership.objects.create(user=sofia, role=Role.STAFF, agency=factories.agency())
    response = attempt(client, "sofia", "rätt-lösenord-123")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/staff/"


def test_a_wrong_password_gets_a_message(client, sofia):
    response = attempt(client, "sofia", "fel")
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_five_failures_pause_that_user_name_from_that_address_and_the_pause_lifts(client, sofia):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "sofia", "fel")
    locked = attempt(client, "sofia", "rätt-lösenord-123")
    assert locked.status_code == 429
    assert 'href="/accounts/password-reset/"' in locked.content.decode()
    # Another address is not paused: the rule is per user name and address.
    assert attempt(client, "sofia", "rätt-lösenord-123", address="10.9.9.9").status_code == 302
    client.logout()
    # After the cool-off the pause lifts by itself.
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert attempt(client, "sofia", "rätt-lösenord-123").status_code == 302


def test_password_reset_sends_a_link_by_e_mail(client, sofia, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "sofia@mjolby.example"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
    assert mailoutbox[0].to == ["sofia@mjolby.example"]


def test_log_out_needs_a_post_and_ends_the_session(client, sofia):
    client.force_login(sofia)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_ends_with_the_working_day_or_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 10 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
