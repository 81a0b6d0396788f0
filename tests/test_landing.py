"""Every role lands on the page it works from after logging in: staff and
coordinators on "my day", the project lead on what they may see, and an
account without a role on a page that says so instead of a bare 403."""

import pytest
from django.contrib.auth.models import User

from agencies.models import Membership, Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "rätt-lösenord-123"


def person(username, role=None, **scope):
    user = User.objects.create_user(username, f"{username}@kommun.example", PASSWORD)
    if role:
        Membership.objects.create(user=user, role=role, **scope)
    return user


def land(client, username):
    """Log in through the form and follow redirects to the landing page."""
    credentials = {"username": username, "password": PASSWORD}
    response = client.post("/accounts/login/", credentials, follow=True, HTTP_ACCEPT_LANGUAGE="sv")
    return response.redirect_chain[-1][0] if response.redirect_chain else None, response


@pytest.fixture
def town():
    return factories.municipality("Mjölby")


def test_staff_land_on_my_day(client, town):
    person("sofia", Role.STAFF, agency=factories.agency(municipality=town))
    where, response = land(client, "sofia")
    assert where == "/staff/" and response.status_code == 200


def test_a_coordinator_lands_on_my_day(client, town):
    person("lena", Role.COORDINATOR, municipality=town)
    where, response = land(client, "lena")
    assert where == "/staff/" and response.status_code == 200


def test_the_project_lead_lands_on_their_statistics(client, town):
    person("pia", Role.PROJECT_LEAD)
    where, response = land(client, "pia")
    assert response.status_code == 200, where
    assert where == "/staff/stats/"


def test_an_account_without_a_role_is_told_so_in_its_language(client, town):
    person("olle")
    _where, response = land(client, "olle")
    assert response.status_code == 403
    assert "har ingen roll" in response.content.decode()
