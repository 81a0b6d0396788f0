"""Who helps, where: municipalities, their venues, the agencies that staff
the workshop, what residents need help with, and who belongs where."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eserviceverkstad.colours import (
    AA_NORMAL_TEXT,
    HEX_COLOUR,
    WHITE,
    contrast_ratio,
    text_colour_for,
)
from eserviceverkstad.i18n import SwedishSourceText
from eserviceverkstad.reserved_paths import is_reserved

# A schedule colour is shown as a badge on the white page: WCAG 1.4.11 asks
# 3:1 against the page, and the badge text must reach AA against the colour.
NON_TEXT_CONTRAST = 3.0


def validate_schedule_colour(value):
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(_("Write the colour as # and six hex digits, e.g. #1f5f8b."))
    if contrast_ratio(value, WHITE) < NON_TEXT_CONTRAST:
        raise ValidationError(_("This colour is too pale to see on the white page. Choose a darker colour."))
    if contrast_ratio(value, text_colour_for(value)) < AA_NORMAL_TEXT:
        raise ValidationError(_("Text on this colour would be hard to read."))


def validate_not_a_site_path(value):
    """A municipality's page is /<slug>/: the slug may not be one of the
    site's own first path segments (read from the URLconf)."""
    if is_reserved(value):
        raise ValidationError(
            _(
                "“%(slug)s” cannot be used: the site already has its own pages at /%(slug)s/. "
                "Choose another slug, for example %(slug)s-kommun."
            ),
            code="reserved",
            params={"slug": value},
        )


# Bookings' personal data are deleted this many days after the session,
# unless the municipality sets another number.
BOOKING_RETENTION_DAYS = 30


class Municipality(SwedishSourceText, models.Model):
    # The short name lists and filters show ("Boxholm"), and the body's own
    # name, which statements and contact lists use ("Boxholms kommun").
    name = models.CharField(_("name"), max_length=100, help_text=_("Short, as in lists: e.g. Mjölby"))
    formal_name = models.CharField(
        _("formal name"),
        max_length=120,
        help_text=_("The municipality's own name, as on its letters: e.g. Mjölby kommun"),
    )
    # The municipality's page is /<slug>/, so the slug must not be a path
    # of the site's own.
    slug = models.SlugField(
        _("slug"),
        max_length=60,
        validators=[validate_not_a_site_path],
        help_text=_("The municipality's page is at /slug/: e.g. mjolby"),
    )
    # The county (län) residents look under on the "Where do you live?" page.
    region = models.CharField(
        _("region"), max_length=60, blank=True, help_text=_("The county it lies in: e.g. Östergötlands län")
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # Each municipality follows its own records decision (gallringsbeslut).
    booking_retention_days = models.PositiveSmallIntegerField(
        _("days to keep bookings' personal data"),
        default=BOOKING_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Name, phone, e-mail and what the resident wrote are deleted this many days after the session. "
            "The anonymous counts stay."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="municipality_slug_unique"),
        ]

    def __str__(self):
        return self.name


class Venue(SwedishSourceText, models.Model):
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="venues", verbose_name=_("municipality")
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("E.g. Mjölby library"))
    slug = models.SlugField(_("slug"), max_length=60)
    room = models.CharField(_("room"), max_length=120, blank=True, help_text=_("E.g. the digital workshop"))
    address = models.CharField(_("address"), max_length=200)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    accessibility = models.TextField(
        _("accessibility information"),
        blank=True,
        help_text=_("Entrance, lift, toilet, hearing loop, parking for disabled people."),
    )
    directions = models.TextField(_("how to get there"), blank=True)
    language = models.CharField(
        _("language of the lobby screen"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="sv",
        help_text=_("The screen in the lobby shows this language first."),
    )

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="venue_slug_unique"),
        ]

    def __str__(self):
        return self.name


class AgencyKind(models.TextChoices):
    LIBRARY = "library", _("Library")
    EDUCATION = "education", _("Education")
    CHILDCARE = "childcare", _("Childcare")
    CITIZEN_SERVICE = "citizen_service", _("Citizen service")
    SOCIAL_SERVICES = "social_services", _("Social services")
    TAX_AGENCY = "tax_agency", _("Tax agency")
    EMPLOYMENT_SERVICE = "employment_service", _("Employment service")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    OTHER = "other", _("Other")


class AgencyLevel(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal")
    NATIONAL = "national", _("National")


class Agency(SwedishSourceText, models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    level = models.CharField(_("level"), max_length=20, choices=AgencyLevel.choices)
    municipality = models.ForeignKey(
        Municipality,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("municipality"),
        help_text=_("Only for municipal agencies. National agencies serve every municipality."),
    )
    description = models.TextField(_("description"), blank=True)
    contact = models.TextField(_("contact"), blank=True)
    website = models.URLField(_("website"), blank=True)
    colour = models.CharField(
        _("schedule colour"),
        max_length=7,
        default="#1f5f8b",
        validators=[validate_schedule_colour],
        help_text=_("Shown on the schedule. Must be dark enough to see on white."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="agency_slug_unique"),
            # A municipal office belongs to one municipality; a national
            # agency (Skatteverket) belongs to none.
            models.CheckConstraint(
                condition=(
                    Q(level=AgencyLevel.MUNICIPAL, municipality__isnull=False)
                    | Q(level=AgencyLevel.NATIONAL, municipality__isnull=True)
                ),
                name="agency_level_matches_municipality",
                violation_error_message=_(
                    "A municipal agency needs a municipality; a national agency has none."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def text_colour(self):
        return text_colour_for(self.colour)

    @property
    def css_class(self):
        return f"agency-{self.pk}"


class Topic(SwedishSourceText, models.Model):
    """Something a resident needs help with, as they would say it."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60)
    keywords = models.TextField(
        _("search words"), blank=True, help_text=_("Words residents use, separated by commas.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="topic_slug_unique"),
        ]

    def __str__(self):
        return self.name


class EService(SwedishSourceText, models.Model):
    agency = models.ForeignKey(Agency, models.CASCADE, related_name="eservices", verbose_name=_("agency"))
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=80)
    url = models.URLField(_("link"), blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="eservices", verbose_name=_("topics"))
    what_to_bring = models.TextField(
        _("what to bring"),
        blank=True,
        help_text=_("In plain language, e.g. 'Your BankID on your phone and the letter you got'."),
    )

    class Meta:
        ordering = ["agency__name", "name"]
        verbose_name = _("e-service")
        verbose_name_plural = _("e-services")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="eservice_slug_unique"),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    COORDINATOR = "coordinator", _("Coordinator")
    PROJECT_LEAD = "project_lead", _("Project lead")


class Membership(models.Model):
    """Who belongs where: staff belong to an agency, coordinators to a
    municipality, project leads to their project: the municipalities it
    names (a regional project), or, naming none, all of them (the whole
    installation, as before a project named any)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(
        _("language of e-mails"),
        max_length=10,
        choices=settings.STAFF_LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The monthly statistics report is e-mailed in this language."),
    )
    agency = models.ForeignKey(
        Agency,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("agency"),
    )
    municipality = models.ForeignKey(
        Municipality,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("municipality"),
    )

    # Only project leads name municipalities here (the admin form checks it:
    # a constraint cannot see a many-to-many field).
    municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="project_memberships",
        verbose_name=_("municipalities of the project"),
        help_text=_("Project leads only: the municipalities of their project. None: all municipalities."),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                # Staff of a national agency may also name a municipality
                # they serve there (see ``clean``): one membership each.
                condition=(
                    Q(role=Role.STAFF, agency__isnull=False)
                    | Q(role=Role.COORDINATOR, agency__isnull=True, municipality__isnull=False)
                    | Q(role=Role.PROJECT_LEAD, agency__isnull=True, municipality__isnull=True)
                ),
                name="membership_scope_fits_role",
                violation_error_message=_(
                    "Staff belong to an agency (staff of a national agency also to a municipality they "
                    "serve), coordinators to a municipality, project leads to neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "agency"],
                condition=Q(role=Role.STAFF, municipality__isnull=True),
                name="membership_staff_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "agency", "municipality"],
                condition=Q(role=Role.STAFF, municipality__isnull=False),
                name="membership_staff_serves_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "municipality"],
                condition=Q(role=Role.COORDINATOR),
                name="membership_coordinator_unique",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role=Role.PROJECT_LEAD),
                name="membership_project_lead_unique",
            ),
        ]

    def clean(self):
        super().clean()
        agency = self.agency if self.agency_id else None
        if self.role == Role.STAFF and self.municipality_id and agency and agency.municipality_id:
            raise ValidationError(
                {"municipality": _("Only staff of a national agency name a municipality they serve.")}
            )

    def __str__(self):
        if self.role == Role.STAFF and self.municipality_id:
            return f"{self.user} – {self.get_role_display()} – {self.agency} ({self.municipality})"
        scope = self.agency or self.municipality or _("the project")
        return f"{self.user} – {self.get_role_display()} – {scope}"


class TryItemKind(models.TextChoices):
    E_READER = "e_reader", _("E-reader")
    TABLET = "tablet", _("Tablet")
    SMARTPHONE = "smartphone", _("Smartphone")
    SMART_SPEAKER = "smart_speaker", _("Smart speaker")
    SAFETY_ALARM = "safety_alarm", _("Safety alarm")
    HEARING_LOOP = "hearing_loop", _("Hearing loop")
    VR_HEADSET = "vr_headset", _("VR headset")
    OTHER = "other", _("Other")


class TryItem(SwedishSourceText, models.Model):
    """Technology a venue lets residents try for free before buying: the
    "try" part of the workshop."""

    venue = models.ForeignKey(Venue, models.CASCADE, related_name="try_items", verbose_name=_("venue"))
    name = models.CharField(_("name"), max_length=120, help_text=_("E.g. Läsplatta (Kobo Clara)"))
    kind = models.CharField(_("kind"), max_length=20, choices=TryItemKind.choices)
    description = models.TextField(_("description"), blank=True, max_length=600)
    staff_must_be_present = models.BooleanField(
        _("staff must be present"),
        default=False,
        help_text=_("Residents can only try it at the 'try new technology' times, with staff."),
    )

    class Meta:
        ordering = ["venue__name", "name"]
        verbose_name = _("thing to try")
        verbose_name_plural = _("things to try")
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="tryitem_name_unique_per_venue"),
        ]

    def __str__(self):
        return f"{self.name} ({self.venue})"


# What a resident may write in an accessibility report.
REPORT_MAX_LENGTH = 2000
# Reports are deleted this long after they were sent (the privacy page says so).
REPORT_RETENTION_DAYS = 365


class AccessibilityReportQuerySet(models.QuerySet):
    def expired(self, now=None):
        """Reports older than REPORT_RETENTION_DAYS: the
        privacy page promises they are deleted then."""
        now = now or timezone.now()
        return self.filter(created_at__lt=now - datetime.timedelta(days=REPORT_RETENTION_DAYS))


class AccessibilityReport(models.Model):
    """A resident's report of an accessibility problem (the DOS law asks
    for a way to report one). Stored for coordinators and e-mailed to the
    venue's municipality."""

    venue = models.ForeignKey(
        Venue,
        models.SET_NULL,
        null=True,
        related_name="accessibility_reports",
        verbose_name=_("workshop"),
    )
    page = models.CharField(_("page or place"), max_length=300, blank=True)
    description = models.TextField(_("the problem"), max_length=REPORT_MAX_LENGTH)
    reply_to = models.EmailField(_("e-mail for an answer"), blank=True)
    language = models.CharField(_("language of the page"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    emailed_to = models.EmailField(
        _("e-mailed to"), blank=True, help_text=_("Empty if the e-mail could not be sent.")
    )
    handled = models.BooleanField(_("handled"), default=False)

    objects = AccessibilityReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("accessibility report")
        verbose_name_plural = _("accessibility reports")

    def __str__(self):
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} – {self.venue}"
