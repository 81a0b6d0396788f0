"""The endpoints monitors and crawlers use: /healthz and /robots.txt answer
HEAD as well as GET, and a broken database is reported without its details;
/healthz/tasks fails when no task cluster has reported for a few minutes."""

import logging
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from eserviceverkstad.views import CLUSTER_SEEN_KEY, CLUSTER_SILENCE_SECONDS

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


def report_a_cluster():
    """What a running qcluster writes every half second: its signed status,
    under its key, kept 3 seconds."""
    broker = get_broker()
    status = Status(pid=4242, cluster_id=uuid.uuid4())
    broker.set_stat(Stat.get_key(status.cluster_id), SignedPackage.dumps(status, True), 3)


def test_without_any_task_cluster_healthz_stays_ok_but_the_task_check_fails(client):
    assert client.get("/healthz").status_code == 200
    response = client.get("/healthz/tasks")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "clusters": 0, "last_report": None}


def test_a_reporting_cluster_makes_the_task_check_ok(client):
    report_a_cluster()
    response = client.get("/healthz/tasks")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["clusters"] == 1
    assert client.head("/healthz/tasks").status_code == 200


@pytest.mark.parametrize(("silent_for", "status"), [(60, 200), (CLUSTER_SILENCE_SECONDS + 1, 503)])
def test_a_cluster_that_stopped_reporting_fails_the_check_after_a_few_minutes(client, silent_for, status):
    # A restart of the cluster (seconds) passes; minutes of silence do not.
    cache.set(CLUSTER_SEEN_KEY, time.time() - silent_for)
    assert client.get("/healthz/tasks").status_code == status


def test_the_task_check_hides_database_errors_too(client, unreachable_database, caplog):
    with caplog.at_level(logging.ERROR, logger="eserviceverkstad.views"):
        response = client.get("/healthz/tasks")
    assert response.status_code == 503
    assert "db.internal" not in response.content.decode()
    assert DATABASE_ERROR in caplog.text
