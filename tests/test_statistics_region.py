"""The statistics page of a project lead with a whole region: dozens of
agencies and hundreds of series. The page shows each table's first rows and
says how many more the workbook has; the referral matrix gives a column
each only to the agencies that receive most referrals; the queries are the
same as with a small installation (tests/test_statistics_page.py)."""

import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Membership, Role
from sessions.models import StaffedSlot
from visitors.exports import workbook_bytes
from visitors.statistics import MATRIX_COLUMNS, PAGE_ROWS, Period, Scope, build_report

pytestmark = pytest.mark.django_db
URL = "/staff/stats/"


@pytest.fixture
def region():
    """20 municipalities with 25 venues and 120 series; 4,000 visits over
    the past year. Returns Rut, a project lead of the whole installation."""
    call_command(
        "seed_region", "--municipalities", "20", "--venues", "25", "--series", "120", "--visits", "4000",
        stdout=io.StringIO(),
    )  # fmt: skip
    rut = get_user_model().objects.create_user("rut", password="x")
    Membership.objects.create(user=rut, role=Role.PROJECT_LEAD)
    return rut


def last_twelve_months():
    today = timezone.localdate()
    return {"from": today.replace(year=today.year - 1).isoformat(), "to": today.isoformat()}


def report_of(user):
    today = timezone.localdate()
    return build_report(Scope.for_user(user), Period.range(today.replace(year=today.year - 1), today))


def table_html(html, slug):
    match = re.search(rf'id="{slug}-caption".*?</table>\s*</div>(.*?)(?=<div|<h2|</section)', html, re.S)
    assert match, slug
    return match.group(0)


def test_long_tables_show_their_first_rows_and_say_the_workbook_has_the_rest(client, region):
    series = StaffedSlot.objects.count()
    assert series > PAGE_ROWS
    client.force_login(region)
    html = client.get(URL, last_twelve_months(), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    staffed = table_html(html, "staffed_series")
    body = staffed.split("<tbody>")[1].split("</tbody>")[0]
    # The weakest 30 and "Outside the schedule".
    assert body.count("<tr>") == PAGE_ROWS + 1
    assert "Utanför schemat" in body
    report = report_of(region)
    left_out = len(report.table("staffed_series").rows) - PAGE_ROWS - 1
    assert left_out > 0
    assert f"{left_out} rader till finns i arbetsboken (Excel)." in staffed


def test_the_workbook_keeps_every_row(region):
    report = report_of(region)
    rows = len(report.table("staffed_series").rows)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)), read_only=True)
    sheet_rows = max(
        sum(1 for _ in sheet.iter_rows()) for sheet in book.worksheets if "serie" in sheet.title.lower()
    )
    assert sheet_rows > rows > PAGE_ROWS


def test_the_referral_matrix_has_a_column_for_each_of_the_agencies_most_referred_to(region):
    report = report_of(region)
    table = report.table("referrals")
    keys = [column.key for column in table.columns]
    assert keys[-2:] == ["others", "total"] and len(keys) == MATRIX_COLUMNS + 2
    # Every referral is counted once: in its agency's column or in "others".
    for row in table.rows:
        assert sum(row.values[:-1]) == row.values[-1]
    assert sum(row.values[-1] for row in table.rows) == table.totals.values[-1] > 0
    # The columns are the agencies that received most.
    received = {column.key: table.totals.values[i] for i, column in enumerate(table.columns[:-2])}
    assert min(received.values()) > 0
    # Rows: most referrals first.
    totals = [row.values[-1] for row in table.rows]
    assert totals == sorted(totals, reverse=True)


def test_the_region_page_makes_as_many_queries_as_a_small_installation(
    client, region, django_assert_num_queries
):
    client.force_login(region)
    # As tests/test_statistics_page.py lists them.
    with django_assert_num_queries(23):
        assert client.get(URL, last_twelve_months()).status_code == 200
