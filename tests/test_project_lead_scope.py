"""A project lead's membership names the municipalities of their project:
Kristina leads Kalmar län's project (here: Kalmar) and sees Kalmar's
figures, exports, monthly report and admin rows only; Anna, whose
membership names none, leads the whole installation and sees everything.
The hand-built month of tests/statistics_fixture.py."""

import datetime

import pytest
from django.contrib.auth.models import User

from agencies.models import Membership, Role
from agencies.permissions import municipalities_for, statistics_scope
from agencies.roles import grant_project_lead
from tests import statistics_fixture as fx
from tests.test_monthly_report import visit_venues
from visitors import reports
from visitors.models import ReportKind

pytestmark = pytest.mark.django_db

URL = "/staff/stats/"
NOVEMBER = {"period": "2026-11"}


@pytest.fixture
def world():
    world = fx.build()
    kristina = User.objects.create_user("kristina", email="kristina@region.example", first_name="Kristina")
    grant_project_lead(kristina, [world.municipalities["kalmar"]])
    world.users["kristina"] = kristina
    world.users["anna"].email = "anna@example.org"
    world.users["anna"].save()
    return world


def stats(client, user, params=None):
    client.force_login(user)
    return client.get(URL, {**NOVEMBER, **(params or {})}, HTTP_ACCEPT_LANGUAGE="sv")


def test_a_project_lead_of_kalmar_sees_kalmars_figures_and_is_refused_mjolbys(client, world):
    kristina = world.users["kristina"]
    page = stats(client, kristina)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kalmar stadsbibliotek" in html and "Mjölby" not in html
    for refused in ({"municipality": "mjolby"}, {"venue": "mjolby-bibliotek"}):
        assert stats(client, kristina, refused).status_code == 404
    export = client.get("/staff/stats/export.csv", NOVEMBER)
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "Kalmar stadsbibliotek" in body and "Mjölby bibliotek" not in body


def test_a_project_lead_naming_no_municipality_still_sees_every_municipality(client, world):
    html = stats(client, world.users["anna"]).content.decode()
    assert "Kalmar stadsbibliotek" in html and "Mjölby bibliotek" in html
    assert statistics_scope(world.users["anna"]).everything
    assert municipalities_for(world.users["anna"]) is None


def test_the_admin_and_the_monthly_report_keep_a_regional_project_lead_to_the_region(world, mailoutbox):
    kristina = world.users["kristina"]
    assert list(municipalities_for(kristina)) == [world.municipalities["kalmar"]]
    reports.send_monthly_reports(ReportKind.PRELIMINARY, today=datetime.date(2026, 12, 1))
    (mail,) = [message for message in mailoutbox if message.to == ["kristina@region.example"]]
    ((_name, content, _type),) = mail.attachments
    assert visit_venues(content)[0] == {"Kalmar stadsbibliotek"}


def test_the_admin_refuses_municipalities_on_a_membership_that_is_not_a_project_leads(client, world):
    superuser = User.objects.create_superuser("ingrid", password="x")
    client.force_login(superuser)
    karin = Membership.objects.get(user=world.users["karin"])
    response = client.post(
        f"/admin/agencies/membership/{karin.pk}/change/",
        {
            "user": karin.user_id,
            "role": Role.COORDINATOR,
            "language": "sv",
            "municipality": karin.municipality_id,
            "municipalities": [world.municipalities["mjolby"].pk],
        },
    )
    assert response.status_code == 200
    assert "Bara en projektledare kan ha kommuner i ett projekt." in response.content.decode()
    assert not karin.municipalities.exists()
