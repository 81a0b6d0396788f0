"""The endpoints monitors and crawlers use: /healthz and /robots.txt answer
HEAD as well as GET, and a broken database is reported without its details."""

import logging

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

pytestmark = pytest.mark.django_db

# What a real connection failure says: it names the host and the user.
DATABASE_ERROR = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: user "eservice"'


@pytest.mark.parametrize("url", ["/healthz", "/robots.txt"])
def test_monitors_may_ask_with_head(client, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("url", ["/healthz", "/robots.txt"])
def test_changing_methods_are_refused(client, url):
    assert client.post(url).status_code == 405


@pytest.fixture
def unreachable_database(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError(DATABASE_ERROR)

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)


def test_an_unreachable_database_gives_503_with_the_detail_only_in_the_log(
    client, unreachable_database, caplog
):
    with caplog.at_level(logging.ERROR, logger="eserviceverkstad.views"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "db.internal" not in response.content.decode()
    assert "eservice" not in response.content.decode()
    assert DATABASE_ERROR in caplog.text
