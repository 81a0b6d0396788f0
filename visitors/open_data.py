"""Open data: the published figures of closed months, per municipality.

A month is *closed* once its 14 days for corrections (``EDIT_WINDOW``) have
passed, on the 15th of the month after. Only closed months are published,
always with the small-number suppression of ``visitors.statistics``, so no
count from 1 to 4 appears anywhere (shown as "<5"). The figures come from
``build_report`` for each municipality; nothing is computed here.

The CSV and JSON forms have a stable schema, documented in
docs/open-data.md; names are the Swedish ones, with stable slugs.
"""

import csv
import io
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone, translation

from agencies.models import Municipality
from visitors.models import Visit
from visitors.reports import last_correction_day
from visitors.statistics import Period, Scope, Suppressed, build_report

SCHEMA = "eserviceverkstad-open-data/1"
LICENCE = "CC0-1.0"
LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
CSV_COLUMNS = ["month", "municipality", "measure", "key", "name", "value"]


def today():
    return timezone.localdate()


def is_closed(period, day=None):
    """Past its last day for corrections: the figures no longer change."""
    return (day or today()) > last_correction_day(period)


def closed_months(day=None):
    """Closed months from the first visit on, newest first (one query)."""
    first = Visit.objects.aggregate(first=Min("started_at"))["first"]
    if first is None:
        return []
    month = Period.month(*timezone.localtime(first).timetuple()[:2])
    months = []
    while is_closed(month, day):
        months.append(month)
        month = month.next()
    return months[::-1]


def published_value(value):
    """A figure as published: an int, a number with two decimals, or "<5"."""
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(table):
    return [
        {"key": row.key, "name": row.label, "visits": published_value(row.values[0])}
        for row in table.rows
        if row.key != "none"
    ]


def month_figures(period):
    """{"municipalities": [...]} of ``period``, suppressed, Swedish names.
    Queries: the municipalities, then build_report's for each."""
    municipalities = []
    with translation.override("sv"):
        for municipality in Municipality.objects.order_by("name"):
            report = build_report(Scope.municipality(municipality.pk), period, publication=True)
            municipalities.append(
                {
                    "slug": municipality.slug,
                    "name": municipality.name,
                    "visits": published_value(report.figure("visits").value),
                    "people": published_value(report.figure("people").value),
                    "staffed_hours": published_value(report.figure("staffed_hours").value),
                    "agencies": _rows(report.table("agency")),
                    "topics": _rows(report.table("topic")),
                }
            )
    return municipalities


def as_json(period):
    return {
        "schema": SCHEMA,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "month": period.code(),
        "suppression": 'Counts from 1 to 4, and figures they could be worked out from, are given as "<5".',
        "municipalities": month_figures(period),
    }


def as_csv(period):
    """Long format: one figure per line, so new agencies or topics never
    change the columns."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    code = period.code()
    for town in month_figures(period):
        for measure in ("visits", "people", "staffed_hours"):
            writer.writerow([code, town["slug"], measure, "", "", town[measure]])
        for measure, rows in (("agency_visits", town["agencies"]), ("topic_visits", town["topics"])):
            for row in rows:
                writer.writerow([code, town["slug"], measure, row["key"], row["name"], row["visits"]])
    return output.getvalue()
