"""The statistics count bookings: booked, came and did not come, per
series and per agency, in one query, on /staff/stats/ and in the
workbook. Cancelled bookings are not counted."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from tests.booking_fixture import kalmar_world
from visitors import booking as service
from visitors.exports import workbook_bytes
from visitors.models import BookingStatus
from visitors.statistics import Filters, Period, ReportBuilder, Scope, bookings_table, build_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cache.clear()
    world = kalmar_world()
    guidance, lecture = world["wednesday"], world["monday_lecture"]
    times = [start for start, _end in guidance.booking_times()]
    made = []
    for n, start in enumerate(times):
        request = service.BookingRequest(starts_at=start, name=f"Boende {n}", email=f"r{n}@example.se")
        made.append(service.book(guidance.pk, request))
    service.mark(made[0], BookingStatus.ATTENDED)
    service.mark(made[1], BookingStatus.NO_SHOW)
    service.cancel(made[2].pk)  # not counted
    seat = service.BookingRequest(starts_at=lecture.starts_at, name="Lyssnare", phone="0701234567")
    service.mark(service.book(lecture.pk, seat), BookingStatus.ATTENDED)
    world["period"] = Period.range(min(guidance.date, lecture.date), max(guidance.date, lecture.date))
    return world


def test_bookings_are_counted_per_series_and_per_agency(world):
    table = build_report(Scope.all(), world["period"]).table("bookings")
    counts = table.as_dict()
    assert counts[f"series-{world['guidance'].pk}"] == {"booked": 3, "attended": 1, "no_show": 1}
    assert counts[f"series-{world['lecture'].pk}"] == {"booked": 1, "attended": 1, "no_show": 0}
    assert counts[f"agency-{world['agency'].slug}"] == {"booked": 4, "attended": 2, "no_show": 1}
    assert counts["total"] == {"booked": 4, "attended": 2, "no_show": 1}


def test_the_bookings_table_is_one_query(world, django_assert_num_queries):
    builder = ReportBuilder(Scope.all(), world["period"], Filters())
    with django_assert_num_queries(1):  # bookings grouped by series, counted in the database
        bookings_table(builder)


def test_the_stats_page_and_the_workbook_show_the_bookings(client, world):
    anna = User.objects.create_superuser("anna", password="x")  # project lead's view: everything
    client.force_login(anna)
    page = client.get("/staff/stats/", world["period"].query())
    assert page.status_code == 200
    assert "Bokningar per verksamhet och serie" in page.content.decode()
    report = build_report(Scope.all(), world["period"])
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)))
    assert "Bokningar" in book.sheetnames
    rows = list(book["Bokningar"].iter_rows(values_only=True))
    assert ("Totalt", 4, 2, 1) in rows
