"""What happens at an occurrence: the staff's anonymous visit log.

A ``Visit`` records one help session (or a lecture's headcount) without a
name, contact detail or identity number: nothing in this module stores who
the resident was. ``VisitChange`` is the audit trail coordinators read.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, EService, Topic, Venue
from eserviceverkstad.i18n import format_clock, format_day, language_name
from sessions.models import STOCKHOLM, Format, Occurrence, validate_language_codes
from visitors.anonymity import validate_anonymous

MAX_DURATION_MINUTES = 8 * 60
# Staff may log or correct a visit this long afterwards.
EDIT_WINDOW = datetime.timedelta(days=14)
NOTE_MAX_LENGTH = 500
# A visit logged at an occurrence starts within its time, give or take this:
# staff start a little early or finish the last resident after the end.
OCCURRENCE_MARGIN = datetime.timedelta(minutes=30)


def fits_occurrence(occurrence, started_at):
    return occurrence.starts_at - OCCURRENCE_MARGIN <= started_at <= occurrence.ends_at + OCCURRENCE_MARGIN


class Mode(models.TextChoices):
    DROP_IN = "drop_in", _("Drop-in")
    BOOKED = "booked", _("Booked")
    LECTURE = "lecture", _("Lecture")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other")


# The kind of help a visit was, by default, from the kind of session.
MODE_FOR_FORMAT = {
    Format.DROP_IN: Mode.DROP_IN,
    Format.BOOKED: Mode.BOOKED,
    Format.LECTURE: Mode.LECTURE,
    Format.TRY: Mode.OTHER,
}


class Outcome(models.TextChoices):
    SOLVED = "solved", _("Solved")
    PARTLY_SOLVED = "partly_solved", _("Partly solved")
    REFERRED = "referred", _("Referred to another agency")
    FOLLOW_UP = "follow_up", _("Follow-up booked")
    NOT_SOLVED = "not_solved", _("Not solved")


class FirstVisit(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Don't know")


class Device(models.TextChoices):
    OWN_PHONE = "own_phone", _("Own phone")
    OWN_COMPUTER = "own_computer", _("Own computer")
    LIBRARY_COMPUTER = "library_computer", _("Library computer")
    LIBRARY_TABLET = "library_tablet", _("Library tablet")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    UNDER_20 = "0-19", _("Under 20")
    FROM_20 = "20-39", _("20–39")
    FROM_40 = "40-64", _("40–64")
    FROM_65 = "65-79", _("65–79")
    FROM_80 = "80+", _("80 or older")


class VisitQuerySet(models.QuerySet):
    def editable_since(self, now=None):
        return self.filter(started_at__gte=(now or timezone.now()) - EDIT_WINDOW)

    def for_list(self):
        """Everything a list of visits shows: occurrence, agency, venue and
        referral in the main query; topics and e-services in one each."""
        return self.select_related("agency", "venue", "referred_to", "occurrence__slot").prefetch_related(
            "topics", "eservices"
        )


class Visit(models.Model):
    occurrence = models.ForeignKey(
        Occurrence,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("scheduled time"),
        help_text=_("Leave empty for help outside a scheduled time."),
    )
    # Copied from the occurrence when there is one, so statistics group by
    # agency and venue without joining through the schedule.
    agency = models.ForeignKey(Agency, models.PROTECT, related_name="visits", verbose_name=_("agency"))
    venue = models.ForeignKey(Venue, models.PROTECT, related_name="visits", verbose_name=_("venue"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="logged_visits", verbose_name=_("logged by")
    )
    started_at = models.DateTimeField(_("start"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    people = models.PositiveSmallIntegerField(
        _("number of people"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="visits", verbose_name=_("topics"))
    eservices = models.ManyToManyField(
        EService, blank=True, related_name="visits", verbose_name=_("e-services")
    )
    mode = models.CharField(_("kind of help"), max_length=20, choices=Mode.choices, default=Mode.DROP_IN)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.SOLVED)
    referred_to = models.ForeignKey(
        Agency,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred to"),
    )
    language = models.CharField(
        _("language used"), max_length=10, default="sv", validators=[validate_language_codes]
    )
    first_visit = models.CharField(
        _("first visit"), max_length=10, choices=FirstVisit.choices, default=FirstVisit.UNKNOWN
    )
    device = models.CharField(_("device"), max_length=20, choices=Device.choices, blank=True)
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices, blank=True)
    note = models.TextField(
        _("note"),
        blank=True,
        validators=[MaxLengthValidator(NOTE_MAX_LENGTH), validate_anonymous],
        help_text=_("Optional. No names, personal identity numbers, e-mail addresses or phone numbers."),
    )
    # The log form carries a one-time key; a double submit or a resubmit
    # after a dropped connection hits this unique constraint instead of
    # making a second visit.
    submission_key = models.UUIDField(_("submission key"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(fields=["submission_key"], name="visit_submission_key_unique"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="visit_duration_within_a_working_day",
            ),
            models.CheckConstraint(condition=Q(people__gte=1), name="visit_at_least_one_person"),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.REFERRED) | Q(referred_to__isnull=False),
                name="visit_referral_names_an_agency",
            ),
        ]
        indexes = [
            # "My logs" and the monthly statistics select by time.
            models.Index(fields=["logged_by", "-started_at"], name="visit_logged_by_start_idx"),
            models.Index(fields=["started_at"], name="visit_started_at_idx"),
            # The statistics (visitors/statistics.py, ReportBuilder): a staff
            # member's scope and the agency filter select a period's visits
            # of some agencies, for every breakdown, the heatmap and the trend.
            models.Index(fields=["agency", "started_at"], name="visit_agency_start_idx"),
            # The same queries for a coordinator's scope (the visits at their
            # municipality's venues) and the venue and municipality filters.
            models.Index(fields=["venue", "started_at"], name="visit_venue_start_idx"),
        ]

    def __str__(self):
        return f"{self.agency} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    def is_editable(self, now=None):
        return self.started_at >= (now or timezone.now()) - EDIT_WINDOW

    def clean(self):
        super().clean()
        if self.occurrence_id is None:
            return
        occurrence = self.occurrence
        slot = occurrence.slot
        if (self.agency_id, self.venue_id) != (slot.agency_id, slot.venue_id):
            raise ValidationError(
                {"occurrence": _("The scheduled time is of another agency or venue than the visit.")}
            )
        if self.started_at and not fits_occurrence(occurrence, self.started_at):
            start = occurrence.local_start
            raise ValidationError(
                {
                    "started_at": _(
                        "The start must be within the scheduled time (%(start)s–%(end)s, give or take "
                        "30 minutes). Choose the right time, or log it outside a scheduled time."
                    )
                    % {
                        "start": f"{format_day(start.date())} {format_clock(start)}",
                        "end": format_clock(occurrence.local_end),
                    }
                }
            )


class VisitChange(models.Model):
    """One change to a visit log: who, when, and what changed. Kept when
    the visit is deleted (``visit`` becomes empty, ``visit_ref`` remains)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")

    visit = models.ForeignKey(
        Visit, models.SET_NULL, null=True, blank=True, related_name="changes", verbose_name=_("visit")
    )
    visit_ref = models.PositiveBigIntegerField(_("visit number"))
    municipality = models.ForeignKey(
        "agencies.Municipality", models.PROTECT, related_name="visit_changes", verbose_name=_("municipality")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="visit_changes", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # {"field": [before, after]} as display strings.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("change to a visit")
        verbose_name_plural = _("changes to visits")
        indexes = [
            # The coordinators' change log lists a municipality's changes, newest first.
            models.Index(fields=["municipality", "-at"], name="visitchange_municip_at_idx"),
        ]

    def changed_fields(self):
        """(field label, before, after) for each changed field."""
        return [
            (Visit._meta.get_field(name).verbose_name, before, after)
            for name, (before, after) in self.changes.items()
        ]

    def __str__(self):
        return f"{self.get_action_display()} #{self.visit_ref} {self.at:%Y-%m-%d %H:%M}"


class TallyCount(models.Model):
    """Tally mode for a busy drop-in hour: staff tap a counter per topic as
    people come; the counts are kept here (so a reload loses nothing) and
    become visits of the occurrence when the hour ends."""

    occurrence = models.ForeignKey(Occurrence, models.CASCADE, related_name="tallies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="tallies")
    # Empty: "other topic".
    topic = models.ForeignKey(Topic, models.CASCADE, null=True, blank=True, related_name="tallies")
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "user", "topic"],
                condition=Q(topic__isnull=False),
                name="tally_one_counter_per_topic",
            ),
            models.UniqueConstraint(
                fields=["occurrence", "user"], condition=Q(topic__isnull=True), name="tally_one_other_counter"
            ),
            models.CheckConstraint(condition=Q(count__lte=500), name="tally_count_at_most_500"),
        ]

    def __str__(self):
        return f"{self.occurrence} {self.topic or '-'}: {self.count}"


class TallyTapQuerySet(models.QuerySet):
    def counted(self):
        """The taps that still count: not taken back by a -1."""
        return self.filter(undone_by__isnull=True)


class TallyTap(models.Model):
    """When each +1 on a counter happened, so the visits saved from a
    tally start when the help was given, not all at the hour's start."""

    counter = models.ForeignKey(TallyCount, models.CASCADE, related_name="taps")
    tapped_at = models.DateTimeField(default=timezone.now)
    # The tablet's one-time key for this +1 (offline taps are sent again
    # when a response is lost): a resend finds the key and counts nothing.
    tap_key = models.UUIDField(null=True, blank=True, editable=False)
    # The key of the -1 that took this tap back: the tap stays, so a
    # resent -1 finds its key and takes back nothing more.
    undone_by = models.UUIDField(null=True, blank=True, editable=False)

    objects = TallyTapQuerySet.as_manager()

    class Meta:
        verbose_name = _("tally tap")
        verbose_name_plural = _("tally taps")
        constraints = [
            models.UniqueConstraint(fields=["tap_key"], name="tallytap_tap_key_unique"),
            models.UniqueConstraint(fields=["undone_by"], name="tallytap_undone_by_unique"),
        ]
        indexes = [
            # A −1 removes the counter's latest tap.
            models.Index(fields=["counter", "-tapped_at"], name="tallytap_counter_latest_idx"),
        ]

    def __str__(self):
        return f"{self.counter_id} {self.tapped_at:%H:%M:%S}"


class ExportJob(models.Model):
    """A statistics workbook too large to build during a request: a
    background task writes it to the export storage, and only the user who
    asked may download it (visitors/export_jobs.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="export_jobs")
    # The statistics page's GET parameters (period, filters): no personal data.
    query = models.CharField(max_length=500)
    language = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("statistics export")
        verbose_name_plural = _("statistics exports")
        indexes = [
            # The download page lists one user's exports, newest first; the
            # clean-up selects old ones by time.
            models.Index(fields=["user", "-created_at"], name="exportjob_user_created_idx"),
            models.Index(fields=["created_at"], name="exportjob_created_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.query} {self.status}"


class ReportKind(models.TextChoices):
    PRELIMINARY = "preliminary", _("Preliminary")
    FINAL = "final", _("Final")


class SentReport(models.Model):
    """The monthly report e-mailed to one user: made before the mail is
    queued, so a task that runs twice finds it and sends nothing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="sent_reports")
    # The first day of the month the report is about.
    month = models.DateField()
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "user_id"]
        verbose_name = _("sent monthly report")
        verbose_name_plural = _("sent monthly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "month", "kind"], name="sentreport_once_per_user_month_kind"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="sentreport_month_is_first_day"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.month:%Y-%m} {self.kind}"


# Bookings. A resident books a time of an occurrence (booked guidance) or a
# seat (a lecture) without an account; visitors/booking.py is the one place
# that books, cancels and counts, under the occurrence's row lock.


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Came")
    NO_SHOW = "no_show", _("Did not come")


# Every status but "cancelled" holds its place: a resident who came (or did
# not) still had it.
HOLDING_A_PLACE = [BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
NEED_MAX_LENGTH = 300
# References leave out letters and digits that are easy to mix up (0/O, 1/I/L).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


class BookingQuerySet(models.QuerySet):
    def holding_a_place(self):
        return self.filter(status__in=HOLDING_A_PLACE)

    def for_staff_list(self):
        return self.select_related("topic", "occurrence__slot__agency", "occurrence__slot__venue")


class Booking(models.Model):
    occurrence = models.ForeignKey(
        Occurrence, models.PROTECT, related_name="bookings", verbose_name=_("session")
    )
    # The bookable time within the occurrence (a lecture: its start).
    starts_at = models.DateTimeField(_("time"))
    ends_at = models.DateTimeField(_("ends"))
    reference = models.CharField(_("booking reference"), max_length=12, editable=False)
    # Personal data: erased (blanked) a set number of days after the
    # occurrence, or on request; the row and its status stay for the counts.
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    topic = models.ForeignKey(
        Topic, models.SET_NULL, null=True, blank=True, related_name="bookings", verbose_name=_("help with")
    )
    need = models.TextField(_("what you need help with"), blank=True, max_length=NEED_MAX_LENGTH)
    language = models.CharField(
        _("preferred language"), max_length=10, blank=True, validators=[validate_language_codes]
    )
    # The language the resident used on the site: their mails are in it.
    site_language = models.CharField(_("language of messages"), max_length=10, default="sv")
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    needs_accessibility = models.BooleanField(_("needs accessibility help"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    # Staff at the desk booking for a resident who has no phone or e-mail at hand.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings_made",
        verbose_name=_("booked by staff"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Claimed before the reminder is queued, so a task that runs twice sends once.
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "created_at"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="booking_reference_unique"),
            models.UniqueConstraint(
                fields=["occurrence", "email"],
                condition=Q(status__in=HOLDING_A_PLACE) & ~Q(email=""),
                name="booking_one_per_email_and_session",
                violation_error_message=_("You have already booked this session with this e-mail."),
            ),
            models.UniqueConstraint(
                fields=["occurrence", "phone"],
                condition=Q(status__in=HOLDING_A_PLACE) & ~Q(phone=""),
                name="booking_one_per_phone_and_session",
                violation_error_message=_("You have already booked this session with this phone number."),
            ),
            # A resident leaves a phone or an e-mail, unless staff booked
            # for them at the desk or the data has been erased.
            models.CheckConstraint(
                condition=~Q(phone="")
                | ~Q(email="")
                | Q(booked_by__isnull=False)
                | Q(erased_at__isnull=False),
                name="booking_has_contact",
            ),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="booking_cancelled_has_time",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
        ]
        indexes = [
            # The capacity count: the places held at one time of an occurrence.
            models.Index(fields=["occurrence", "starts_at", "status"], name="booking_occurrence_time_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def holds_a_place(self):
        return self.status in HOLDING_A_PLACE

    @property
    def is_erased(self):
        return self.erased_at is not None

    def language_name(self):
        return language_name(self.language) if self.language else ""

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, STOCKHOLM)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at, STOCKHOLM)


class SmsMessage(models.Model):
    """A text message to a resident. The default SMS backend only stores it
    here, for staff to read and send by hand; a municipality's backend sends
    it and sets ``sent_at``. Never logged: it holds a phone number."""

    booking = models.ForeignKey(
        Booking, models.CASCADE, null=True, blank=True, related_name="sms", verbose_name=_("booking")
    )
    phone = models.CharField(_("phone"), max_length=20)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("text message")
        verbose_name_plural = _("text messages (outbox)")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.body[:40]}"


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered a place")
    TAKEN = "taken", _("Took the place")
    EXPIRED = "expired", _("Did not answer in time")
    LEFT = "left", _("Left the waiting list")


class WaitingListEntry(models.Model):
    """A resident waiting for a place at one time of a full occurrence.
    While an offer is open (``OFFERED`` and ``offer_ends_at`` to come) the
    place is reserved for them: ``book`` counts it as taken."""

    occurrence = models.ForeignKey(
        Occurrence, models.PROTECT, related_name="waiting_list", verbose_name=_("session")
    )
    starts_at = models.DateTimeField(_("time"))
    # Personal data: erased like a booking's.
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    site_language = models.CharField(_("language of messages"), max_length=10, default="sv")
    status = models.CharField(
        _("status"), max_length=20, choices=WaitingStatus.choices, default=WaitingStatus.WAITING
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_ends_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    booking = models.OneToOneField(
        Booking, models.SET_NULL, null=True, blank=True, related_name="from_waiting_list"
    )
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email="") | Q(erased_at__isnull=False),
                name="waiting_list_has_contact",
            ),
            models.CheckConstraint(
                condition=~Q(status=WaitingStatus.OFFERED) | Q(offer_ends_at__isnull=False),
                name="waiting_list_offer_has_end",
            ),
        ]
        indexes = [models.Index(fields=["occurrence", "starts_at", "status"], name="waiting_list_queue_idx")]

    def __str__(self):
        return f"{self.get_status_display()} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, STOCKHOLM)


# --- The daily rollup -----------------------------------------------------
# Visits counted per Stockholm day, venue, agency and occurrence, one
# breakdown at a time, so the statistics page sums a few thousand rows
# instead of grouping a period's visits. visitors/rollup.py keeps them equal
# to the visits; nothing else writes them.


class RollupBreakdown(models.TextChoices):
    TOTAL = "total", "total"
    OUTCOME = "outcome", "outcome"
    MODE = "mode", "mode"
    LANGUAGE = "language", "language"
    DEVICE = "device", "device"
    AGE_BAND = "age_band", "age band"
    FIRST_VISIT = "first_visit", "first visit"
    # ``value`` is the Stockholm clock hour the visit began.
    HOUR = "hour", "hour"
    # ``referred_to`` is set, ``value`` empty.
    REFERRAL = "referral", "referral"


class VisitRollup(models.Model):
    """A cell's key and counts. The occurrence (empty outside the schedule)
    gives the series, its format and whether it was staffed; the venue and
    agency the scope, as for a visit."""

    day = models.DateField()
    venue = models.ForeignKey(Venue, models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, models.CASCADE, related_name="+")
    occurrence = models.ForeignKey(Occurrence, models.CASCADE, null=True, blank=True, related_name="+")
    visits = models.PositiveIntegerField()
    people = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.day} {self.venue_id} {self.agency_id} {self.occurrence_id}: {self.visits}"


# What the statistics read of a VisitDailyCount row besides its breakdown,
# venue and day (the covering indexes below).
COUNT_COLUMNS = ["value", "agency", "occurrence", "referred_to", "visits", "people"]


class VisitDailyCount(VisitRollup):
    """Visits and people per cell and value of one breakdown; the "total"
    rows count every visit once."""

    breakdown = models.CharField(max_length=20, choices=RollupBreakdown.choices)
    value = models.CharField(max_length=20, blank=True)
    referred_to = models.ForeignKey(Agency, models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        # ReportBuilder (visitors/statistics.py): every breakdown, the
        # headline counts, the trend and the heatmap read one breakdown's
        # rows of a period, of every venue (a national project lead) or of a
        # few (a municipality's or region's), and nothing but the columns
        # below: on PostgreSQL both are index-only scans. Ten million visits
        # make some 7.7 million rows; a month page of the whole country read
        # them in 1.3 s through (breakdown, day) alone, Kalmar län's in 1.8 s
        # (benchmarks/region.py).
        indexes = [
            models.Index(
                fields=["breakdown", "day"],
                include=["venue", *COUNT_COLUMNS],
                name="rollup_count_breakdown_day_idx",
            ),
            models.Index(
                fields=["breakdown", "venue", "day"],
                include=COUNT_COLUMNS,
                name="rollup_count_kind_venue_idx",
            ),
            # rollup.refresh_days deletes a (day, venue) cell.
            models.Index(fields=["day", "venue"], name="rollup_count_day_venue_idx"),
        ]


class VisitDailyTopic(VisitRollup):
    """Visits and people per cell and topic (empty: no topic). A visit
    about two topics counts in both, as in the raw breakdown."""

    topic = models.ForeignKey(Topic, models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [
            # ReportBuilder.by_topic reads a period; refresh_days deletes a cell.
            models.Index(fields=["day", "venue"], name="rollup_topic_day_venue_idx"),
        ]


class VisitDailyEService(VisitRollup):
    """Visits and people per cell and e-service (empty: no e-service)."""

    eservice = models.ForeignKey(EService, models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [
            # ReportBuilder.by_eservice reads a period; refresh_days deletes a cell.
            models.Index(fields=["day", "venue"], name="rollup_eservice_day_venue_idx"),
        ]


class VisitMonthlyCount(models.Model):
    """VisitDailyCount summed per Stockholm month, venue and agency, without
    the occurrence: the rows of whole months that a month, quarter or year
    page and every 12-month trend read. Over ten million visits a month has
    some 650,000 daily rows; of these it keeps one per venue, agency and
    value. What needs the day or the session (the heatmap, the visits per
    series, the format filter) stays on the daily rows. visitors/rollup.py
    recomputes a (month, venue) cell from the daily rows whenever a day of
    it is refreshed."""

    month = models.DateField()  # its first day
    venue = models.ForeignKey(Venue, models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, models.CASCADE, related_name="+")
    breakdown = models.CharField(max_length=20, choices=RollupBreakdown.choices)
    value = models.CharField(max_length=20, blank=True)
    referred_to = models.ForeignKey(Agency, models.CASCADE, null=True, blank=True, related_name="+")
    visits = models.PositiveIntegerField()
    people = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="rollup_month_is_its_first_day"),
        ]
        indexes = [
            # ReportBuilder: a breakdown's rows of whole months, of every
            # venue or of a municipality's or region's.
            models.Index(
                fields=["breakdown", "month"],
                include=["venue", "value", "agency", "referred_to", "visits", "people"],
                name="rollup_month_breakdown_idx",
            ),
            models.Index(
                fields=["breakdown", "venue", "month"],
                include=["value", "agency", "referred_to", "visits", "people"],
                name="rollup_month_venue_idx",
            ),
            # rollup.refresh_days replaces a (month, venue) cell.
            models.Index(fields=["month", "venue"], name="rollup_month_cell_idx"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.venue_id} {self.agency_id} {self.breakdown}: {self.visits}"
