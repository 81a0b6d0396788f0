"""With a read replica (STATISTICS_DATABASE_URL), the statistics page reads
its figures there; the login before it, every other page and every write
stay on the primary."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from eserviceverkstad.db_routing import REPLICA, StatisticsReplicaRouter
from tests import statistics_fixture as fx

URL = "/staff/stats/"
NOVEMBER = {"period": "2026-11"}
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


def queries_on_each(client, path, params=None):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return response, len(primary), len(replica)


def test_the_statistics_page_reads_its_figures_on_the_replica(client, settings):
    world = fx.build()
    settings.STATISTICS_READ_REPLICA = True
    client.force_login(world.users["anna"])
    response, primary, replica = queries_on_each(client, URL, NOVEMBER)
    # The session and the user on the primary; the scope, the filter's
    # choices and the 17 figures' queries on the replica.
    assert primary == 2 and replica == 21
    assert "Besök per verksamhet" in response.content.decode()
    # Other pages stay on the primary.
    _response, primary, replica = queries_on_each(client, "/healthz")
    assert primary > 0 and replica == 0


def test_without_a_replica_everything_stays_on_the_primary(client):
    world = fx.build()
    client.force_login(world.users["anna"])
    _response, primary, replica = queries_on_each(client, URL, NOVEMBER)
    assert primary == 23 and replica == 0


def test_migrations_never_run_on_the_replica():
    router = StatisticsReplicaRouter()
    assert router.allow_migrate(REPLICA, "visitors") is False
    assert router.allow_migrate("default", "visitors") is True
