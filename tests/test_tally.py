"""Tally mode: tap per topic during a busy drop-in hour, keep the counts
across reloads, save them as visits of the occurrence."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from agencies.models import Membership, Role
from tests import factories
from visitors.models import TallyCount, Visit, VisitChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_hour():
    town = factories.municipality("Mjölby")
    library = factories.agency("Mjölby bibliotek", municipality=town)
    bankid, tax = factories.topic("BankID", slug="bankid"), factories.topic("Deklaration", slug="deklaration")
    today = timezone.localdate()
    slot = factories.slot(
        library,
        factories.venue(town),
        weekday=today.weekday(),
        first_date=today,
        start_time=datetime.time(0),
        end_time=datetime.time(23, 59),
        topics=[bankid, tax],
    )
    staff = User.objects.create_user("maja", password="x")
    Membership.objects.create(user=staff, role=Role.STAFF, agency=library)
    return slot.occurrences.get(date=today), staff, bankid, tax


def test_taps_count_per_topic_and_survive_a_reload(client, busy_hour):
    occurrence, staff, bankid, tax = busy_hour
    client.force_login(staff)
    tap_url = f"/staff/tally/{occurrence.pk}/tap/"
    for topic in [bankid.pk, bankid.pk, tax.pk, "other"]:
        assert client.post(tap_url, {"topic": topic}).status_code == 302
    client.post(tap_url, {"topic": tax.pk, "step": "-1"})
    client.post(tap_url, {"topic": tax.pk, "step": "-1"})  # never below zero
    page = client.get(f"/staff/tally/{occurrence.pk}/")
    assert page.context["total"] == 3
    assert dict((topic.slug, count) for topic, count in page.context["counters"]) == {
        "bankid": 2,
        "deklaration": 0,
    }


def test_saving_the_tally_makes_one_visit_per_tap_and_clears_it(client, busy_hour):
    occurrence, staff, bankid, tax = busy_hour
    client.force_login(staff)
    for topic in [bankid.pk, bankid.pk, tax.pk, "other"]:
        client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": topic})
    response = client.post(f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved"})
    assert response.status_code == 302
    visits = Visit.objects.filter(occurrence=occurrence)
    assert visits.count() == 4
    assert visits.filter(topics=bankid).count() == 2
    assert set(visits.values_list("duration_minutes", "logged_by__username")) == {(10, "maja")}
    assert VisitChange.objects.count() == 4
    assert not TallyCount.objects.exists()
    # A second submit finds nothing left to save.
    client.post(f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved"})
    assert visits.count() == 4


@pytest.mark.parametrize("topic", ["999999", "99999999999999999999", "x", ""])
def test_a_tap_on_an_unknown_counter_is_a_404_and_counts_nothing(client, busy_hour, topic):
    occurrence, staff, *_ = busy_hour
    client.force_login(staff)
    assert client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": topic}).status_code == 404
    assert not TallyCount.objects.exists()


def test_a_bad_save_form_saves_nothing(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    client.force_login(staff)
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(f"/staff/tally/{occurrence.pk}/save/", {"duration": "0", "outcome": "solved"})
    assert not Visit.objects.exists()
    assert TallyCount.objects.get().count == 1


def test_a_tally_saved_before_the_hour_begins_never_starts_in_the_future(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    later = timezone.now() + datetime.timedelta(hours=2)
    occurrence.starts_at, occurrence.ends_at = later, later + datetime.timedelta(hours=1)
    occurrence.save()
    client.force_login(staff)
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved"})
    assert Visit.objects.get().started_at <= timezone.now()
