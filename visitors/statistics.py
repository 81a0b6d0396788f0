"""Every statistics figure, computed in one place.

The page, the exports, the monthly report and open data all call
``build_report(scope, period, filters, publication)`` and get a
``StatsReport``: headline figures and ``Table`` objects of plain data (labels
already in the active language, numbers as ``int`` or ``Decimal``, a
``Suppressed`` marker where a figure is hidden for publication). Nothing here
returns HTML.

Every figure is an aggregate computed by the database (``GROUP BY``); no
code loops over visits. The figures of visits are sums over the daily
rollup (visitors/rollup.py, ``ReportBuilder``); ``RawReportBuilder`` gives
the same from the visits themselves. Periods are cut at Stockholm midnight: a visit at
23:30 on 30 November belongs to November, in summer and in winter time.

    scope = Scope.for_user(request.user)          # PermissionDenied: no role
    form = StatsFilter(request.GET, scope=scope)
    if form.is_valid():                           # form.out_of_scope: 404
        report = build_report(scope, form.period, form.filters, form.publication)
"""

import datetime
import functools
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency, Municipality, Venue
from agencies.permissions import statistics_scope
from eserviceverkstad.fields import LongSelect
from eserviceverkstad.i18n import babel_locale, format_long_date, language_name
from sessions.models import STOCKHOLM, Format, Occurrence, Recurrence, describe_recurrence, wall_clock
from visitors.models import (
    HOLDING_A_PLACE,
    AgeBand,
    Booking,
    BookingStatus,
    Device,
    FirstVisit,
    Mode,
    Outcome,
    RollupBreakdown,
    Visit,
    VisitDailyCount,
    VisitDailyEService,
    VisitDailyTopic,
    VisitMonthlyCount,
)

# A range longer than this is refused: the page must stay fast, and five
# years covers every report a funder asks for.
MAX_RANGE_YEARS = 5
FIRST_YEAR, LAST_YEAR = 2000, 2100
TREND_MONTHS = 12
# Publication mode hides counts from 1 to this.
SMALL_COUNT = 4
# A region's project lead has hundreds of agencies and thousands of series:
# the page shows each table's first rows, and a matrix only the agencies
# that receive most referrals; the workbook has the rest.
PAGE_ROWS = 30
MATRIX_COLUMNS = 10
TWO_PLACES = Decimal("0.01")

# Column kinds. Only counts of visits or people are suppressed; hours and
# numbers of sessions describe the schedule, which is public anyway.
COUNT = "count"
HOURS = "hours"
PLAIN = "plain"
RATIO = "ratio"

WEEKDAYS = range(1, 8)  # ISO: 1 = Monday


# --- Plain data -----------------------------------------------------------


# What a row of the referral matrix names, from the raw visits or the rollup.
REFERRAL_COLUMNS = (
    "agency__slug", "agency__name", "agency__name_en",
    "referred_to__slug", "referred_to__name", "referred_to__name_en",
)  # fmt: skip


class Suppressed:
    """A figure hidden for publication. Shown as "<5"; every hidden figure
    is equal to every other, and none is a number."""

    def __str__(self):
        return "<5"

    def __repr__(self):
        return "SUPPRESSED"

    def __eq__(self, other):
        return isinstance(other, Suppressed)

    def __hash__(self):
        return hash(Suppressed)


SUPPRESSED = Suppressed()


@dataclass
class Column:
    key: str
    label: str
    kind: str = COUNT
    # For a RATIO column: the COUNT column it is computed from, so hiding
    # that count hides the ratio too.
    derived_from: str = ""


@dataclass
class Row:
    """One line of a table: ``label`` (localised), ``values`` in column
    order (int, Decimal, None for "does not apply", or SUPPRESSED), a
    stable ``key`` (slug, code or id) and, for series, the admin ``url``."""

    label: str
    values: list
    key: str = ""
    url: str = ""


@dataclass
class Table:
    """A breakdown as plain data. ``totals`` holds the column totals (the
    sums of the rows, for multi-valued breakdowns such as topics too). When
    ``row_totals`` is set, the last COUNT column of each row is its total."""

    slug: str
    title: str
    row_header: str
    columns: list
    rows: list
    totals: Row | None = None
    row_totals: bool = False
    note: str = ""

    def column_index(self, key):
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    @property
    def page_rows(self):
        """The rows the page shows: the first PAGE_ROWS (the order says
        which matter most), and "Outside the schedule" wherever it is. The
        workbook and the JSON have every row."""
        return self.rows[:PAGE_ROWS] + [row for row in self.rows[PAGE_ROWS:] if row.key == "outside"]

    @property
    def rows_left_out(self):
        return len(self.rows) - len(self.page_rows)

    def row(self, key):
        return next(row for row in self.rows if row.key == str(key))

    def cell(self, row_key, column_key):
        """The value in row ``row_key`` (``"total"`` for the totals row) and column ``column_key``."""
        row = self.totals if row_key == "total" else self.row(row_key)
        return row.values[self.column_index(column_key)]

    def as_dict(self):
        """{row key: {column key: value}}, the totals under "total"; for tests and JSON."""
        rows = self.rows + ([self.totals] if self.totals else [])
        return {row.key: {c.key: v for c, v in zip(self.columns, row.values, strict=True)} for row in rows}


@dataclass
class Figure:
    """A headline figure with the same figure for the previous period and
    the same period a year earlier (None when not compared)."""

    slug: str
    label: str
    value: object
    previous: object = None
    year_earlier: object = None

    @staticmethod
    def _change(now, then):
        if then is None:
            return None
        if isinstance(now, Suppressed) or isinstance(then, Suppressed):
            return SUPPRESSED
        return now - then

    @staticmethod
    def _percent(now, then):
        if then is None or isinstance(now, Suppressed) or isinstance(then, Suppressed):
            return None if then is None else SUPPRESSED
        if not then:
            return None
        return int((Decimal(now - then) * 100 / Decimal(then)).quantize(Decimal("1"), ROUND_HALF_UP))

    @property
    def change_previous(self):
        return self._change(self.value, self.previous)

    @property
    def change_year(self):
        return self._change(self.value, self.year_earlier)

    @property
    def percent_previous(self):
        return self._percent(self.value, self.previous)

    @property
    def percent_year(self):
        return self._percent(self.value, self.year_earlier)


@dataclass
class Heatmap:
    """Visits per weekday and hour, and the hours each agency was scheduled
    in each cell. ``visits`` and ``scheduled`` are Tables (the numbers for
    the accessible table and the exports); ``hours`` are the clock hours
    shown; ``scheduled_cells`` maps (ISO weekday, hour) to the agencies
    scheduled then."""

    visits: Table
    scheduled: Table
    hours: list
    scheduled_cells: dict = field(default_factory=dict)


@dataclass
class StatsReport:
    period: "Period"
    filters: "Filters"
    publication: bool
    figures: list
    tables: list
    heatmap: Heatmap
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    def figure(self, slug):
        return next(f for f in self.figures if f.slug == slug)

    def table(self, slug):
        return next(t for t in self.all_tables() if t.slug == slug)

    def all_tables(self):
        """Every table, the heatmap's two included, in page order."""
        return self.tables + [self.heatmap.visits, self.heatmap.scheduled]


# --- Periods --------------------------------------------------------------


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Period:
    """``start`` (included) to ``end`` (excluded), as Stockholm dates.
    ``kind`` is "month", "quarter", "year" or "range"."""

    kind: str
    start: datetime.date
    end: datetime.date

    @classmethod
    def month(cls, year, month):
        start = datetime.date(year, month, 1)
        return cls("month", start, _add_months(start, 1))

    @classmethod
    def quarter(cls, year, quarter):
        start = datetime.date(year, 3 * quarter - 2, 1)
        return cls("quarter", start, _add_months(start, 3))

    @classmethod
    def year(cls, year):
        return cls("year", datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))

    @classmethod
    def range(cls, first, last):
        """From ``first`` to ``last``, both days included."""
        return cls("range", first, last + datetime.timedelta(days=1))

    @classmethod
    def last_full_month(cls, today=None):
        today = today or timezone.localdate()
        previous = _add_months(today.replace(day=1), -1)
        return cls.month(previous.year, previous.month)

    @classmethod
    def parse(cls, text):
        """'2026-11', '2026-Q4' or '2026'; ValueError otherwise."""
        text = (text or "").strip()
        if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise ValueError(text)
            period = cls.month(year, month)
        elif match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            period = cls.quarter(int(match[1]), int(match[2]))
        elif re.fullmatch(r"\d{4}", text):
            period = cls.year(int(text))
        else:
            raise ValueError(text)
        if not FIRST_YEAR <= period.start.year <= LAST_YEAR:
            raise ValueError(text)
        return period

    @property
    def last_day(self):
        return self.end - datetime.timedelta(days=1)

    @property
    def days(self):
        return (self.end - self.start).days

    def bounds(self):
        """Aware datetimes at Stockholm midnight: the start and the end (excluded)."""
        return wall_clock(self.start, datetime.time()), wall_clock(self.end, datetime.time())

    def is_whole_months(self):
        return self.start.day == 1 and self.end.day == 1

    def shifted(self, months=0, days=0):
        if months:
            return Period(self.kind, _add_months(self.start, months), _add_months(self.end, months))
        delta = datetime.timedelta(days=days)
        return Period(self.kind, self.start + delta, self.end + delta)

    def previous(self):
        """The period just before: the month, quarter or year before, or a
        range of as many days ending the day before this one starts."""
        months = {"month": 1, "quarter": 3, "year": 12}.get(self.kind)
        return self.shifted(months=-months) if months else self.shifted(days=-self.days)

    def next(self):
        months = {"month": 1, "quarter": 3, "year": 12}.get(self.kind)
        return self.shifted(months=months) if months else self.shifted(days=self.days)

    def year_earlier(self):
        if self.kind == "range":
            return Period("range", _add_years(self.start, -1), _add_years(self.end, -1))
        return self.shifted(months=-12)

    def trend_months(self):
        """The 12 months up to and including the one this period ends in."""
        last = self.last_day.replace(day=1)
        return [
            Period.month(m.year, m.month)
            for m in (_add_months(last, -i) for i in range(TREND_MONTHS - 1, -1, -1))
        ]

    def code(self):
        """'2026-11', '2026-Q4', '2026' or '2026-01-01--2026-03-31' (file names)."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month + 2) // 3}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}--{self.last_day.isoformat()}"

    def query(self):
        """The GET parameters that choose this period on the page."""
        if self.kind == "range":
            return {"from": self.start.isoformat(), "to": self.last_day.isoformat()}
        return {"period": self.code()}

    def label(self):
        """'november 2026', 'kvartal 4 2026', '2026', '1 januari 2026 – 31 mars 2026'."""
        if self.kind == "month":
            return format_date(self.start, "LLLL y", locale=babel_locale())
        if self.kind == "quarter":
            return _("quarter %(quarter)s %(year)s") % {
                "quarter": (self.start.month + 2) // 3,
                "year": self.start.year,
            }
        if self.kind == "year":
            return str(self.start.year)
        return f"{format_long_date(self.start)} – {format_long_date(self.last_day)}"

    def __str__(self):
        return self.label()


# --- Scope and filters ----------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose visits a user's statistics include (``agencies.permissions.statistics_scope``)."""

    everything: bool = False
    municipality_ids: frozenset = frozenset()
    agency_ids: frozenset = frozenset()
    agency_municipality_ids: frozenset = frozenset()
    national_staff: bool = False

    @classmethod
    def for_user(cls, user):
        """The user's scope; PermissionDenied for a user with no role."""
        rule = statistics_scope(user)
        if rule is None:
            raise PermissionDenied
        return cls(**vars(rule))

    @classmethod
    def all(cls):
        """Every municipality: for the monthly report and open data."""
        return cls(everything=True)

    @classmethod
    def municipality(cls, municipality_id):
        return cls(municipality_ids=frozenset({municipality_id}))

    def visit_q(self, prefix=""):
        """Visits (or, with prefix "slot__", occurrences) in this scope."""
        if self.everything:
            return Q()
        return Q(**{f"{prefix}venue__municipality_id__in": self.municipality_ids}) | Q(
            **{f"{prefix}agency_id__in": self.agency_ids}
        )

    def occurrence_q(self):
        return self.visit_q(prefix="slot__")

    def municipalities(self):
        """The municipalities one may filter by."""
        if self.everything or self.national_staff:
            return Municipality.objects.all()
        return Municipality.objects.filter(pk__in=self.municipality_ids | self.agency_municipality_ids)

    def venues(self):
        if self.everything or self.national_staff:
            return Venue.objects.all()
        return Venue.objects.filter(municipality_id__in=self.municipality_ids | self.agency_municipality_ids)

    def agencies(self):
        """Agencies one may filter by: a coordinator's municipal agencies and
        every national one, and a staff member's own."""
        if self.everything:
            return Agency.objects.all()
        allowed = Q(pk__in=self.agency_ids)
        if self.municipality_ids:
            allowed |= Q(municipality_id__in=self.municipality_ids) | Q(municipality__isnull=True)
        return Agency.objects.filter(allowed)


@dataclass(frozen=True)
class Filters:
    """What the page narrows to; each None/"" means "all"."""

    municipality: Municipality | None = None
    venue: Venue | None = None
    agency: Agency | None = None
    format: str = ""

    def visit_q(self):
        q = Q()
        if self.municipality:
            q &= Q(venue__municipality_id=self.municipality.pk)
        if self.venue:
            q &= Q(venue_id=self.venue.pk)
        if self.agency:
            q &= Q(agency_id=self.agency.pk)
        if self.format:
            q &= Q(occurrence__slot__format=self.format)
        return q

    def occurrence_q(self):
        q = Q()
        if self.municipality:
            q &= Q(slot__venue__municipality_id=self.municipality.pk)
        if self.venue:
            q &= Q(slot__venue_id=self.venue.pk)
        if self.agency:
            q &= Q(slot__agency_id=self.agency.pk)
        if self.format:
            q &= Q(slot__format=self.format)
        return q

    def query(self):
        """The GET parameters that choose these filters."""
        values = {
            "municipality": self.municipality.slug if self.municipality else "",
            "venue": self.venue.slug if self.venue else "",
            "agency": self.agency.slug if self.agency else "",
            "format": self.format,
        }
        return {key: value for key, value in values.items() if value}

    def describe(self):
        """'Mjölby, Drop-in' for headings and file summaries (empty: everything)."""
        parts = [
            self.municipality.name if self.municipality else "",
            self.venue.name if self.venue else "",
            self.agency.name if self.agency else "",
            str(Format(self.format).label) if self.format else "",
        ]
        return ", ".join(part for part in parts if part)


# --- The filter form ------------------------------------------------------


class OnOffInput(forms.CheckboxInput):
    """A check box whose raw value reaches the field, so "maybe" is an
    error rather than silently "on"."""

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")


class OnOffField(forms.Field):
    widget = OnOffInput

    def to_python(self, value):
        text = str(value).strip().lower()
        if text in ("", "off", "0", "false", "no"):
            return False
        if text in ("on", "1", "true", "yes"):
            return True
        raise ValidationError(_("Choose on or off."), code="invalid")


class SlugChoiceField(forms.CharField):
    """A slug from a fixed list of objects (the user's scope). ``clean``
    returns the object; the form decides between "unknown" and "not yours"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, **kwargs)
        self.objects = {}

    def set_objects(self, objects):
        self.objects = {obj.slug: obj for obj in objects}
        self.widget = LongSelect(
            choices=[("", _("All"))] + [(slug, _label(obj)) for slug, obj in self.objects.items()]
        )


def _label(obj):
    return obj.name


class StatsFilter(forms.Form):
    """The page's GET parameters: ``period`` (2026-11, 2026-Q4, 2026;
    default the last full month) or ``from`` and ``to`` (dates, at most five
    years apart), ``municipality``, ``venue``, ``agency`` (slugs),
    ``format`` and ``publication`` (on/off).

    After ``is_valid()``: ``period``, ``filters`` and ``publication``. A
    slug that exists but lies outside the scope sets ``out_of_scope``
    (the view answers 404, as for any other scope's page)."""

    period = forms.CharField(
        label=gettext_lazy("Period"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("A month (2026-11), a quarter (2026-Q4) or a year (2026)."),
    )
    municipality = SlugChoiceField(label=gettext_lazy("Municipality"))
    venue = SlugChoiceField(label=gettext_lazy("Venue"))
    agency = SlugChoiceField(label=gettext_lazy("Agency"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), required=False)
    publication = OnOffField(
        label=gettext_lazy("For publication"),
        required=False,
        help_text=gettext_lazy("Hides every count below 5, and the figures they could be worked out from."),
    )

    def __init__(self, data=None, *, scope, today=None):
        super().__init__(data if data is not None else {})
        self.scope = scope
        self.today = today or timezone.localdate()
        self.out_of_scope = False
        # "from" is a Python keyword, so these two are added by name.
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.order_fields(
            ["period", "from", "to", "municipality", "venue", "agency", "format", "publication"]
        )
        # Queries: the municipalities, venues and agencies in scope, one each.
        self.fields["municipality"].set_objects(scope.municipalities().order_by("name"))
        self.fields["venue"].set_objects(scope.venues().order_by("name"))
        self.fields["agency"].set_objects(scope.agencies().order_by("name"))
        self.fields["format"].choices = [("", _("All"))] + list(Format.choices)
        for name, bound in self.fields.items():
            if name != "publication":
                bound.widget.attrs["class"] = (
                    "form-select" if isinstance(bound.widget, forms.Select) else "form-control"
                )
        self.period = self.filters = None
        self.publication = False

    def _clean_slug(self, name, model):
        slug = self.cleaned_data.get(name) or ""
        if not slug:
            return None
        found = self.fields[name].objects.get(slug)
        if found is not None:
            return found
        if re.fullmatch(r"[-a-zA-Z0-9_]+", slug) and model.objects.filter(slug=slug).exists():
            self.out_of_scope = True
        raise ValidationError(
            _("There is no such choice: %(value)s."), params={"value": slug}, code="unknown"
        )

    def clean_municipality(self):
        return self._clean_slug("municipality", Municipality)

    def clean_venue(self):
        return self._clean_slug("venue", Venue)

    def clean_agency(self):
        return self._clean_slug("agency", Agency)

    def clean_period(self):
        text = self.cleaned_data.get("period", "")
        if not text:
            return None
        try:
            return Period.parse(text)
        except ValueError:
            raise ValidationError(
                _(
                    "Write the period as a month (2026-11), a quarter (2026-Q4) or a year (2026), "
                    "from %(first)s to %(last)s."
                ),
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
                code="invalid",
            ) from None

    def clean(self):
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if "from" in self.errors or "to" in self.errors:
            return data
        if first or last:
            self.period = self._range(first, last)
        elif "period" not in self.errors:
            self.period = data.get("period") or Period.last_full_month(self.today)
        venue, municipality = data.get("venue"), data.get("municipality")
        if venue and municipality and venue.municipality_id != municipality.pk:
            self.add_error("venue", _("This venue is not in the chosen municipality."))
        return data

    def _range(self, first, last):
        if not (first and last):
            raise ValidationError(_("Choose both a first and a last day, or neither."), code="incomplete")
        if last < first:
            raise ValidationError(_("The last day is before the first day."), code="reversed")
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            raise ValidationError(
                _("Choose days from %(first)s to %(last)s."), params={"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if last >= _add_years(first, MAX_RANGE_YEARS):
            raise ValidationError(
                _("Choose at most %(years)s years at a time."),
                params={"years": MAX_RANGE_YEARS},
                code="too_long",
            )
        return Period.range(first, last)

    def wants_publication(self):
        """The publication switch as asked for, also when the form has errors."""
        try:
            return OnOffField().to_python(self.data.get("publication", ""))
        except ValidationError:
            return False

    def is_valid(self):
        valid = super().is_valid()
        if valid:
            data = self.cleaned_data
            self.filters = Filters(data["municipality"], data["venue"], data["agency"], data["format"])
            self.publication = data["publication"]
        return valid and self.period is not None


# --- Computation ----------------------------------------------------------


def _localized_name(row, prefix, field="name"):
    """The English ``field`` column from a values() row when English is active and filled in."""
    # The empty column first: asking for the language costs more.
    if row.get(f"{prefix}{field}_en") and (translation.get_language() or "sv").startswith("en"):
        return row[f"{prefix}{field}_en"]
    return row[f"{prefix}{field}"]


def _hours(duration):
    if not duration:
        return Decimal("0.00")
    return (Decimal(duration.total_seconds()) / 3600).quantize(TWO_PLACES, ROUND_HALF_UP)


def _ratio(count, hours):
    if not hours:
        return None
    return (Decimal(count) / hours).quantize(TWO_PLACES, ROUND_HALF_UP)


def _visit_columns():
    return [Column("visits", _("Visits")), Column("people", _("People helped"))]


def _with_totals(table):
    """The column totals of ``table`` (sums; None for a RATIO column)."""
    sums = []
    for index, column in enumerate(table.columns):
        if column.kind == RATIO:
            sums.append(None)
            continue
        values = [row.values[index] for row in table.rows if row.values[index] is not None]
        sums.append(sum(values, Decimal("0.00") if column.kind == HOURS else 0))
    table.totals = Row(_("Total"), sums, key="total")
    return table


class RawReportBuilder:
    """Runs the report's queries on the raw visits; each method is one query
    (two for the staffed hours). ``ReportBuilder`` reads the daily rollup
    instead; this one is kept as the reference the rollup is tested against
    (tests/test_statistics_rollup.py)."""

    def __init__(self, scope, period, filters, now=None):
        self.scope, self.period, self.filters = scope, period, filters
        self.now = now or timezone.now()
        self.start, self.end = period.bounds()
        self.visits = Visit.objects.filter(scope.visit_q(), filters.visit_q())
        self.in_period = self.visits.filter(started_at__gte=self.start, started_at__lt=self.end)
        # Staffed hours: scheduled, not cancelled, in the period, and ended.
        self.staffed = Occurrence.objects.scheduled().filter(
            scope.occurrence_q(),
            filters.occurrence_q(),
            starts_at__gte=self.start,
            starts_at__lt=self.end,
            ends_at__lte=self.now,
        )

    def headline_counts(self):
        """Visits and people now, the period before and a year earlier: one query."""
        periods = {"now": self.period, "previous": self.period.previous(), "year": self.period.year_earlier()}
        conditions = {}
        for name, period in periods.items():
            start, end = period.bounds()
            conditions[name] = Q(started_at__gte=start, started_at__lt=end)
        any_period = Q()
        for condition in conditions.values():
            any_period |= condition
        aggregates = {}
        for name, condition in conditions.items():
            aggregates[f"visits_{name}"] = Count("pk", filter=condition)
            aggregates[f"people_{name}"] = Sum("people", filter=condition)
        counts = self.visits.filter(any_period).aggregate(**aggregates)
        return {key: value or 0 for key, value in counts.items()}

    def monthly_counts(self):
        """Visits and people in each of the trend's 12 months: one query of
        filtered counts over the months' Stockholm bounds, which the
        database answers from the start-time index, instead of converting
        every visit's time to local time to group it."""
        months = self.period.trend_months()
        aggregates = {}
        for month in months:
            start, end = month.bounds()
            condition = Q(started_at__gte=start, started_at__lt=end)
            aggregates[f"visits_{month.code()}"] = Count("pk", filter=condition)
            aggregates[f"people_{month.code()}"] = Sum("people", filter=condition)
        first, last = months[0].bounds()[0], months[-1].bounds()[1]
        counts = self.visits.filter(started_at__gte=first, started_at__lt=last).aggregate(**aggregates)
        return {
            (m.start.year, m.start.month): (
                counts[f"visits_{m.code()}"] or 0,
                counts[f"people_{m.code()}"] or 0,
            )
            for m in months
        }

    def _visits(self):
        """The count of visits in a group: its visits here, the sum of its
        rows' counts in the rollup."""
        return Count("pk")

    def _grouped(self, queryset, fields):
        sums = {"visits": self._visits(), "people": Sum("people")}
        return queryset.values(*fields).annotate(**sums).order_by(*fields)

    def _period_totals(self):
        return self.in_period

    def _agency_totals(self):
        return self.in_period

    def _choice_rows(self, name):
        return self._grouped(self.in_period, [name])

    def by_agency(self):
        rows = [
            Row(_localized_name(r, "agency__"), [r["visits"], r["people"]], key=r["agency__slug"])
            for r in self._grouped(self._agency_totals(), ["agency__slug", "agency__name", "agency__name_en"])
        ]
        return self._breakdown("agency", _("Visits per agency"), _("Agency"), rows)

    def _link_source(self, link):
        """The queryset to group by ``link`` ("topics" or "eservices") and its field prefix."""
        return self.in_period, f"{link}__"

    def _by_link(self, link, slug, title, header, none_label, note):
        rows = []
        queryset, prefix = self._link_source(link)
        for r in self._grouped(queryset, [f"{prefix}slug", f"{prefix}name", f"{prefix}name_en"]):
            label = _localized_name(r, prefix) if r[f"{prefix}slug"] else none_label
            rows.append(Row(label, [r["visits"], r["people"]], key=r[f"{prefix}slug"] or "none"))
        return self._breakdown(slug, title, header, rows, note=note)

    def by_topic(self):
        note = _("A visit can be about several topics, so the rows add up to more than the visits.")
        return self._by_link("topics", "topic", _("Visits per topic"), _("Topic"), _("No topic"), note)

    def by_eservice(self):
        note = _("A visit can be about several e-services, so the rows add up to more than the visits.")
        return self._by_link(
            "eservices", "eservice", _("Visits per e-service"), _("E-service"), _("No e-service"), note
        )

    def by_choice(self, name, slug, title, header, choices, empty_label=None):
        """A breakdown by a field with choices, in the choices' order."""
        found = {r[name]: r for r in self._choice_rows(name)}
        labels = dict(choices)
        if empty_label is not None:
            labels[""] = empty_label
        rows = [
            Row(str(label), [found[code]["visits"], found[code]["people"]], key=code or "none")
            for code, label in labels.items()
            if code in found
        ]
        # A value no longer among the choices still counts.
        rows += [
            Row(code, [r["visits"], r["people"]], key=code) for code, r in found.items() if code not in labels
        ]
        return _with_totals(Table(slug, title, header, _visit_columns(), rows))

    def by_language(self):
        rows = [
            Row(language_name(r["language"]), [r["visits"], r["people"]], key=r["language"])
            for r in self._choice_rows("language")
        ]
        return self._breakdown("language", _("Visits per language used"), _("Language"), rows)

    def _breakdown(self, slug, title, header, rows, note=""):
        rows.sort(key=lambda row: (-row.values[0], row.key == "none", row.label))
        return _with_totals(Table(slug, title, header, _visit_columns(), rows, note=note))

    def staffed_hours(self):
        """Hours and sessions per series (one query) and the visits in the
        period per series they were logged at, None outside the schedule
        (one query)."""
        duration = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
        slot_fields = [
            "slot_id", "slot__agency__slug", "slot__agency__name", "slot__agency__name_en",
            "slot__venue__name", "slot__title", "slot__title_en", "slot__recurrence", "slot__weekday",
            "slot__interval", "slot__week_of_month", "slot__start_time", "slot__end_time", "slot__first_date",
        ]  # fmt: skip
        series = list(
            self.staffed.values(*slot_fields)
            .annotate(duration=Sum(duration), sessions=Count("pk"))
            .order_by("slot_id")
        )
        return series, self._visits_by_staffed_slot()

    def _visits_by_staffed_slot(self):
        """{series id, or None outside the schedule: visits in the period}."""
        at_staffed = Case(
            When(occurrence_id__in=self.staffed.values("pk"), then=F("occurrence__slot_id")), default=None
        )
        return {
            r["staffed_slot"]: r["visits"]
            for r in self._period_totals()
            .annotate(staffed_slot=at_staffed)
            .values("staffed_slot")
            .annotate(visits=self._visits())
            .order_by()
        }

    def heatmap_cells(self):
        """{(ISO weekday, Stockholm hour): visits} in the period: one query."""
        local = {"tzinfo": STOCKHOLM}
        return {
            (r["weekday"], r["hour"]): r["visits"]
            for r in self.in_period.annotate(
                weekday=ExtractIsoWeekDay("started_at", **local), hour=ExtractHour("started_at", **local)
            )
            .values("weekday", "hour")
            .annotate(visits=Count("pk"))
            .order_by()
        }

    def schedule_groups(self):
        """The staffed occurrences grouped by agency, weekday and clock times: one query."""
        local = {"tzinfo": STOCKHOLM}
        return list(
            self.staffed.annotate(
                weekday=ExtractIsoWeekDay("starts_at", **local),
                start_hour=ExtractHour("starts_at", **local),
                start_minute=ExtractMinute("starts_at", **local),
                end_hour=ExtractHour("ends_at", **local),
                end_minute=ExtractMinute("ends_at", **local),
            )
            .values(
                "slot__agency__slug",
                "slot__agency__name",
                "slot__agency__name_en",
                "weekday",
                "start_hour",
                "start_minute",
                "end_hour",
                "end_minute",
            )  # fmt: skip
            .annotate(sessions=Count("pk"))
            .order_by()
        )

    def referral_pairs(self):
        """(from agency, to agency, visits) rows: one query."""
        return list(self._referrals().values(*REFERRAL_COLUMNS).annotate(visits=self._visits()).order_by())

    def _referrals(self):
        return self.in_period.filter(referred_to__isnull=False)


class ReportBuilder(RawReportBuilder):
    """The report's queries on the daily rollup (``VisitDailyCount`` and
    the topic and e-service rollups, kept by visitors/rollup.py): the same
    figures as the raw builder's, as sums over a period's rollup rows
    (a few per day, venue and occurrence) instead of groups of its visits.
    A period of whole months (and every 12-month trend) reads the monthly
    rows (``VisitMonthlyCount``) for what needs neither the day nor the
    session: the headline counts, the agencies, the choices and the
    referrals. The staffed hours and the heatmap's scheduled hours still
    read the occurrences, which are few. Same queries, one each."""

    def __init__(self, scope, period, filters, now=None):
        super().__init__(scope, period, filters, now=now)
        in_scope = (scope.visit_q(), filters.visit_q())
        days = Q(day__gte=period.start, day__lt=period.end)
        self.counts = VisitDailyCount.objects.filter(*in_scope)
        self.period_counts = self.counts.filter(days)
        # Whole months are summed from the monthly rows, unless the format
        # filter needs each row's session.
        self.months = None if filters.format else VisitMonthlyCount.objects.filter(*in_scope)
        self.cells = self.period_counts
        if self.months is not None and period.is_whole_months():
            self.cells = self.months.filter(month__gte=period.start, month__lt=period.end)
        self.topic_rows = VisitDailyTopic.objects.filter(*in_scope).filter(days)
        self.eservice_rows = VisitDailyEService.objects.filter(*in_scope).filter(days)

    def _visits(self):
        return Sum("visits")

    def _period_totals(self):
        return self.period_counts.filter(breakdown=RollupBreakdown.TOTAL)

    def _agency_totals(self):
        return self.cells.filter(breakdown=RollupBreakdown.TOTAL)

    def _choice_rows(self, name):
        rows = self.cells.filter(breakdown=name).annotate(**{name: F("value")})
        return self._grouped(rows, [name])

    def _link_source(self, link):
        return (self.topic_rows, "topic__") if link == "topics" else (self.eservice_rows, "eservice__")

    def _sums_per_period(self, periods):
        """{name: (visits, people)} for {name: Period}: one query of
        filtered sums over the total rows."""
        rows, field = self.counts, "day"
        if self.months is not None and all(p.is_whole_months() for p in periods.values()):
            rows, field = self.months, "month"
        conditions = {
            name: Q(**{f"{field}__gte": p.start, f"{field}__lt": p.end}) for name, p in periods.items()
        }
        any_period = Q()
        for condition in conditions.values():
            any_period |= condition
        aggregates = {}
        for index, condition in enumerate(conditions.values()):
            aggregates[f"visits_{index}"] = Sum("visits", filter=condition)
            aggregates[f"people_{index}"] = Sum("people", filter=condition)
        sums = rows.filter(any_period, breakdown=RollupBreakdown.TOTAL).aggregate(**aggregates)
        return {
            name: (sums[f"visits_{i}"] or 0, sums[f"people_{i}"] or 0) for i, name in enumerate(conditions)
        }

    def headline_counts(self):
        periods = {"now": self.period, "previous": self.period.previous(), "year": self.period.year_earlier()}
        counts = {}
        for name, (visits, people) in self._sums_per_period(periods).items():
            counts[f"visits_{name}"], counts[f"people_{name}"] = visits, people
        return counts

    def monthly_counts(self):
        months = {(m.start.year, m.start.month): m for m in self.period.trend_months()}
        return self._sums_per_period(months)

    def heatmap_cells(self):
        # The weekday of the Stockholm day, the hour kept in ``value``.
        return {
            (r["weekday"], int(r["value"])): r["visits"]
            for r in self.period_counts.filter(breakdown=RollupBreakdown.HOUR)
            .annotate(weekday=ExtractIsoWeekDay("day"))
            .values("weekday", "value")
            .annotate(visits=Sum("visits"))
            .order_by()
        }

    def _referrals(self):
        return self.cells.filter(breakdown=RollupBreakdown.REFERRAL)


@functools.lru_cache(maxsize=4096)
def _rule_text(language, *fields):
    # Thousands of series in a region share a few hundred rules ("Tuesday
    # every week, 13:00–15:00"); each costs translations and Babel clocks.
    return describe_recurrence(*fields)


def _series_label(row):
    once = row["slot__recurrence"] == Recurrence.ONCE
    rule = _rule_text(
        translation.get_language(),
        *(row[f"slot__{name}"] for name in ("recurrence", "weekday", "interval", "week_of_month")),
        row["slot__start_time"], row["slot__end_time"], row["slot__first_date"] if once else None,
    )  # fmt: skip
    parts = [_localized_name(row, "slot__agency__"), row["slot__venue__name"], rule]
    if title := _localized_name(row, "slot__", field="title"):
        parts.insert(1, title)
    return " – ".join(parts)


def _staffed_columns():
    return [
        Column("hours", _("Staffed hours"), HOURS),
        Column("sessions", _("Sessions"), PLAIN),
        Column("visits", _("Visits")),
        Column("per_hour", _("Visits per staffed hour"), RATIO, derived_from="visits"),
    ]


def _weakest_first(rows):
    """Lowest visits per staffed hour first; then more hours first (more to win)."""
    rows.sort(key=lambda row: (row.values[3], -row.values[0], row.label))
    return rows


def _staffed_tables(series, visits):
    outside = visits.get(None, 0)
    outside_row = Row(_("Outside the schedule"), [None, None, outside, None], key="outside")
    series_rows, per_agency = [], {}
    # One reverse() for thousands of series: the admin's address with the
    # id put in (its pattern takes any path as the id).
    change_url = reverse("admin:schedule_staffedslot_change", args=["ID"])
    for row in series:
        hours = _hours(row["duration"])
        count = visits.get(row["slot_id"], 0)
        series_rows.append(
            Row(
                _series_label(row),
                [hours, row["sessions"], count, _ratio(count, hours)],
                key=str(row["slot_id"]),
                url=change_url.replace("/ID/", f"/{row['slot_id']}/"),
            )
        )
        agency = per_agency.setdefault(
            row["slot__agency__slug"],
            {
                "label": _localized_name(row, "slot__agency__"),
                "hours": Decimal("0.00"),
                "sessions": 0,
                "visits": 0,
            },
        )
        agency["hours"] += hours
        agency["sessions"] += row["sessions"]
        agency["visits"] += count
    agency_rows = [
        Row(a["label"], [a["hours"], a["sessions"], a["visits"], _ratio(a["visits"], a["hours"])], key=slug)
        for slug, a in per_agency.items()
    ]
    tables = []
    for slug, title, header, rows in (
        (
            "staffed_agency",
            _("Staffed hours and visits per staffed hour, per agency"),
            _("Agency"),
            agency_rows,
        ),
        (
            "staffed_series",
            _("Staffed hours and visits per staffed hour, per series"),
            _("Series"),
            series_rows,
        ),
    ):
        table = _with_totals(
            Table(slug, title, header, _staffed_columns(), _weakest_first(rows) + [outside_row])
        )
        staffed_visits = table.totals.values[2] - outside
        table.totals.values[3] = _ratio(staffed_visits, table.totals.values[0])
        table.note = _("Staffed hours: the scheduled sessions in the period that have ended. Weakest first.")
        tables.append(table)
    return tables


def _heatmap(visit_cells, schedule_groups):
    """``visit_cells``: {(ISO weekday, hour): visits}; ``schedule_groups``:
    values() rows of occurrences grouped by agency, weekday and clock times.
    Spreads each group's sessions over the clock hours they cover."""
    scheduled = {}  # (agency id, weekday, hour) -> hours
    names, cells = {}, {}
    for group in schedule_groups:
        agency = group["slot__agency__slug"]
        names[agency] = _localized_name(group, "slot__agency__")
        begin = group["start_hour"] * 60 + group["start_minute"]
        finish = group["end_hour"] * 60 + group["end_minute"]
        if finish <= begin:  # past midnight: counted up to midnight
            finish = 24 * 60
        for hour in range(begin // 60, (finish - 1) // 60 + 1):
            minutes = min(finish, (hour + 1) * 60) - max(begin, hour * 60)
            key = (agency, group["weekday"], hour)
            scheduled[key] = scheduled.get(key, Decimal(0)) + Decimal(minutes * group["sessions"]) / 60
            cells.setdefault((group["weekday"], hour), set()).add(names[agency])
    used_hours = {hour for _wd, hour in visit_cells} | {hour for _a, _wd, hour in scheduled}
    hours = list(range(min(used_hours | {9}), max(used_hours | {16}) + 1))
    weekday_names = [
        format_date(datetime.date(2024, 1, day), "EEEE", locale=babel_locale()) for day in WEEKDAYS
    ]
    hour_columns = [Column(f"h{hour:02d}", f"{hour:02d}") for hour in hours]

    visit_rows = []
    for day, name in zip(WEEKDAYS, weekday_names, strict=True):
        values = [visit_cells.get((day, hour), 0) for hour in hours]
        visit_rows.append(Row(name, values + [sum(values)], key=str(day)))
    visits = _with_totals(
        Table(
            "heatmap",
            _("Visits per weekday and hour"),
            _("Weekday"),
            hour_columns + [Column("total", _("Total"))],
            visit_rows,
            row_totals=True,
            note=_("The hour a visit began, Swedish time."),
        )
    )
    schedule_rows = []
    for agency, name in sorted(names.items(), key=lambda item: item[1]):
        for day, day_name in zip(WEEKDAYS, weekday_names, strict=True):
            values = [scheduled.get((agency, day, hour), Decimal(0)).quantize(TWO_PLACES) for hour in hours]
            if any(values):
                schedule_rows.append(Row(f"{name} – {day_name}", values, key=f"{agency}-{day}"))
    schedule = Table(
        "scheduled_hours",
        _("Staffed hours per weekday and hour"),
        _("Agency and weekday"),
        [Column(c.key, c.label, HOURS) for c in hour_columns],
        schedule_rows,
    )
    return Heatmap(
        visits=visits,
        scheduled=_with_totals(schedule),
        hours=hours,
        scheduled_cells={cell: sorted(agencies) for cell, agencies in cells.items()},
    )


def _referral_matrix(pairs):
    """``pairs``: values() rows (from agency, to agency, visits)."""
    senders, receivers = {}, {}
    for pair in pairs:
        senders[pair["agency__slug"]] = _localized_name(pair, "agency__")
        receivers[pair["referred_to__slug"]] = _localized_name(pair, "referred_to__")
    counts = {(p["agency__slug"], p["referred_to__slug"]): p["visits"] for p in pairs}
    sent, received = {}, {}
    for (sender, receiver), visits in counts.items():
        sent[sender] = sent.get(sender, 0) + visits
        received[receiver] = received.get(receiver, 0) + visits
    # The receivers of most referrals get a column each (by name), the
    # others one together.
    top = sorted(receivers, key=lambda slug: (-received[slug], receivers[slug]))[:MATRIX_COLUMNS]
    to_order = sorted(top, key=lambda slug: receivers[slug])
    others = len(receivers) > len(top)
    rows = []
    for sender in senders:
        values = [counts.get((sender, receiver), 0) for receiver in to_order]
        if others:
            values.append(sent[sender] - sum(values))
        rows.append(Row(senders[sender], values + [sent[sender]], key=sender))
    # Most referrals first, as the other breakdowns.
    rows.sort(key=lambda row: (-row.values[-1], row.label))
    columns = [Column(slug, receivers[slug]) for slug in to_order]
    if others:
        columns.append(Column("others", _("Other agencies")))
    columns.append(Column("total", _("Total")))
    table = Table(
        "referrals",
        _("Referrals from agency (rows) to agency (columns)"),
        _("From agency"),
        columns,
        rows,
        row_totals=True,
        note=_("Visits where the resident was sent on to another agency."),
    )
    return _with_totals(table)


def _trend(period, monthly):
    """``monthly``: {(year, month): (visits, people)} for the 12 months."""
    rows = []
    for month in period.trend_months():
        visits, people = monthly.get((month.start.year, month.start.month), (0, 0))
        rows.append(
            Row(format_date(month.start, "LLL y", locale=babel_locale()), [visits, people], key=month.code())
        )
    return _with_totals(Table("trend", _("The last 12 months"), _("Month"), _visit_columns(), rows))


def _figures(counts, staffed_table):
    hours = staffed_table.totals.values[0]
    return [
        Figure("visits", _("Visits"), counts["visits_now"], counts["visits_previous"], counts["visits_year"]),
        Figure(
            "people",
            _("People helped"),
            counts["people_now"],
            counts["people_previous"],
            counts["people_year"],
        ),
        Figure("staffed_hours", _("Staffed hours"), hours),
        Figure("per_staffed_hour", _("Visits per staffed hour"), staffed_table.totals.values[3]),
    ]


def build_report(scope, period, filters=None, publication=False, now=None, builder_class=None):
    """Every figure for ``scope`` in ``period`` narrowed by ``filters``.
    With ``publication``, small counts are hidden (see ``suppress``).

    The figures of visits come from the daily rollup (``ReportBuilder``);
    ``builder_class=RawReportBuilder`` computes them from the visits
    themselves, for the test that the two agree.

    Queries (17, whatever the number of visits): headline counts; visits
    per agency, topic, e-service, outcome, mode, language, device, age band
    and first visit (one each); staffed hours per series and visits per
    series; the heatmap's visits and its scheduled hours; the referral
    matrix; the 12-month trend; the bookings per series."""
    filters = filters or Filters()
    builder = (builder_class or ReportBuilder)(scope, period, filters, now=now)
    tables = [
        builder.by_agency(),
        builder.by_topic(),
        builder.by_eservice(),
        builder.by_choice("outcome", "outcome", _("Visits per outcome"), _("Outcome"), Outcome.choices),
        builder.by_choice("mode", "mode", _("Visits per kind of help"), _("Kind of help"), Mode.choices),
        builder.by_language(),
        builder.by_choice(
            "device", "device", _("Visits per device"), _("Device"), Device.choices, _("Not recorded")
        ),
        builder.by_choice(
            "age_band", "age_band", _("Visits per age"), _("Age"), AgeBand.choices, _("Not recorded")
        ),
        builder.by_choice(
            "first_visit",
            "first_visit",
            _("First visit to the workshop"),
            _("First visit"),
            FirstVisit.choices,
        ),
    ]
    staffed_agency, staffed_series = _staffed_tables(*builder.staffed_hours())
    tables += [staffed_agency, staffed_series]
    heatmap = _heatmap(builder.heatmap_cells(), builder.schedule_groups())
    tables.append(_referral_matrix(builder.referral_pairs()))
    tables.append(_trend(period, builder.monthly_counts()))
    tables.append(bookings_table(builder))
    figures = _figures(builder.headline_counts(), staffed_agency)
    report = StatsReport(period, filters, publication, figures, tables, heatmap)
    return suppress_report(report) if publication else report


# --- Bookings ---------------------------------------------------------------


def _booking_columns():
    return [
        Column("booked", _("Booked")),
        Column("attended", _("Came")),
        Column("no_show", _("Did not come")),
    ]


def bookings_table(builder):
    """Booked, attended and no-show counts per series, and per agency (the
    sums of its series), of the scheduled sessions in the period: one query,
    counted in the database. "Booked" counts every booking that held a
    place; cancelled bookings are left out."""
    sessions = Occurrence.objects.scheduled().filter(
        builder.scope.occurrence_q(),
        builder.filters.occurrence_q(),
        starts_at__gte=builder.start,
        starts_at__lt=builder.end,
    )
    slot_fields = [
        "slot_id", "slot__agency__slug", "slot__agency__name", "slot__agency__name_en",
        "slot__venue__name", "slot__title", "slot__title_en", "slot__recurrence", "slot__weekday",
        "slot__interval", "slot__week_of_month", "slot__start_time", "slot__end_time", "slot__first_date",
    ]  # fmt: skip
    series = (
        Booking.objects.filter(occurrence__in=sessions, status__in=HOLDING_A_PLACE)
        .values(*[f"occurrence__{name}" for name in slot_fields])
        .annotate(
            booked=Count("pk"),
            attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
            no_show=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        )
        .order_by("occurrence__slot__agency__name", "occurrence__slot_id")
    )
    series_rows, per_agency = [], {}
    for found in series:
        row = {name: found[f"occurrence__{name}"] for name in slot_fields}
        counts = [found["booked"], found["attended"], found["no_show"]]
        series_rows.append(Row(_series_label(row), counts, key=f"series-{row['slot_id']}"))
        agency = per_agency.setdefault(
            row["slot__agency__slug"], {"label": _localized_name(row, "slot__agency__"), "counts": [0, 0, 0]}
        )
        agency["counts"] = [a + b for a, b in zip(agency["counts"], counts, strict=True)]
    agency_rows = [
        Row(_("%(agency)s, all series") % {"agency": a["label"]}, a["counts"], key=f"agency-{slug}")
        for slug, a in per_agency.items()
    ]
    table = Table(
        "bookings",
        _("Bookings per agency and series"),
        _("Agency or series"),
        _booking_columns(),
        series_rows,
        note=_("Sessions booked in advance, in the period. Cancelled bookings are not counted."),
    )
    _with_totals(table)  # the series' sums, before the agency rows are added
    table.rows = agency_rows + series_rows
    return table


# --- Publication ----------------------------------------------------------


def _is_small(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= SMALL_COUNT


def _lines(table, count_columns):
    """Each row and column that has a published total, as (cells, total)
    positions; a position is (row index, column index), the totals row
    having index -1."""
    row_indexes = list(range(len(table.rows))) + ([-1] if table.totals else [])
    if table.row_totals and len(count_columns) > 1:
        *cells, total = count_columns
        for i in row_indexes:
            yield [(i, j) for j in cells], (i, total)
    if table.totals:
        for j in count_columns:
            yield [(i, j) for i in range(len(table.rows))], (-1, j)


def _grid(table):
    """Copies of the table's rows, with the totals row (if any) last."""
    rows = [replace(row, values=list(row.values)) for row in table.rows]
    totals = replace(table.totals, values=list(table.totals.values)) if table.totals else None
    return rows, totals


def _hide_derived_ratios(table, rows):
    for j, column in enumerate(table.columns):
        if column.kind != RATIO or not column.derived_from:
            continue
        source = table.column_index(column.derived_from)
        for row in rows:
            if isinstance(row.values[source], Suppressed):
                row.values[j] = SUPPRESSED


def _secondary(lines, hidden, value):
    """Hide more until no line has exactly one hidden figure."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            members = cells + [total]
            if sum(position in hidden for position in members) != 1:
                continue
            candidates = [p for p in members if p not in hidden and value(p) not in (None, 0)]
            if candidates:
                hidden.add(min(candidates, key=value))
                changed = True


def suppress(table):
    """``table`` for publication: every count from 1 to 4 hidden (0 stays
    0), then, while any row or column with a total has exactly one hidden
    figure among its cells and total (which the others would give away),
    the smallest other non-zero figure in it is hidden too. A ratio is
    hidden with the count it comes from. Returns a new Table."""
    rows, totals = _grid(table)
    by_index = dict(enumerate(rows)) | ({-1: totals} if totals else {})

    def value(position):
        return by_index[position[0]].values[position[1]]

    count_columns = [j for j, column in enumerate(table.columns) if column.kind == COUNT]
    hidden = {(i, j) for i, row in by_index.items() for j in count_columns if _is_small(row.values[j])}
    _secondary(list(_lines(table, count_columns)), hidden, value)
    for i, j in hidden:
        by_index[i].values[j] = SUPPRESSED
    _hide_derived_ratios(table, by_index.values())
    return replace(table, rows=rows, totals=totals)


def _suppress_figure(figure):
    def hide(value):
        return SUPPRESSED if _is_small(value) else value

    if figure.slug in ("visits", "people"):
        return replace(
            figure,
            value=hide(figure.value),
            previous=hide(figure.previous),
            year_earlier=hide(figure.year_earlier),
        )
    return figure


def suppress_report(report):
    """The whole report for publication: every table and headline figure."""
    figures = [_suppress_figure(figure) for figure in report.figures]
    # Visits per staffed hour goes with the visits it divides.
    if isinstance(figures[0].value, Suppressed):
        figures = [replace(f, value=SUPPRESSED) if f.slug == "per_staffed_hour" else f for f in figures]
    heatmap = replace(report.heatmap, visits=suppress(report.heatmap.visits))
    return replace(
        report,
        publication=True,
        figures=figures,
        tables=[suppress(table) for table in report.tables],
        heatmap=heatmap,
    )
