"""/open-data/: the published figures of closed months per municipality, as
HTML, CSV and JSON, for anyone; never a count from 1 to 4, and never a
month still inside its 14 days for corrections."""

import csv
import datetime
import io
import json
import re
from pathlib import Path

import pytest
from django.core.cache import caches

from tests import statistics_fixture as fx
from visitors import open_data

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world():
    return fx.build()


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        monkeypatch.setattr(open_data, "today", lambda: day)

    return set_day


def small_counts(values):
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4]


def all_values(data):
    if isinstance(data, dict):
        return [v for key, value in data.items() if key not in ("month",) for v in all_values(value)]
    if isinstance(data, list):
        return [v for value in data for v in all_values(value)]
    return [data]


def test_a_month_is_published_once_its_days_for_corrections_have_passed(client, world, on_day):
    on_day(datetime.date(2026, 12, 14))  # the last day logs of November may be corrected
    assert client.get("/open-data/2026-11.json").status_code == 404
    assert client.get("/open-data/2026-11.csv").status_code == 404
    assert client.get("/open-data/", {"month": "2026-11"}).status_code == 404
    assert "2026-11" not in client.get("/open-data/").content.decode()
    on_day(datetime.date(2026, 12, 15))
    # The page cache keys on the real day, which has not changed here.
    caches["pages"].clear()
    assert client.get("/open-data/2026-11.json").status_code == 200
    assert "?month=2026-11" in client.get("/open-data/").content.decode()


def test_json_has_the_schema_the_licence_and_suppressed_figures(client, world, on_day):
    on_day(datetime.date(2026, 12, 20))
    response = client.get("/open-data/2026-11.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["schema"] == "eserviceverkstad-open-data/1"
    assert (data["licence"], data["month"]) == ("CC0-1.0", "2026-11")
    towns = {town["slug"]: town for town in data["municipalities"]}
    mjolby, kalmar = towns["mjolby"], towns["kalmar"]
    # Mjölby: V1-V12 less V11's and V12's... every visit at Mjölby's venue in November.
    assert (mjolby["visits"], mjolby["people"], mjolby["staffed_hours"]) == (12, 15, 5.0)
    assert {row["key"]: row["visits"] for row in mjolby["agencies"]} == {"barnomsorg": 5, "skatteverket": 7}
    # Kalmar had 4 visits: hidden, and so is every figure it could be worked out from.
    assert kalmar["visits"] == "<5" and kalmar["people"] == "<5"
    assert not small_counts(all_values(data))


def test_csv_is_one_figure_per_line_with_a_stable_header(client, world, on_day):
    on_day(datetime.date(2026, 12, 20))
    response = client.get("/open-data/2026-11.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["month", "municipality", "measure", "key", "name", "value"]
    figures = {(r["municipality"], r["measure"], r["key"]): r["value"] for r in rows}
    assert figures["mjolby", "visits", ""] == "12"
    assert figures["mjolby", "agency_visits", "skatteverket"] == "7"
    assert figures["kalmar", "visits", ""] == "<5"
    assert {r["measure"] for r in rows} == {
        "visits",
        "people",
        "staffed_hours",
        "agency_visits",
        "topic_visits",
    }
    assert not [r for r in rows if r["measure"] != "staffed_hours" and r["value"] in {"1", "2", "3", "4"}]


def test_the_page_shows_the_latest_closed_month_without_small_counts(client, world, on_day):
    on_day(datetime.date(2026, 12, 20))
    response = client.get("/open-data/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "November 2026" in html and "CC0 1.0" in html
    assert 'href="/open-data/2026-11.csv"' in html and 'href="/open-data/2026-11.json"' in html
    cells = re.findall(r"<(?:td|dd)[^>]*>\s*([^<]*?)\s*</(?:td|dd)>", html)
    assert "12" in cells and "&lt;5" in cells
    assert not [cell for cell in cells if cell in {"1", "2", "3", "4"}]


def test_open_data_is_for_anyone_and_cached_like_the_public_pages(
    client, world, on_day, django_assert_num_queries
):
    on_day(datetime.date(2026, 12, 20))
    assert client.get("/open-data/2026-11.json").status_code == 200
    # The page cache: the schedule version, and nothing else.
    with django_assert_num_queries(1):
        assert client.get("/open-data/2026-11.json").status_code == 200


def test_a_malformed_month_is_a_404(client, world):
    assert client.get("/open-data/", {"month": "2026-13"}).status_code == 404
    assert client.get("/open-data/", {"month": "2026"}).status_code == 404


def test_the_schema_is_documented():
    text = (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    for word in ("eserviceverkstad-open-data/1", "CC0", "<5", *open_data.CSV_COLUMNS, "topic_visits"):
        assert word in text
