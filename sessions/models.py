"""The schedule: a ``StaffedSlot`` is a series ("childcare, Mjölby library,
second Thursday of the month 14-15"), and each ``Occurrence`` is one dated
instance of it, stored as a row so that bookings and visit logs can point at
it and a coordinator can cancel or move it alone."""

import datetime
from zoneinfo import ZoneInfo

from dateutil import rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, Expression, F, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from agencies.models import Agency, Topic, Venue
from eserviceverkstad.i18n import SwedishSourceText, format_clock, is_known_language, language_name

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Languages staff commonly offer in Swedish municipalities; the admin shows
# these as check boxes. Any ISO 639 code Babel knows is accepted.
OFFERED_LANGUAGES = [
    "sv", "en", "ar", "so", "ti", "fa", "prs", "ckb", "kmr", "pl", "fi", "bs",
    "tr", "uk", "ru", "es", "de", "fr", "th",
]  # fmt: skip


class Format(models.TextChoices):
    DROP_IN = "drop_in", _("Drop-in")
    BOOKED = "booked", _("Booked guidance")
    LECTURE = "lecture", _("Lecture")
    TRY = "try", _("Try new technology")


# A booked guidance series is split into times of ``booking_minutes``.
MIN_BOOKING_MINUTES = 10
MAX_BOOKING_MINUTES = 240
MAX_CAPACITY = 500
BOOKABLE_FORMATS = (Format.BOOKED, Format.LECTURE)


class BookingState(models.TextChoices):
    """What the public pages show of a bookable session: only the state, so
    a booking that leaves the state as it was retires no cached page."""

    BOOKABLE = "bookable", _("Book")
    FEW_LEFT = "few_left", _("Few places left")
    FULL = "full", _("Fully booked")


def few_left_threshold(total):
    """At most this many places left shows as "few left": a fifth of the
    places, at least one."""
    return max(1, total // 5)


class Recurrence(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Every N weeks")
    MONTHLY = "monthly", _("Monthly on the Nth weekday")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeekOfMonth(models.IntegerChoices):
    FIRST = 1, _("first")
    SECOND = 2, _("second")
    THIRD = 3, _("third")
    FOURTH = 4, _("fourth")
    LAST = -1, _("last")


def validate_language_codes(value):
    unknown = [code for code in split_languages(value) if not is_known_language(code)]
    if unknown:
        raise ValidationError(
            _("Unknown language code: %(codes)s. Use codes such as sv, en, ar."),
            params={"codes": ", ".join(unknown)},
        )


def split_languages(value):
    return [code.strip() for code in (value or "").split(",") if code.strip()]


def wall_clock(day, clock):
    """An aware datetime for a Stockholm wall-clock time on ``day``.

    zoneinfo picks the right UTC offset for each date, so 14:00 stays 14:00
    on both sides of a daylight-saving change."""
    return datetime.datetime.combine(day, clock, tzinfo=STOCKHOLM)


def _minutes_between(start, end):
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def by_local_day(occurrences, days=()):
    """``{date: [occurrences]}`` in date order, by each occurrence's
    Stockholm date (a session at 00:30 in summer is 22:30 UTC the day
    before). Every day in ``days`` is present, if need be with no entries."""
    grouped = {day: [] for day in days}
    for occurrence in occurrences:
        grouped.setdefault(occurrence.local_start.date(), []).append(occurrence)
    return dict(sorted(grouped.items()))


def is_bookable_series(format, capacity, booking_minutes):
    """The rule of ``StaffedSlot.is_bookable``, for pages that read plain
    rows rather than model instances."""
    if format == Format.LECTURE:
        return bool(capacity)
    return format == Format.BOOKED and bool(capacity and booking_minutes)


def booking_times_between(format, booking_minutes, starts_at, ends_at):
    """The bookable times of a bookable session as (start, end) pairs: a
    lecture is one; booked guidance is the session split into pieces of the
    series' length (what does not fill a whole piece at the end is not
    offered)."""
    if format == Format.LECTURE:
        return [(starts_at, ends_at)]
    step = datetime.timedelta(minutes=booking_minutes)
    times, start = [], starts_at
    while start + step <= ends_at:
        times.append((start, start + step))
        start += step
    return times


def booking_state_of(*, cancelled, format, capacity, booking_minutes, starts_at, ends_at, taken):
    """The rule of ``Occurrence.booking_state`` on plain values: the week
    page reads rows, and building two model instances per entry to ask
    would cost a quarter of a millisecond each (modeltranslation's
    defaults), more than the rest of the entry."""
    if cancelled or not is_bookable_series(format, capacity, booking_minutes) or starts_at <= timezone.now():
        return ""
    total = len(booking_times_between(format, booking_minutes, starts_at, ends_at)) * capacity
    left = total - taken
    if left <= 0:
        return BookingState.FULL
    if left <= few_left_threshold(total):
        return BookingState.FEW_LEFT
    return BookingState.BOOKABLE


class StaffedSlotQuerySet(models.QuerySet):
    def running_on_or_after(self, day):
        return self.filter(Q(last_date__isnull=True) | Q(last_date__gte=day))


def describe_recurrence(recurrence, weekday, interval, week_of_month, start_time, end_time, first_date):
    """A series' rule in words, "Tuesday every week, 13:00–15:00". A
    function of the fields, so that lists of thousands of series (the
    statistics per series) need no model instance each."""
    clock = f"{format_clock(start_time)}–{format_clock(end_time)}"
    if recurrence == Recurrence.ONCE:
        return f"{first_date:%Y-%m-%d} {clock}"
    day = Weekday(weekday).label
    if recurrence == Recurrence.MONTHLY:
        which = WeekOfMonth(week_of_month).label if week_of_month else "?"
        text = ngettext(
            "%(which)s %(weekday)s of every month, %(clock)s",
            "%(which)s %(weekday)s of every %(n)s months, %(clock)s",
            interval,
        )
        return text % {"which": which, "weekday": day, "n": interval, "clock": clock}
    text = ngettext("%(weekday)s every week, %(clock)s", "%(weekday)s every %(n)s weeks, %(clock)s", interval)
    return text % {"weekday": day, "n": interval, "clock": clock}


class StaffedSlot(SwedishSourceText, models.Model):
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="slots", verbose_name=_("agency"))
    venue = models.ForeignKey(Venue, models.PROTECT, related_name="slots", verbose_name=_("venue"))
    format = models.CharField(_("format"), max_length=20, choices=Format.choices, default=Format.DROP_IN)
    title = models.CharField(
        _("title"), max_length=160, blank=True, help_text=_("E.g. the name of a lecture.")
    )
    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, default=Recurrence.WEEKLY
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.MONDAY)
    interval = models.PositiveSmallIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 = every week (or month), 2 = every second week (or month), and so on."),
    )
    week_of_month = models.SmallIntegerField(
        _("which weekday of the month"),
        choices=WeekOfMonth.choices,
        null=True,
        blank=True,
        help_text=_("Only for monthly series, e.g. the second Thursday."),
    )
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(
        _("last date"), null=True, blank=True, help_text=_("Leave empty to run until further notice.")
    )
    languages = models.CharField(
        _("languages"),
        max_length=200,
        default="sv",
        validators=[validate_language_codes],
        help_text=_("Language codes separated by commas, e.g. sv,en,ar."),
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="slots", verbose_name=_("topics"))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
        help_text=_(
            "A lecture: its seats. Booked guidance: how many residents staff can help at once in "
            "each bookable time. Empty for drop-in."
        ),
    )
    booking_minutes = models.PositiveSmallIntegerField(
        _("length of a bookable time (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_BOOKING_MINUTES), MaxValueValidator(MAX_BOOKING_MINUTES)],
        help_text=_("Only for booked guidance, e.g. 30: the session is split into times of this length."),
    )
    note = models.TextField(_("public note"), blank=True, max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffedSlotQuerySet.as_manager()

    class Meta:
        ordering = ["venue__name", "weekday", "start_time"]
        verbose_name = _("staffed series")
        # English "series" is both singular and plural, Swedish is not
        # ("serie", "serier"): a context gives the plural its own msgid.
        verbose_name_plural = pgettext_lazy("plural", "staffed series")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="slot_ends_after_start",
                violation_error_message=_("The end time must be after the start time."),
            ),
            models.CheckConstraint(
                condition=Q(last_date__isnull=True) | Q(last_date__gte=models.F("first_date")),
                name="slot_last_date_not_before_first",
                violation_error_message=_("The last date cannot be before the first date."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6) & Q(interval__gte=1, interval__lte=12),
                name="slot_weekday_and_interval_in_range",
            ),
            # A monthly series needs "which weekday of the month"; other
            # kinds must not carry one, or the meaning would be ambiguous.
            models.CheckConstraint(
                condition=(
                    Q(
                        recurrence=Recurrence.MONTHLY,
                        week_of_month__isnull=False,
                        week_of_month__in=[1, 2, 3, 4, -1],
                    )
                    | Q(recurrence__in=[Recurrence.ONCE, Recurrence.WEEKLY], week_of_month__isnull=True)
                ),
                name="slot_valid_recurrence",
                violation_error_message=_(
                    "A monthly series needs 'which weekday of the month'; other series must leave it empty."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(recurrence=Recurrence.ONCE)
                | Q(last_date__isnull=True)
                | Q(last_date=models.F("first_date")),
                name="slot_once_is_one_day",
                violation_error_message=_("A one-time session has only a first date."),
            ),
            models.CheckConstraint(
                condition=Q(booking_minutes__isnull=True)
                | Q(booking_minutes__gte=MIN_BOOKING_MINUTES, booking_minutes__lte=MAX_BOOKING_MINUTES),
                name="slot_booking_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="slot_capacity_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.agency} – {self.venue} – {self.describe_recurrence()}"

    @property
    def language_codes(self):
        return split_languages(self.languages)

    def language_names(self):
        return [language_name(code) for code in self.language_codes]

    def describe_recurrence(self):
        return describe_recurrence(
            self.recurrence, self.weekday, self.interval, self.week_of_month,
            self.start_time, self.end_time, self.first_date,
        )  # fmt: skip

    def clean(self):
        if self.recurrence == Recurrence.ONCE and self.first_date:
            self.weekday = self.first_date.weekday()
            self.last_date = None
        if self.recurrence != Recurrence.MONTHLY:
            self.week_of_month = None
        elif self.week_of_month is None:
            raise ValidationError({"week_of_month": _("Choose which weekday of the month, e.g. the second.")})
        self.languages = ",".join(split_languages(self.languages))
        self._clean_booking()
        self._refuse_summer_time_gap()
        self._refuse_overlap()

    @property
    def is_bookable(self):
        """Residents book this series: a lecture's seats, or booked guidance
        split into times."""
        return is_bookable_series(self.format, self.capacity, self.booking_minutes)

    def _clean_booking(self):
        if self.format != Format.BOOKED:
            self.booking_minutes = None
        errors = {}
        if self.format in BOOKABLE_FORMATS and not self.capacity:
            errors["capacity"] = (
                _("Write how many residents can book each time, e.g. 1.")
                if self.format == Format.BOOKED
                else _("Write how many seats the lecture has.")
            )
        if self.format == Format.BOOKED:
            if not self.booking_minutes:
                errors["booking_minutes"] = _("Write how long each bookable time is, e.g. 30 minutes.")
            elif self.start_time and self.end_time:
                minutes = _minutes_between(self.start_time, self.end_time)
                if self.booking_minutes > minutes:
                    errors["booking_minutes"] = _(
                        "A bookable time cannot be longer than the session (%(minutes)s minutes)."
                    ) % {"minutes": minutes}
        if errors:
            raise ValidationError(errors)

    def _refuse_summer_time_gap(self):
        # 02:00-03:00 does not exist on the last Sunday of March in Sweden.
        gap = (datetime.time(2), datetime.time(3))
        for name in ("start_time", "end_time"):
            clock = getattr(self, name)
            if clock and gap[0] <= clock < gap[1]:
                raise ValidationError(
                    {name: _("Times between 02:00 and 03:00 do not exist on the night summer time begins.")}
                )

    def _refuse_overlap(self):
        if not (self.agency_id and self.venue_id and self.first_date and self.start_time and self.end_time):
            return
        other = self.first_overlapping_series()
        if other is not None:
            raise ValidationError(
                _(
                    "%(agency)s already has a series at %(venue)s at the same time: %(other)s. "
                    "Change the time or dates, or edit that series instead."
                ),
                params={"agency": self.agency, "venue": self.venue, "other": other.describe_recurrence()},
                code="overlap",
            )

    def first_overlapping_series(self):
        """Another series of the same agency at the same venue that shares
        at least one date and overlapping hours with this one."""
        candidates = StaffedSlot.objects.filter(
            agency_id=self.agency_id,
            venue_id=self.venue_id,
            start_time__lt=self.end_time,
            end_time__gt=self.start_time,
        ).exclude(pk=self.pk)
        if self.last_date:
            candidates = candidates.filter(first_date__lte=self.last_date)
        candidates = candidates.running_on_or_after(self.first_date)
        for other in candidates:
            start = max(self.first_date, other.first_date)
            # Two years covers every combination of weekly and monthly cycles.
            end = min(d for d in (self.last_date, other.last_date, start + datetime.timedelta(days=730)) if d)
            if set(self.dates_between(start, end)) & set(other.dates_between(start, end)):
                return other
        return None

    def _rule(self):
        start = datetime.datetime.combine(self.first_date, datetime.time())
        if self.recurrence == Recurrence.ONCE:
            return rrule.rrule(rrule.DAILY, count=1, dtstart=start)
        if self.recurrence == Recurrence.MONTHLY:
            weekday = rrule.weekday(self.weekday)(self.week_of_month)
            return rrule.rrule(rrule.MONTHLY, interval=self.interval, byweekday=weekday, dtstart=start)
        return rrule.rrule(
            rrule.WEEKLY,
            interval=self.interval,
            byweekday=self.weekday,
            wkst=rrule.MO,
            dtstart=start,
        )

    def dates_between(self, start, end):
        """The series' dates from ``start`` to ``end``, both included."""
        if self.last_date:
            end = min(end, self.last_date)
        if end < start:
            return []
        after = datetime.datetime.combine(start, datetime.time())
        before = datetime.datetime.combine(end, datetime.time())
        return [moment.date() for moment in self._rule().between(after, before, inc=True)]

    def times_on(self, day):
        return wall_clock(day, self.start_time), wall_clock(day, self.end_time)

    def save(self, *args, sync=True, **kwargs):
        """Saving a series brings its occurrences in line with it. The admin
        passes ``sync=False`` and syncs after the occurrence table's own
        edits are saved, so a session changed in the same save counts as
        changed by hand."""
        super().save(*args, **kwargs)
        if sync:
            from sessions.schedule import sync_occurrences

            # Kept for the admin, which reports what the sync did.
            self.last_sync = sync_occurrences(self)


class OccurrenceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class InSubqueryOnce(Expression):
    """``field IN (subquery)``, with the subquery computed once.

    PostgreSQL may plan a plain ``IN`` as a nested-loop semi join that runs
    the subquery again for every outer row. With a window function inside
    and statistics that say the table is empty (after a bulk load, before
    autovacuum's ANALYZE) that took minutes for 18,000 occurrences. As
    ``= ANY(ARRAY(...))`` it is an InitPlan: run once, whatever the
    statistics say. SQLite computes an uncorrelated ``IN`` once anyway.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, field, queryset):
        super().__init__()
        self.column, self.subquery = F(field), Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions):
        self.column, self.subquery = expressions

    def as_sql(self, compiler, connection, template="%s IN %s"):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        return template % (column_sql, subquery_sql), (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%s = ANY(ARRAY%s)")


class OccurrenceQuerySet(models.QuerySet):
    def for_schedule(self):
        """Everything a schedule entry shows, in a fixed number of queries:
        one for occurrences with series, agency, venue and municipality, one
        for the series' topics."""
        return (
            self.select_related("slot__agency", "slot__venue__municipality")
            .prefetch_related("slot__topics")
            .order_by("starts_at", "slot__agency__name")
        )

    def between(self, start, end):
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def on_day(self, day):
        start = wall_clock(day, datetime.time())
        return self.between(start, start + datetime.timedelta(days=1))

    def in_week(self, year, week):
        monday = datetime.date.fromisocalendar(year, week, 1)
        start = wall_clock(monday, datetime.time())
        return self.between(start, wall_clock(monday + datetime.timedelta(days=7), datetime.time()))

    def scheduled(self):
        return self.filter(status=OccurrenceStatus.SCHEDULED)

    def first_per(self, field, count):
        """The first ``count`` occurrences by start time for each value of
        ``field`` (e.g. "slot__venue_id"), in one query: a window function
        numbers them within each group."""
        order = [F("starts_at").asc(), F("pk").asc()]
        return self.annotate(
            rank_in_group=Window(RowNumber(), partition_by=[F(field)], order_by=order)
        ).filter(rank_in_group__lte=count)

    def next_per(self, field, count, now=None):
        """The next ``count`` sessions (not cancelled, starting from ``now``
        on) for each value of ``field``, in one query. No date window: a
        monthly series can be five weeks away and is still "next". Filter
        before, and chain ``select_related`` and the order after, this."""
        now = now or timezone.now()
        ranked = self.scheduled().filter(starts_at__gte=now).first_per(field, count)
        # Ranked by key alone: the window then sorts narrow rows, and the
        # caller's select_related joins only the few rows that are kept
        # (with 300 series, 17,000 coming rows: 500 ms joined, 60 ms so).
        return self.model._default_manager.filter(InSubqueryOnce("pk", ranked.values("pk")))

    def happening_at(self, moment):
        return self.scheduled().filter(starts_at__lte=moment, ends_at__gt=moment)

    def speaking(self, code):
        """Occurrences whose series offers the language ``code``. Languages
        are stored as 'sv,en,ar'; matching whole codes works on every
        database without JSON support."""
        field = "slot__languages"
        return self.filter(
            Q(**{field: code})
            | Q(**{f"{field}__startswith": f"{code},"})
            | Q(**{f"{field}__endswith": f",{code}"})
            | Q(**{f"{field}__contains": f",{code},"})
        )


class Occurrence(SwedishSourceText, models.Model):
    slot = models.ForeignKey(
        StaffedSlot, models.CASCADE, related_name="occurrences", verbose_name=_("series")
    )
    # The series date this row stands for. It never changes, even when the
    # coordinator moves the time, so re-generating the series finds the row.
    date = models.DateField(_("series date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    room = models.CharField(
        _("room"), max_length=120, blank=True, help_text=_("Only if different from the venue's room.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OccurrenceStatus.choices, default=OccurrenceStatus.SCHEDULED
    )
    cancellation_reason = models.CharField(
        _("reason for cancellation"),
        max_length=300,
        blank=True,
        help_text=_("Shown on the public schedule, e.g. 'Closed for Easter'."),
    )
    # Set when a coordinator changed this occurrence by hand; series edits
    # then leave it alone.
    is_exception = models.BooleanField(_("changed by hand"), default=False)
    # A coordinator saw that a series edit left this occurrence outside the
    # series and chose to keep it (or cancelled it). Whether it is outside
    # is computed from the rule (sessions.schedule.awaiting_decision); this
    # only records the decision, and the sync clears it when the date is
    # back in the series.
    kept_outside_series = models.BooleanField(_("kept outside the series"), default=False)
    # RFC 5545 SEQUENCE: grows each time the time, room or status changes.
    sequence = models.PositiveIntegerField(default=0)
    # Active bookings, kept by the booking service in the same transaction
    # that locks this row, counts them and books (visitors/booking.py, via
    # ``sessions.schedule.record_places_taken``), so the public pages show
    # the state without a query of their own.
    places_taken = models.PositiveSmallIntegerField(_("places booked"), default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OccurrenceQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("occurrence")
        verbose_name_plural = _("occurrences")
        constraints = [
            models.UniqueConstraint(fields=["slot", "date"], name="occurrence_one_per_series_date"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="occurrence_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=~Q(status=OccurrenceStatus.CANCELLED) | ~Q(cancellation_reason=""),
                name="occurrence_cancellation_has_reason",
                violation_error_message=_("Write a reason for the cancellation; residents see it."),
            ),
        ]
        indexes = [
            # The week page, the home page's "here now" and "next", and the
            # calendar feed all select by start time.
            models.Index(fields=["starts_at"], name="occurrence_starts_at_idx"),
            # A municipality's or a venue's week (the week page, the venue
            # page, the feed): the planner walks the place's series and
            # finds each one's week here, instead of reading every session
            # of the series and dropping those of other weeks.
            models.Index(fields=["slot", "starts_at"], name="occurrence_series_start_idx"),
        ]

    def __str__(self):
        return f"{self.slot.agency} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self):
        return self.status == OccurrenceStatus.CANCELLED

    def changed_by_hand(self):
        """Mark a coordinator's change: series edits now leave this
        occurrence alone, and calendar clients see a higher SEQUENCE."""
        self.is_exception = True
        self.sequence += 1
        self.updated_at = timezone.now()

    @property
    def display_room(self):
        return self.room or self.slot.venue.room

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, STOCKHOLM)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at, STOCKHOLM)

    def booking_times(self):
        """The bookable times as (start, end) pairs: a lecture is one; booked
        guidance is the session split into pieces of the series' length
        (what does not fill a whole piece at the end is not offered)."""
        slot = self.slot
        if not slot.is_bookable:
            return []
        return booking_times_between(slot.format, slot.booking_minutes, self.starts_at, self.ends_at)

    @property
    def places_total(self):
        return len(self.booking_times()) * (self.slot.capacity or 0)

    @property
    def places_left(self):
        return max(0, self.places_total - self.places_taken)

    def booking_state(self, taken=None):
        """The public state ("bookable", "few left", "full"), or "" when
        residents do not book this session or it has begun or is cancelled.
        ``taken`` asks what the state would be with that many booked."""
        slot = self.slot
        return booking_state_of(
            cancelled=self.is_cancelled, format=slot.format, capacity=slot.capacity,
            booking_minutes=slot.booking_minutes, starts_at=self.starts_at, ends_at=self.ends_at,
            taken=self.places_taken if taken is None else taken,
        )  # fmt: skip

    def clean(self):
        if self.status == OccurrenceStatus.CANCELLED and not self.cancellation_reason.strip():
            raise ValidationError(
                {"cancellation_reason": _("Write a reason for the cancellation; residents see it.")}
            )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


def horizon_end(today=None):
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=settings.OCCURRENCE_HORIZON_DAYS)
