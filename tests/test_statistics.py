"""The statistics computations (visitors/statistics.py) against a hand-built
month whose every figure is worked out by hand (tests/statistics_fixture.py),
the month boundaries across daylight-saving changes, the scopes, and the
small-number suppression on hand-made tables."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from tests import statistics_fixture as fx
from visitors.models import Visit
from visitors.statistics import (
    COUNT,
    RATIO,
    SUPPRESSED,
    Column,
    Filters,
    Period,
    Row,
    Scope,
    Table,
    build_report,
    suppress,
)

pytestmark = pytest.mark.django_db
NOVEMBER = Period.month(2026, 11)


@pytest.fixture
def world():
    return fx.build()


@pytest.fixture
def report(world):
    with translation.override("sv"):
        return build_report(Scope.all(), NOVEMBER)


def visits_and_people(table):
    return {key: (row["visits"], row["people"]) for key, row in table.as_dict().items()}


@pytest.mark.parametrize("slug", sorted(fx.EXPECTED))
def test_every_breakdown_has_the_hand_counted_figures(report, slug):
    assert visits_and_people(report.table(slug)) == fx.EXPECTED[slug]


def test_headline_figures_compare_with_the_month_before_and_a_year_earlier(report):
    visits, people = report.figure("visits"), report.figure("people")
    assert (visits.value, visits.previous, visits.year_earlier) == (16, 1, 1)
    assert (people.value, people.previous, people.year_earlier) == (19, 1, 2)
    assert (visits.change_previous, visits.percent_previous) == (15, 1500)
    assert (people.change_year, people.percent_year) == (17, 850)
    assert report.figure("staffed_hours").value == Decimal("12.50")
    assert report.figure("per_staffed_hour").value == Decimal("1.04")


def test_staffed_hours_per_series_weakest_first_with_the_visits_outside_the_schedule_last(world, report):
    table = report.table("staffed_series")
    expected_keys = [str(world.series[name].pk) for name, *_ in fx.EXPECTED_SERIES] + ["outside"]
    assert [row.key for row in table.rows] == expected_keys
    for (_name, hours, sessions, visits, per_hour), row in zip(fx.EXPECTED_SERIES, table.rows, strict=False):
        assert row.values == [hours, sessions, visits, per_hour]
        assert row.url == f"/admin/schedule/staffedslot/{row.key}/change/"
    assert table.row("outside").values == [None, None, fx.EXPECTED_OUTSIDE, None]
    assert table.totals.values == list(fx.EXPECTED_STAFFED_TOTAL)
    assert "Skatteverket – Kalmar stadsbibliotek – måndag" in table.rows[0].label


def test_staffed_hours_per_agency_weakest_first(report):
    table = report.table("staffed_agency")
    assert [(row.key, *row.values) for row in table.rows[:-1]] == fx.EXPECTED_AGENCY_STAFFED
    assert table.rows[-1].key == "outside" and table.rows[-1].values[2] == fx.EXPECTED_OUTSIDE


def test_a_session_that_has_not_ended_is_not_a_staffed_hour_and_its_visits_count_as_outside(world):
    # On 26 November at 14:30 the childcare hour of that day is still going on.
    report = build_report(Scope.all(), NOVEMBER, now=fx.at(26, 14, 30))
    childcare = report.table("staffed_series").row(world.series["childcare"].pk)
    assert childcare.values == [Decimal("2.00"), 2, 3, Decimal("1.50")]
    # V4 at that hour and V15 at Kalmar's session of 30 November.
    assert report.table("staffed_series").row("outside").values[2] == fx.EXPECTED_OUTSIDE + 2
    kalmar = report.table("staffed_series").row(world.series["tax_kalmar"].pk)
    assert kalmar.values == [Decimal("6.00"), 4, 2, Decimal("0.33")]


def test_heatmap_cells_are_the_visits_per_weekday_and_hour(report):
    table = report.heatmap.visits
    cells = {
        (int(row.key), int(column.key[1:])): value
        for row in table.rows
        for column, value in zip(table.columns, row.values, strict=True)
        if column.key != "total" and value
    }
    assert cells == fx.EXPECTED_HEATMAP
    assert report.heatmap.hours == list(range(9, 17))
    assert table.row("2").values[-1] == 7 and table.totals.values[-1] == 16


def test_heatmap_knows_when_each_agency_was_scheduled(report):
    table = report.heatmap.scheduled
    cells = {
        (row.key.rsplit("-", 1)[0], int(row.key.rsplit("-", 1)[1]), int(column.key[1:])): value
        for row in table.rows
        for column, value in zip(table.columns, row.values, strict=True)
        if value
    }
    assert cells == fx.EXPECTED_SCHEDULED
    assert report.heatmap.scheduled_cells[(1, 13)] == ["Skatteverket"]
    assert report.heatmap.scheduled_cells[(4, 14)] == ["Barnomsorg Mjölby"]
    assert (4, 15) not in report.heatmap.scheduled_cells


def test_referral_matrix_from_agency_to_agency(report):
    table = report.table("referrals")
    pairs = {
        (row.key, column.key): value
        for row in table.rows
        for column, value in zip(table.columns, row.values, strict=True)
        if column.key != "total" and value
    }
    assert pairs == fx.EXPECTED_REFERRALS
    assert table.totals.values == [1, 1, 1, 3]


def test_trend_shows_the_twelve_months_up_to_the_period(report):
    table = report.table("trend")
    assert [row.key for row in table.rows][0] == "2025-12" and table.rows[-1].key == "2026-11"
    assert len(table.rows) == 12
    assert {row.key: row.values for row in table.rows if row.values != [0, 0]} == {
        "2026-10": [1, 1],
        "2026-11": [16, 19],
    }


def test_labels_are_in_the_active_language(world):
    with translation.override("en"):
        report = build_report(Scope.all(), NOVEMBER)
    assert report.table("agency").row("barnomsorg").label == "Childcare Mjölby"
    assert report.table("language").row("ar").label == "Arabic"
    assert report.table("outcome").row("referred").label == "Referred to another agency"
    with translation.override("en"):
        assert report.period.label() == "November 2026"
    with translation.override("sv"):
        report = build_report(Scope.all(), NOVEMBER)
    assert report.table("language").row("ar").label == "arabiska"
    assert report.table("device").row("none").label == "Inte angivet"


def test_filters_narrow_visits_and_staffed_hours_alike(world):
    filters = Filters(venue=world.venues["mjolby"], agency=world.agencies["tax"])
    report = build_report(Scope.all(), NOVEMBER, filters)
    assert report.figure("visits").value == 7  # V5-V10 and V12
    assert report.figure("staffed_hours").value == Decimal("2.00")
    by_format = build_report(Scope.all(), NOVEMBER, Filters(format="drop_in"))
    # Format is the series' format: visits outside the schedule have none.
    assert by_format.figure("visits").value == 13


# --- Scope -------------------------------------------------------------------


def test_a_kalmar_coordinator_never_sees_a_mjolby_visit(world):
    report = build_report(Scope.for_user(world.users["karin"]), NOVEMBER)
    assert report.figure("visits").value == 4  # V13-V16, all at Kalmar stadsbibliotek
    assert set(visits_and_people(report.table("agency"))) == {"skatteverket", "kalmar-service", "total"}
    assert [row.key for row in report.table("staffed_series").rows] == [
        str(world.series["tax_kalmar"].pk),
        "outside",
    ]


def test_a_staff_member_sees_only_their_agency(world):
    report = build_report(Scope.for_user(world.users["sofia"]), NOVEMBER)
    assert visits_and_people(report.table("agency")) == {"barnomsorg": (5, 6), "total": (5, 6)}
    national = build_report(Scope.for_user(world.users["sam"]), NOVEMBER)
    assert visits_and_people(national.table("agency")) == {"skatteverket": (10, 12), "total": (10, 12)}


def test_project_leads_and_superusers_see_everything_and_a_user_without_a_role_nothing(world):
    assert Scope.for_user(world.users["anna"]).everything
    world.users["olle"].is_superuser = True
    assert Scope.for_user(world.users["olle"]).everything
    world.users["olle"].is_superuser = False
    with pytest.raises(PermissionDenied):
        Scope.for_user(world.users["olle"])


def test_the_scopes_filter_choices(world):
    karin = Scope.for_user(world.users["karin"])
    assert [m.slug for m in karin.municipalities()] == ["kalmar"]
    assert {a.slug for a in karin.agencies()} == {"skatteverket", "kalmar-service"}
    sofia = Scope.for_user(world.users["sofia"])
    assert {a.slug for a in sofia.agencies()} == {"barnomsorg"}
    # Skatteverket works in every municipality.
    assert {m.slug for m in Scope.for_user(world.users["sam"]).municipalities()} == {"mjolby", "kalmar"}


# --- Month boundaries at Stockholm midnight ---------------------------------------


@pytest.mark.parametrize(
    "local, month",
    [
        ((2026, 3, 31, 23, 30), (2026, 3)),  # summer time (UTC+2) began on 29 March
        ((2026, 4, 1, 0, 15), (2026, 4)),
        ((2026, 10, 31, 23, 30), (2026, 10)),  # winter time (UTC+1) began on 25 October
        ((2026, 11, 1, 0, 10), (2026, 11)),
        ((2026, 11, 30, 23, 30), (2026, 11)),
        ((2026, 12, 1, 0, 0), (2026, 12)),
    ],
)
def test_a_visit_belongs_to_the_month_of_its_stockholm_date(world, local, month):
    Visit.objects.all().delete()
    year, mon, day, hour, minute = local
    fx.visit(
        world, "late", fx.at(datetime.date(year, mon, day), hour, minute), agency="childcare", venue="mjolby"
    )
    this = build_report(Scope.all(), Period.month(*month))
    assert this.figure("visits").value == 1
    assert build_report(Scope.all(), Period.month(*month).previous()).figure("visits").value == 0
    assert build_report(Scope.all(), Period.month(*month).next()).figure("visits").value == 0
    cells = {(int(r.key), v) for r in this.heatmap.visits.rows for v in r.values[:-1] if v}
    assert cells == {(datetime.date(year, mon, day).isoweekday(), 1)}
    assert this.heatmap.visits.cell(str(datetime.date(year, mon, day).isoweekday()), f"h{hour:02d}") == 1
    assert this.table("trend").rows[-1].values == [1, 1]


def test_a_summer_visit_at_two_in_the_afternoon_is_in_the_fourteen_oclock_column(world):
    Visit.objects.all().delete()
    fx.visit(world, "summer", fx.at(datetime.date(2026, 6, 18), 14, 10), agency="childcare", venue="mjolby")
    report = build_report(Scope.all(), Period.month(2026, 6))
    assert report.heatmap.visits.cell("4", "h14") == 1


# --- Periods -----------------------------------------------------------------


def test_periods_parse_and_step():
    assert Period.parse("2026-11") == NOVEMBER
    assert Period.parse("2026-q4") == Period("quarter", datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    assert Period.parse("2026").end == datetime.date(2027, 1, 1)
    assert NOVEMBER.previous() == Period.month(2026, 10) and NOVEMBER.year_earlier() == Period.month(2025, 11)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    week = Period.range(datetime.date(2026, 11, 2), datetime.date(2026, 11, 8))
    assert week.previous() == Period.range(datetime.date(2026, 10, 26), datetime.date(2026, 11, 1))
    assert Period.last_full_month(datetime.date(2026, 1, 15)) == Period.month(2025, 12)
    for bad in ["2026-13", "2026-00", "26-11", "2026-Q5", "1999", "x", ""]:
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_a_range_may_end_on_a_leap_day_and_still_has_a_year_earlier():
    leap = Period.range(datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))
    assert leap.year_earlier().start == datetime.date(2027, 2, 1)


# --- Suppression on hand-made tables -----------------------------------------


def counts_table(rows, totals=None, row_totals=False, columns=None):
    columns = columns or [Column(f"c{i}", f"c{i}") for i in range(len(rows[0]))]
    table = Table(
        "t", "T", "row", columns, [Row(f"r{i}", list(values), key=f"r{i}") for i, values in enumerate(rows)]
    )
    table.row_totals = row_totals
    if totals is not None:
        table.totals = Row("Total", list(totals), key="total")
    return table


def shown(table):
    return [["<5" if v == SUPPRESSED else v for v in row.values] for row in table.rows] + (
        [["<5" if v == SUPPRESSED else v for v in table.totals.values]] if table.totals else []
    )


def test_counts_from_one_to_four_are_hidden_and_zero_stays():
    table = counts_table([[0, 1], [4, 5], [9, 12]])
    assert shown(suppress(table)) == [[0, "<5"], ["<5", 5], [9, 12]]


def test_a_column_with_one_hidden_cell_hides_the_next_smallest():
    # 3 could be worked out from the total 20 and 5 and 12.
    table = counts_table([[3], [5], [12]], totals=[20])
    assert shown(suppress(table)) == [["<5"], ["<5"], [12], [20]]


def test_zero_is_never_the_second_cell_and_ties_take_the_first():
    table = counts_table([[2], [0], [7], [7]], totals=[16])
    assert shown(suppress(table)) == [["<5"], [0], ["<5"], [7], [16]]


def test_secondary_suppression_repeats_until_no_line_has_a_single_hidden_cell():
    # Row totals in the last column, column totals in the last row.
    rows = [
        [2, 10, 8, 20],
        [6, 7, 20, 33],
        [9, 30, 11, 50],
    ]
    table = counts_table(rows, totals=[17, 47, 39, 103], row_totals=True)
    # Only the 2 is small. Round 1: row 0 hides its smallest other cell (8);
    # column 0 hides 6; column 2, now with the 8 alone, hides 11. Round 2:
    # row 1 (6 alone) hides 7, row 2 (11 alone) hides 9, column 1 (7 alone)
    # hides 10. Round 3 finds no line with a single hidden cell.
    result = suppress(table)
    assert shown(result) == [
        ["<5", "<5", "<5", 20],
        ["<5", "<5", 20, 33],
        ["<5", 30, "<5", 50],
        [17, 47, 39, 103],
    ]
    for line in _all_lines(result):
        assert sum(value == SUPPRESSED for value in line) != 1


def _all_lines(table):
    grid = [row.values for row in table.rows] + [table.totals.values]
    return grid + [list(column) for column in zip(*grid, strict=True)]


def test_a_small_total_is_hidden_and_protected_like_any_cell():
    table = counts_table([[1, 0, 1], [0, 9, 9]], totals=[1, 9, 10], row_totals=True)
    # Column 0's total (1) is small. The totals row 1 + 9 = 10 would give
    # it away, so its 9 goes; column 1 then needs its other 9 hidden, and
    # row 1 (0 + 9 = 9) its total.
    result = suppress(table)
    assert shown(result) == [["<5", 0, "<5"], [0, "<5", "<5"], ["<5", "<5", 10]]
    for line in _all_lines(result):
        assert sum(value == SUPPRESSED for value in line) != 1


def test_only_count_columns_are_suppressed_and_a_ratio_goes_with_its_count():
    columns = [
        Column("hours", "h", "hours"),
        Column("visits", "v", COUNT),
        Column("rate", "r", RATIO, derived_from="visits"),
    ]
    table = counts_table(
        [
            [Decimal("2.0"), 3, Decimal("1.5")],
            [Decimal("1.0"), 8, Decimal("8.0")],
            [Decimal("4.0"), 20, Decimal("5")],
        ],
        totals=[Decimal("7.0"), 31, None],
        columns=columns,
    )
    assert shown(suppress(table)) == [
        [Decimal("2.0"), "<5", "<5"],
        [Decimal("1.0"), "<5", "<5"],
        [Decimal("4.0"), 20, Decimal("5")],
        [Decimal("7.0"), 31, None],
    ]


def test_suppress_leaves_the_original_table_alone():
    table = counts_table([[3], [5]], totals=[8])
    suppress(table)
    assert shown(table) == [[3], [5], [8]]


def test_publication_mode_suppresses_every_table_and_the_changes(world):
    report = build_report(Scope.all(), NOVEMBER, publication=True)
    agency = report.table("agency").as_dict()
    # Kalmar service's 1 visit is hidden, and Barnomsorg's 5, the next smallest.
    assert agency["kalmar-service"] == {"visits": SUPPRESSED, "people": SUPPRESSED}
    assert agency["barnomsorg"] == {"visits": SUPPRESSED, "people": SUPPRESSED}
    assert agency["skatteverket"] == {"visits": 10, "people": 12} and agency["total"] == {
        "visits": 16,
        "people": 19,
    }
    visits = report.figure("visits")
    assert (visits.value, visits.previous, visits.change_previous, visits.percent_previous) == (
        16,
        SUPPRESSED,
        SUPPRESSED,
        SUPPRESSED,
    )
    assert report.heatmap.visits.cell("4", "h14") == SUPPRESSED
    for table in report.all_tables():
        for row in table.rows + [table.totals]:
            for column, value in zip(table.columns, row.values, strict=True):
                if column.kind == COUNT:
                    assert not (isinstance(value, int) and 1 <= value <= 4), (table.slug, row.key, column.key)


def test_no_visits_gives_zero_tables_not_errors(world):
    report = build_report(Scope.all(), Period.month(2020, 1), publication=True)
    assert report.figure("visits").value == 0
    assert report.table("agency").rows == [] and report.table("agency").totals.values == [0, 0]
    assert report.figure("per_staffed_hour").value is None


def test_the_figures_come_from_aggregate_queries_not_from_loading_visits(
    world, django_assert_max_num_queries
):
    for n in range(40):
        fx.visit(world, f"extra{n}", fx.at(3, 10, n), agency="childcare", venue="mjolby", topics=["bankid"])
    with django_assert_max_num_queries(17):  # build_report's docstring lists them
        report = build_report(Scope.all(), NOVEMBER)
    assert report.figure("visits").value == 56
