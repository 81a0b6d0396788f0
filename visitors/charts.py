"""Geometry for the statistics page's SVG charts, worked out from the
report's Tables; templates in templates/visitors/charts/ draw it.

No script and no inline style (the CSP forbids both): sizes and colours are
SVG presentation attributes. Every chart is readable in greyscale (each bar
and cell carries its number, intensity runs from light to dark, scheduled
hours are a dashed outline), and its numbers are in the table beside it.
The view box is narrow (340 units) so that text stays readable when a
phone shows the chart 320 px wide."""

import datetime
from dataclasses import dataclass, field

from babel.dates import format_date
from django.utils.translation import ngettext

from eserviceverkstad.i18n import babel_locale
from visitors.statistics import Suppressed

WIDTH = 340
LABEL_CHARS = 48
# Light to dark: greyscale printing keeps the order.
HEAT_FILLS = ["#ffffff", "#e3ecf3", "#b9cfe0", "#7fa6c4", "#3f729b", "#0f2d48"]
DARK_FROM_LEVEL = 3
BAR_FILL = "#1f5f8b"
NAMES_PER_CELL = 5


def _number(value):
    return value if isinstance(value, (int, float)) or hasattr(value, "as_tuple") else None


def _short(label):
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


@dataclass
class Bar:
    label: str
    value: object
    y: float
    length: float
    label_y: float
    value_x: float

    @property
    def value_y(self):
        return self.y + 10


@dataclass
class BarChart:
    slug: str
    title: str
    bars: list
    height: int
    width: int = WIDTH
    bar_height: int = 12
    fill: str = BAR_FILL


def bar_chart(table, column="visits", *, with_outside=False):
    """Horizontal bars of ``column`` per row; the label above each bar, the
    number after it. A hidden figure ("<5") has no bar."""
    index = table.column_index(column)
    rows = [row for row in table.page_rows if with_outside or row.key != "outside"]
    values = [_number(row.values[index]) for row in rows]
    largest = max([v for v in values if v is not None] or [0]) or 1
    room = WIDTH - 50
    bars = []
    for n, (row, value) in enumerate(zip(rows, values, strict=True)):
        top = 4 + n * 34
        length = float(value) / float(largest) * room if value else 0
        bars.append(
            Bar(
                _short(row.label),
                row.values[index],
                top + 16,
                round(length, 1),
                top + 12,
                round(length + 4, 1),
            )
        )
    return BarChart(table.slug, table.title, bars, height=max(40, 8 + 34 * len(rows)))


@dataclass
class HeatCell:
    x: float
    y: float
    width: float
    height: float
    value: object
    fill: str
    text_fill: str
    scheduled: list = field(default_factory=list)

    @property
    def centre_x(self):
        return round(self.x + self.width / 2, 2)

    @property
    def text_y(self):
        return round(self.y + self.height / 2 + 4, 2)

    @property
    def scheduled_names(self):
        """The agencies scheduled at this hour, for the outline's tooltip:
        at most NAMES_PER_CELL, then how many more (a region has hundreds)."""
        names = ", ".join(self.scheduled[:NAMES_PER_CELL])
        more = len(self.scheduled) - NAMES_PER_CELL
        if more <= 0:
            return names
        return ngettext("%(names)s and %(count)s more", "%(names)s and %(count)s more", more) % {
            "names": names,
            "count": more,
        }

    @property
    def inset(self):
        """The dashed outline of a scheduled hour, inside the cell."""
        return {
            "x": round(self.x + 2, 2),
            "y": self.y + 2,
            "width": round(self.width - 4, 2),
            "height": self.height - 4,
        }


@dataclass
class HeatmapChart:
    cells: list
    hour_labels: list  # (x, text)
    day_labels: list  # (y, text)
    cell_width: float
    cell_height: int
    width: int
    height: int
    legend_y: int
    legend: list  # (x, fill, text_fill, text)


def heatmap_chart(heatmap, day_names):
    """The weekday × hour grid: intensity and number per cell, a dashed
    outline where any agency was scheduled. ``day_names``: short weekday
    names, Monday first."""
    hours = heatmap.hours
    left, top, cell_height = 34, 18, 26
    cell_width = round((WIDTH - left - 2) / len(hours), 2)
    hour_index = {f"h{hour:02d}": i for i, hour in enumerate(hours)}
    largest = (
        max([v for row in heatmap.visits.rows for v in row.values[:-1] if isinstance(v, int)] or [0]) or 1
    )
    cells = []
    for d, row in enumerate(heatmap.visits.rows):
        for column, value in zip(heatmap.visits.columns, row.values, strict=True):
            if column.key not in hour_index:
                continue
            level = _heat_level(value, largest)
            hour = hours[hour_index[column.key]]
            cells.append(
                HeatCell(
                    x=round(left + hour_index[column.key] * cell_width, 2),
                    y=top + d * cell_height,
                    width=cell_width,
                    height=cell_height,
                    value=value,
                    fill=HEAT_FILLS[level],
                    text_fill="#ffffff" if level >= DARK_FROM_LEVEL else "#1a1a1a",
                    scheduled=heatmap.scheduled_cells.get((int(row.key), hour), []),
                )
            )
    height = top + 7 * cell_height
    legend = [
        (left + i * 48, HEAT_FILLS[level], "#ffffff" if level >= DARK_FROM_LEVEL else "#1a1a1a", text)
        for i, (level, text) in enumerate(_legend_texts(largest))
    ]
    return HeatmapChart(
        cells=cells,
        hour_labels=[
            (round(left + i * cell_width + cell_width / 2, 2), f"{hour:02d}") for i, hour in enumerate(hours)
        ],
        day_labels=[(top + d * cell_height + cell_height / 2 + 4, name) for d, name in enumerate(day_names)],
        cell_width=cell_width,
        cell_height=cell_height,
        width=WIDTH,
        height=height + 58,
        legend_y=height + 10,
        legend=legend,
    )


def _heat_level(value, largest):
    """0 for no visits, else 1 to 5 by the share of the busiest cell."""
    if isinstance(value, Suppressed):
        return 1
    if not value:
        return 0
    steps = len(HEAT_FILLS) - 1
    return max(1, -(-value * steps // largest))


def _legend_texts(largest):
    """(level, the range of visits it stands for), leaving out shades no
    count can have (with at most 4 visits in a cell, 5 shades cannot all be used)."""
    steps = len(HEAT_FILLS) - 1
    texts = []
    for level in range(1, steps + 1):
        low, high = (level - 1) * largest // steps + 1, level * largest // steps
        if low <= high:
            texts.append((level, str(low) if low == high else f"{low}–{high}"))
    return texts


@dataclass
class Column:
    x: float
    y: float
    height: float
    value: object
    month: str
    year: str
    label_x: float


@dataclass
class TrendChart:
    columns: list
    width: int
    height: int
    bar_width: float
    baseline: int


def trend_chart(table, column="visits"):
    """One column per month, its number above it, the month below."""
    index = table.column_index(column)
    values = [_number(row.values[index]) for row in table.rows]
    largest = max([v for v in values if v is not None] or [0]) or 1
    slot = (WIDTH - 4) / max(1, len(table.rows))
    bar_width, baseline, room = round(slot * 0.7, 2), 150, 120
    columns = []
    for n, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        height = round(float(value or 0) / float(largest) * room, 1)
        x = round(2 + n * slot + (slot - bar_width) / 2, 2)
        month = datetime.date.fromisoformat(f"{row.key}-01")
        # The year under the first month and under each January.
        year = str(month.year) if n == 0 or month.month == 1 else ""
        name = format_date(month, "LLL", locale=babel_locale()).rstrip(".")
        columns.append(
            Column(x, baseline - height, height, row.values[index], name, year, round(x + bar_width / 2, 2))
        )
    return TrendChart(columns, WIDTH, baseline + 34, bar_width, baseline)


def charts_for(report):
    """Every chart of the page, keyed by table slug ("heatmap", "trend" and
    the breakdowns)."""
    # 1 January 2024 was a Monday.
    day_names = [
        format_date(datetime.date(2024, 1, day), "EEE", locale=babel_locale()) for day in range(1, 8)
    ]
    charts = {
        table.slug: bar_chart(table)
        for table in report.tables
        if table.slug not in ("referrals", "trend", "bookings")
    }
    charts["staffed_agency"] = bar_chart(report.table("staffed_agency"), "per_hour")
    charts.pop("staffed_series", None)
    charts["heatmap"] = heatmap_chart(report.heatmap, day_names)
    charts["trend"] = trend_chart(report.table("trend"))
    return charts
