"""The statistics as files: the visit-level rows as CSV and the workbook.

Both take what the page takes (a ``Scope``, a ``Period`` and ``Filters``
from ``visitors.statistics``) and select the visits with the page's own
queryset (``ReportBuilder.in_period``), so a file never holds a visit the
page would not count. The tables come from ``build_report``; nothing here
computes a figure.

Visit-level rows are anonymous: never the note, never who logged it. They
stream: on PostgreSQL the database writes the CSV itself (``COPY (SELECT
…) TO STDOUT``) and the chunks pass straight to the response; elsewhere a
server-side iterator turns a few thousand rows at a time into CSV. The
workbook is written by openpyxl in write-only mode, which keeps one row in
memory and the sheets in temporary files.

Text that begins with =, +, -, @, a tab or a carriage return would run as a
formula when Excel or LibreOffice opens a CSV; such cells get an apostrophe
in front (OWASP's advice on CSV injection). In the workbook they are typed
as text, with Excel's "quote prefix" style, so they never run either.
"""

import csv
import datetime
import io
import itertools
from decimal import Decimal

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Case, CharField, F, Func, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Collate, NullIf
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from eserviceverkstad.i18n import language_name
from sessions.models import STOCKHOLM, Format
from visitors.models import AgeBand, Device, FirstVisit, Mode, Outcome, Visit
from visitors.statistics import HOURS, RATIO, ReportBuilder, Suppressed

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Rows fetched (and CSV chunks joined) at a time: large enough that the
# per-chunk queries and writes do not count, small enough to stay flat.
CHUNK_ROWS = 2000
CHUNK_BYTES = 256 * 1024
# Excel's limit per sheet, the header row included.
MAX_SHEET_ROWS = 1_048_576
SHEET_NAME_LENGTH = 31

# The visit-level columns: (key, header, kind). Kinds: "int", "datetime", "text".
VISIT_COLUMNS = [
    ("id", gettext_lazy("Visit number"), "int"),
    ("start", gettext_lazy("Start"), "datetime"),
    ("agency", gettext_lazy("Agency"), "text"),
    ("venue", gettext_lazy("Venue"), "text"),
    ("municipality", gettext_lazy("Municipality"), "text"),
    ("format", gettext_lazy("Format"), "text"),
    ("mode", gettext_lazy("Kind of help"), "text"),
    ("duration", gettext_lazy("Duration (minutes)"), "int"),
    ("people", gettext_lazy("Number of people"), "int"),
    ("topics", gettext_lazy("Topics"), "text"),
    ("eservices", gettext_lazy("E-services"), "text"),
    ("outcome", gettext_lazy("Outcome"), "text"),
    ("referred_to", gettext_lazy("Referred to"), "text"),
    ("language", gettext_lazy("Language used"), "text"),
    ("first_visit", gettext_lazy("First visit"), "text"),
    ("device", gettext_lazy("Device"), "text"),
    ("age_band", gettext_lazy("Age"), "text"),
]
CHOICES = {
    "format": Format.choices,
    "mode": Mode.choices,
    "outcome": Outcome.choices,
    "first_visit": FirstVisit.choices,
    "device": Device.choices,
    "age_band": AgeBand.choices,
}
# Where each choice column's code comes from.
CHOICE_SOURCES = {"format": "occurrence__slot__format"} | {name: name for name in CHOICES if name != "format"}
TOPIC_SEPARATOR = ", "


def neutralised(text):
    """``text`` that no spreadsheet runs as a formula."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_delimiter():
    """Swedish Excel expects semicolons (the comma is its decimal sign)."""
    return ";" if (translation.get_language() or "sv").startswith("sv") else ","


def english():
    return (translation.get_language() or "sv").startswith("en")


def visits_for_export(scope, period, filters):
    """The page's visits for ``period``, oldest first."""
    return ReportBuilder(scope, period, filters).in_period.order_by("started_at", "pk")


def headers():
    return [str(label) for _key, label, _kind in VISIT_COLUMNS]


# --- Rows as Python values (any database; the workbook's source) ----------


def _name(row, prefix):
    if english() and row[f"{prefix}name_en"]:
        return row[f"{prefix}name_en"]
    return row[f"{prefix}name"]


ROW_FIELDS = [
    "pk", "started_at", "agency__name", "agency__name_en", "venue__name", "venue__municipality__name",
    "occurrence__slot__format", "mode", "duration_minutes", "people", "outcome", "referred_to__name",
    "referred_to__name_en", "language", "first_visit", "device", "age_band",
]  # fmt: skip


def _linked_names(through, field, visit_ids):
    """{visit id: "name, name"} for a chunk of visits, names sorted."""
    names = {}
    for visit_id, name, name_en in through.objects.filter(visit_id__in=visit_ids).values_list(
        "visit_id", f"{field}__name", f"{field}__name_en"
    ):
        names.setdefault(visit_id, []).append(name_en if english() and name_en else name)
    return {visit_id: TOPIC_SEPARATOR.join(sorted(found)) for visit_id, found in names.items()}


def visit_rows(visits):
    """Typed rows for ``visits`` in column order: ints, a naive Stockholm
    datetime, text (None where empty). Queries: one per CHUNK_ROWS visits
    (a server-side cursor on PostgreSQL), and two per chunk for the
    topics and e-services."""
    labels = {name: {code: str(label) for code, label in choices} for name, choices in CHOICES.items()}
    languages = {}
    rows = visits.values(*ROW_FIELDS).iterator(chunk_size=CHUNK_ROWS)
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        ids = [row["pk"] for row in chunk]
        topics = _linked_names(Visit.topics.through, "topic", ids)
        eservices = _linked_names(Visit.eservices.through, "eservice", ids)
        for row in chunk:
            code = row["language"]
            if code not in languages:
                languages[code] = language_name(code)
            choice = {
                name: labels[name].get(row[source]) or row[source] for name, source in CHOICE_SOURCES.items()
            }
            yield (
                row["pk"],
                timezone.localtime(row["started_at"], STOCKHOLM).replace(tzinfo=None),
                _name(row, "agency__"),
                row["venue__name"],
                row["venue__municipality__name"],
                choice["format"] or None,
                choice["mode"],
                row["duration_minutes"],
                row["people"],
                topics.get(row["pk"]),
                eservices.get(row["pk"]),
                choice["outcome"],
                _name(row, "referred_to__") if row["referred_to__name"] else None,
                languages[code],
                choice["first_visit"],
                choice["device"] or None,
                choice["age_band"] or None,
            )


# --- CSV ------------------------------------------------------------------


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        return neutralised(value)
    return value


class _Buffer:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def csv_chunks(visits, delimiter=None):
    """The visit-level rows as UTF-8 CSV (byte-order mark, header row),
    in chunks of bytes: COPY on PostgreSQL, the row iterator elsewhere."""
    delimiter = delimiter or csv_delimiter()
    buffer = _Buffer()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers())
    yield (BOM + buffer.take()).encode()
    if connection.vendor == "postgresql":
        yield from _copy_chunks(visits, delimiter)
        return
    size = 0
    for row in visit_rows(visits):
        writer.writerow([_csv_text(value) for value in row])
        size += 1
        if size == CHUNK_ROWS:
            yield buffer.take().encode()
            size = 0
    yield buffer.take().encode()


# --- CSV straight from PostgreSQL ------------------------------------------


def _localized_name(prefix):
    if english():
        return Coalesce(NullIf(F(f"{prefix}name_en"), Value("")), F(f"{prefix}name"))
    return F(f"{prefix}name")


def _labels(field, choices, default=None):
    return Case(
        *[When(**{field: code}, then=Value(str(label))) for code, label in choices],
        default=default if default is not None else F(field),
    )


def _joined_names(through, field):
    """The linked names of the outer visit, sorted byte-wise (the C
    collation sorts as Python's ``sorted`` does), in one subquery."""
    name = _localized_name(f"{field}__")
    names = (
        through.objects.filter(visit_id=OuterRef("pk"))
        .values("visit_id")
        .annotate(names=StringAgg(name, TOPIC_SEPARATOR, order_by=Collate(name, "C")))
        .values("names")
    )
    return Subquery(names)


def _copy_select(visits):
    """SQL and parameters for the CSV's columns, computed by PostgreSQL."""
    codes = visits.order_by().values_list("language", flat=True).distinct()
    languages = [(code, language_name(code)) for code in codes]
    start = "to_char(%(expressions)s AT TIME ZONE '" + STOCKHOLM.key + "', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    annotated = visits.annotate(
        x_start=Func(F("started_at"), template=start, output_field=CharField()),
        x_agency=_localized_name("agency__"),
        x_venue=F("venue__name"),
        x_municipality=F("venue__municipality__name"),
        x_format=_labels("occurrence__slot__format", Format.choices),
        x_mode=_labels("mode", Mode.choices),
        x_topics=_joined_names(Visit.topics.through, "topic"),
        x_eservices=_joined_names(Visit.eservices.through, "eservice"),
        x_outcome=_labels("outcome", Outcome.choices),
        x_referred_to=_localized_name("referred_to__"),
        x_language=_labels("language", languages),
        x_first_visit=_labels("first_visit", FirstVisit.choices),
        x_device=_labels("device", Device.choices),
        x_age_band=_labels("age_band", AgeBand.choices),
    ).values_list(
        "pk", "x_start", "x_agency", "x_venue", "x_municipality", "x_format", "x_mode", "duration_minutes",
        "people", "x_topics", "x_eservices", "x_outcome", "x_referred_to", "x_language", "x_first_visit",
        "x_device", "x_age_band", "started_at",
    )  # fmt: skip
    inner, params = annotated.query.sql_with_params()
    names = [f"c{i}" for i in range(len(VISIT_COLUMNS))]
    aliases = [*names, "sort_start"]
    outer = []
    for name, (_key, _label, kind) in zip(names, VISIT_COLUMNS, strict=True):
        if kind == "text":
            # Empty text as NULL, which COPY writes as nothing at all (an
            # empty string would be ""), as Python's csv module does.
            cell = f"NULLIF({name}, '')"
            outer.append(
                f"CASE WHEN left({cell}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
                f"THEN '''' || {cell} ELSE {cell} END"
            )
        else:
            outer.append(name)
    sql = (
        f"SELECT {', '.join(outer)} FROM ({inner}) AS visit_rows ({', '.join(aliases)}) "
        "ORDER BY sort_start, c0"
    )
    return sql, params


def _copy_chunks(visits, delimiter):
    sql, params = _copy_select(visits)
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, DELIMITER '{delimiter}')"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        # COPY hands over one row at a time; join them into larger chunks.
        parts, size = [], 0
        for data in copy:
            parts.append(data)
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(parts)
                parts, size = [], 0
        yield b"".join(parts)


# --- The workbook ----------------------------------------------------------

SHEET_NAMES = {
    "agency": gettext_lazy("Agencies"),
    "topic": gettext_lazy("Topics"),
    "eservice": gettext_lazy("E-services"),
    "outcome": gettext_lazy("Outcomes"),
    "mode": gettext_lazy("Kinds of help"),
    "language": gettext_lazy("Languages"),
    "device": gettext_lazy("Devices"),
    "age_band": gettext_lazy("Ages"),
    "first_visit": gettext_lazy("First visits"),
    "staffed_agency": gettext_lazy("Staffed hours per agency"),
    "staffed_series": gettext_lazy("Staffed hours per series"),
    "referrals": gettext_lazy("Referrals"),
    "trend": gettext_lazy("12 months"),
    "heatmap": gettext_lazy("Weekday and hour"),
    "scheduled_hours": gettext_lazy("Staffed weekday and hour"),
    "bookings": gettext_lazy("Bookings"),
}
VISIT_WIDTHS = {"start": 20, "agency": 30, "venue": 24, "municipality": 14, "topics": 36, "eservices": 36}
INVALID_SHEET_CHARACTERS = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(text, taken):
    name = str(text).translate(INVALID_SHEET_CHARACTERS)[:SHEET_NAME_LENGTH].strip()
    candidate, number = name, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate, number = name[: SHEET_NAME_LENGTH - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


class Workbook:
    """A statistics workbook: summary, a sheet per table, visit-level rows."""

    def __init__(self):
        self.book = OpenpyxlWorkbook(write_only=True)
        self.taken = set()

    def text_cell(self, sheet, text):
        """A cell that is text whatever it begins with."""
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    def value(self, sheet, value, number_format=None):
        if isinstance(value, Suppressed):
            return str(value)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return self.text_cell(sheet, value)
        if number_format and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell
        return value

    def sheet(self, title, widths, freeze):
        sheet = self.book.create_sheet(sheet_name(title, self.taken))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = freeze
        return sheet

    def add_summary(self, report, lines=()):
        sheet = self.sheet(_("Summary"), [34, 16, 18, 14, 22, 14], "A2")
        sheet.append([_("Visit statistics"), report.period.label()])
        rows = [
            (_("From"), report.period.start),
            (_("To"), report.period.last_day),
            (_("Showing"), report.filters.describe() or _("Everything you may see")),
            (_("For publication"), _("Yes") if report.publication else _("No")),
            (_("Made"), timezone.localtime(report.generated_at, STOCKHOLM).replace(tzinfo=None)),
            *lines,
        ]
        for label, value in rows:
            number_format = "yyyy-mm-dd" if type(value) is datetime.date else None
            if isinstance(value, datetime.datetime):
                number_format = "yyyy-mm-dd hh:mm"
            sheet.append([label, self.value(sheet, value, number_format)])
        sheet.append([])
        sheet.append(
            [
                _("Figure"),
                _("Value"),
                _("The period before"),
                _("Change"),
                _("A year earlier"),
                _("Change"),
            ]
        )
        for figure in report.figures:
            values = [figure.value, figure.previous, figure.change_previous, figure.year_earlier]
            values.append(figure.change_year)
            sheet.append([figure.label, *[self.value(sheet, value, self._format(value)) for value in values]])

    @staticmethod
    def _format(value):
        return "0.00" if isinstance(value, Decimal) else None

    def add_table(self, table):
        widths = [40] + [14] * len(table.columns)
        sheet = self.sheet(SHEET_NAMES.get(table.slug, table.title), widths, "B3")
        sheet.append([table.title])
        sheet.append([table.row_header, *[column.label for column in table.columns]])
        formats = ["0.00" if column.kind in (HOURS, RATIO) else None for column in table.columns]
        rows = table.rows + ([table.totals] if table.totals else [])
        for row in rows:
            cells = [self.value(sheet, value, fmt) for value, fmt in zip(row.values, formats, strict=True)]
            sheet.append([self.value(sheet, row.label), *cells])
        if table.note:
            sheet.append([])
            sheet.append([table.note])

    def add_visit_rows(self, rows):
        """Visit-level rows, a sheet per MAX_SHEET_ROWS - 1 rows (Excel's
        limit less the header); returns how many were written."""
        widths = [VISIT_WIDTHS.get(key, 14) for key, _label, _kind in VISIT_COLUMNS]
        per_sheet = MAX_SHEET_ROWS - 1
        written, sheet = 0, None
        for row in rows:
            if written % per_sheet == 0:
                sheet = self.sheet(_("Visits"), widths, "A2")
                sheet.append(headers())
            sheet.append(
                [
                    self.text_cell(sheet, value)
                    if isinstance(value, str) and value.startswith(FORMULA_STARTS)
                    else value
                    for value in row
                ]
            )
            written += 1
        if sheet is None:
            sheet = self.sheet(_("Visits"), widths, "A2")
            sheet.append(headers())
        return written

    def save(self, target):
        self.book.save(target)


def write_workbook(report, target, visits=None, lines=()):
    """The workbook of ``report`` into ``target`` (a path or a binary file),
    with the visit-level rows of ``visits`` unless it is None (as in
    publication mode). ``lines``: extra (label, value) lines for the
    summary. Returns the number of visit rows written."""
    book = Workbook()
    book.add_summary(report, lines)
    for table in report.all_tables():
        book.add_table(table)
    written = book.add_visit_rows(visit_rows(visits)) if visits is not None else 0
    book.save(target)
    return written


def workbook_bytes(report, visits=None, lines=()):
    target = io.BytesIO()
    write_workbook(report, target, visits, lines)
    return target.getvalue()
