"""The refusal pages are the site's own: in the visitor's language, inside
the site's layout, with a way back, for a missing role (403) and for a form
sent without a valid CSRF token."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import permission_denied

pytestmark = pytest.mark.django_db

WORDING = {
    "sv": {
        "no_access": "Du har inte behörighet till den här sidan",
        "ask": "Fråga din samordnare",
        "log_in_first": "Logga in först",
        "csrf": "Formuläret kunde inte skickas",
        "again": "Öppna sidan igen",
        "start": "Gå till startsidan",
    },
    "en": {
        "no_access": "You do not have access to this page",
        "ask": "Ask your coordinator",
        "log_in_first": "Log in first",
        "csrf": "The form could not be sent",
        "again": "Open the page again",
        "start": "Go to the start page",
    },
}


@pytest.fixture
def olle():
    """Has an account but no role: no agency, no municipality."""
    return User.objects.create_user("olle", password="x")


def in_language(client, language):
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_user_without_the_role_gets_the_sites_own_403_page(client, olle, language):
    client.force_login(olle)
    response = in_language(client, language).get("/staff/")
    page = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in page
    assert WORDING[language]["no_access"] in page
    assert WORDING[language]["ask"] in page
    assert 'href="/"' in page and WORDING[language]["start"] in page
    assert 'class="staff-bar"' in page  # the site's layout, with the way to log out


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_anonymous_visitor_refused_is_offered_the_login(language):
    request = RequestFactory().get("/admin/some-page/")
    request.user = AnonymousUser()
    with translation.override(language):
        response = permission_denied(request, PermissionDenied())
    page = response.content.decode()
    assert response.status_code == 403
    assert WORDING[language]["log_in_first"] in page
    assert 'href="/accounts/login/?next=/admin/some-page/"' in page


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_form_sent_without_a_csrf_token_gets_the_sites_own_page_with_a_way_back(language):
    client = in_language(Client(enforce_csrf_checks=True), language)
    response = client.post(
        "/accounts/login/",
        {"username": "olle", "password": "x"},
        HTTP_REFERER="http://testserver/accounts/login/?next=/staff/",
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in page
    assert WORDING[language]["csrf"] in page
    assert 'href="http://testserver/accounts/login/?next=/staff/"' in page
    assert WORDING[language]["again"] in page
    assert WORDING[language]["start"] in page
    assert "CSRF verification failed" not in page


def test_the_csrf_page_never_links_back_to_another_site():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {}, HTTP_REFERER="https://evil.example/login/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "evil.example" not in page
    assert ">Öppna sidan igen</a>" not in page
    assert 'href="/"' in page
