"""A municipality has a short name for lists ("Boxholm") and a formal name
for statements ("Boxholms kommun"): the accessibility and privacy pages
show the formal one as it is, never "Boxholms kommun kommun"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accessibility/", "/privacy/"])
@pytest.mark.parametrize("language", ["sv", "en"])
def test_statements_name_the_municipality_by_its_formal_name(client, url, language):
    factories.municipality("Boxholm", formal_name="Boxholms kommun", contact_email="kommun@boxholm.example")
    client.cookies["django_language"] = language
    page = client.get(url).content.decode()
    assert "Boxholms kommun: " in page
    assert "kommun kommun" not in page


@pytest.mark.django_db(transaction=True)
def test_existing_municipalities_get_a_formal_name_from_their_name():
    executor = MigrationExecutor(connection)
    executor.migrate([("agencies", "0003_venue_language")])
    old_apps = executor.loader.project_state([("agencies", "0003_venue_language")]).apps
    Municipality = old_apps.get_model("agencies", "Municipality")
    Municipality.objects.create(name="Mjölby", slug="mjolby")
    Municipality.objects.create(name="Boxholms kommun", slug="boxholm")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from agencies.models import Municipality as CurrentMunicipality

    formal = dict(CurrentMunicipality.objects.values_list("slug", "formal_name"))
    assert formal == {"mjolby": "Mjölby kommun", "boxholm": "Boxholms kommun"}
