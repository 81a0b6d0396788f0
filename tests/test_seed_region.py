"""``seed_region`` and the shipped list of municipalities: Sweden's 290
kommuner in their 21 län, and a small region built in bulk."""

import collections
from io import StringIO

import pytest
from django.core.management import call_command

from agencies.models import Agency, AgencyLevel, Municipality, Venue
from agencies.region import municipality_rows
from sessions.models import Format, Occurrence, Recurrence, StaffedSlot
from visitors.models import Visit


def test_the_list_holds_290_municipalities_in_21_regions_with_known_counts():
    rows = municipality_rows()
    assert len(rows) == 290
    per_region = collections.Counter(row["region"] for row in rows)
    assert len(per_region) == 21
    assert per_region["Kalmar län"] == 12
    assert per_region["Östergötlands län"] == 13
    assert per_region["Stockholms län"] == 26
    assert per_region["Västra Götalands län"] == 49
    assert per_region["Skåne län"] == 33
    assert per_region["Gotlands län"] == 1
    assert len({row["slug"] for row in rows}) == 290
    assert len({row["name"] for row in rows}) == 290
    by_name = {row["name"]: row for row in rows}
    assert by_name["Mjölby"]["region"] == "Östergötlands län"
    assert by_name["Kalmar"] == {"name": "Kalmar", "slug": "kalmar", "formal_name": "Kalmar kommun",
                                 "region": "Kalmar län"}  # fmt: skip
    assert by_name["Gotland"]["formal_name"] == "Region Gotland"


def seed(*args):
    out = StringIO()
    call_command("seed_region", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_small_region_is_built_in_bulk_once(django_assert_max_num_queries):
    # Queries do not grow with each row: batches of inserts. SQLite caps the
    # variables of one statement, so its batches of some 3,000 sessions are
    # smaller with a column per language (about 30 batches), PostgreSQL's fewer.
    with django_assert_max_num_queries(60):
        output = seed("--municipalities", "3", "--venues", "5", "--series", "30")
    assert "3 municipalities in 1 regions, 5 venues, 30 new series" in output
    assert set(Municipality.objects.values_list("region", flat=True)) == {"Stockholms län"}
    assert Venue.objects.count() == 5
    assert Agency.objects.filter(level=AgencyLevel.NATIONAL).count() == 5
    assert Agency.objects.filter(level=AgencyLevel.MUNICIPAL).count() == 6
    series = StaffedSlot.objects.all()
    assert series.count() == 30
    assert {slot.format for slot in series} == set(Format)
    assert {slot.recurrence for slot in series} == set(Recurrence)
    # Twelve months back and ahead: a weekly series has some 104 sessions.
    weekly = series.filter(recurrence=Recurrence.WEEKLY, interval=1).first()
    assert 100 <= weekly.occurrences.count() <= 106
    before = Occurrence.objects.count()
    assert "0 new series with 0 occurrences" in seed(
        "--municipalities", "3", "--venues", "5", "--series", "30"
    )
    assert (StaffedSlot.objects.count(), Occurrence.objects.count()) == (30, before)


@pytest.mark.django_db
def test_visits_are_added_over_the_past_year():
    seed("--municipalities", "2", "--venues", "2", "--series", "10", "--visits", "500")
    assert Visit.objects.count() == 500
    assert Visit.objects.values("venue__municipality").distinct().count() == 2
