"""The visit log form: built for five taps on a phone.

The common case needs a duration, a topic and "Save": the occurrence comes
from "my day", the start defaults to now, the outcome to solved, the mode
from the kind of session."""

import datetime
import re
import uuid

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, EService, Topic, Venue
from agencies.permissions import agencies_for, venues_for_logging
from eserviceverkstad.fields import IdModelChoiceField, IdModelMultipleChoiceField
from eserviceverkstad.i18n import language_name
from sessions.models import OFFERED_LANGUAGES, Occurrence
from visitors.models import EDIT_WINDOW, MAX_DURATION_MINUTES, MODE_FOR_FORMAT, Outcome, Visit

QUICK_DURATIONS = [5, 10, 15, 30, 45, 60]
# Lazy, so each request shows them in its own language.
DURATION_CHOICES = [(str(m), format_lazy("{} {}", m, _("min"))) for m in QUICK_DURATIONS]
OTHER = "other"
# Filled in for the common case (now, one person, the session's kind of
# help), so "More details" may stay closed.
DETAIL_FIELDS = ["started_at", "people", "eservices", "mode", "first_visit", "device", "age_band", "note"]
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def _same_minute(first, second):
    return abs(first - second) < datetime.timedelta(minutes=1) and first.minute == second.minute


def occurrence_label(occurrence):
    start = timezone.localtime(occurrence.starts_at)
    return f"{start:%Y-%m-%d %H:%M} {occurrence.slot.agency.name}, {occurrence.slot.venue.name}"


class OccurrenceChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj):
        return occurrence_label(obj)


class VisitForm(forms.ModelForm):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    occurrence = OccurrenceChoiceField(
        Occurrence.objects.none(),
        required=False,
        label=_("Scheduled time"),
        empty_label=_("Outside a scheduled time"),
    )
    duration = forms.ChoiceField(
        label=_("How long"),
        choices=[(str(m), _("%(minutes)s min") % {"minutes": m}) for m in QUICK_DURATIONS]
        + [(OTHER, _("Other"))],
        widget=forms.RadioSelect,
    )
    duration_other = forms.IntegerField(
        label=_("Other duration in minutes"), required=False, min_value=1, max_value=MAX_DURATION_MINUTES
    )
    started_at = forms.DateTimeField(
        label=_("Started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    class Meta:
        model = Visit
        fields = [
            "occurrence", "agency", "venue", "started_at", "people", "topics", "eservices", "mode", "outcome",
            "referred_to", "language", "first_visit", "device", "age_band", "note",
        ]  # fmt: skip
        widgets = {
            "topics": forms.CheckboxSelectMultiple,
            "eservices": forms.CheckboxSelectMultiple,
            "mode": forms.RadioSelect,
            "outcome": forms.RadioSelect,
            "first_visit": forms.RadioSelect,
            "device": forms.RadioSelect,
            "age_band": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        }
        field_classes = {
            "agency": IdModelChoiceField,
            "venue": IdModelChoiceField,
            "referred_to": IdModelChoiceField,
            "topics": IdModelMultipleChoiceField,
            "eservices": IdModelMultipleChoiceField,
        }

    def __init__(self, *args, user, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.now = user, now or timezone.now()
        self.allowed_agencies = agencies_for(user)
        if self.instance.pk:
            # A coordinator correcting a log keeps its agency to choose from.
            self.allowed_agencies = Agency.objects.filter(
                Q(pk__in=self.allowed_agencies) | Q(pk=self.instance.agency_id)
            )
        self._limit_choices()
        if not self.instance.pk:
            self.fields["submission_key"].initial = uuid.uuid4()
            self._preselect_only_choices()
        else:
            self.fields["submission_key"].required = False
            self._initial_duration(self.instance.duration_minutes)

    def _limit_choices(self):
        fields = self.fields
        # A correction keeps the visit's own venue and occurrence, however
        # old; everything else is limited to where this user may log.
        own_venue = Q(pk=self.instance.venue_id) if self.instance.venue_id else Q(pk__in=[])
        venues = Venue.objects.filter(Q(pk__in=venues_for_logging(self.user).values("pk")) | own_venue)
        fields["venue"].queryset = venues
        fields["venue"].required = False
        fields["agency"].queryset = self.allowed_agencies
        fields["agency"].required = False
        recent = Occurrence.objects.filter(
            slot__agency__in=self.allowed_agencies, slot__venue__in=venues_for_logging(self.user)
        ).between(*self._occurrence_window())
        current = Q(pk=self.instance.occurrence_id) if self.instance.occurrence_id else Q(pk__in=[])
        fields["occurrence"].queryset = (
            Occurrence.objects.filter(Q(pk__in=recent.values("pk")) | current)
            .select_related("slot__agency", "slot__venue")
            .order_by("-starts_at")
        )
        fields["topics"].queryset = Topic.objects.all()
        fields["eservices"].queryset = EService.objects.filter(
            agency__in=self.allowed_agencies
        ).select_related("agency")
        fields["referred_to"].queryset = Agency.objects.all()
        current = self.instance.language or "sv"
        self._language_choices(current, offered=[current] if self.instance.pk else ())
        for name in ("device", "age_band"):
            fields[name].choices = [("", _("Not noted"))] + list(fields[name].choices)[1:]

    def _language_choices(self, current, offered=()):
        """Quick choices: the session's languages first, then Swedish and
        English; every other language under "Other language"."""
        quick = list(dict.fromkeys([*offered, "sv", "en"]))
        quick_choices = [(code, language_name(code)) for code in quick] + [(OTHER, _("Other language"))]
        others = [(code, language_name(code)) for code in OFFERED_LANGUAGES if code not in quick]
        # Any offered language is valid (which session the form is posted
        # for is not known yet); the buttons show the quick ones.
        field = forms.ChoiceField(label=_("Language used"), choices=quick_choices + others)
        field.widget = forms.RadioSelect(choices=quick_choices)
        self.fields["language"] = field
        self.fields["language_other"] = forms.ChoiceField(
            label=_("Other language"),
            required=False,
            choices=[("", "–"), *others],
        )
        if current in quick:
            self.initial["language"] = current
        else:
            self.initial["language"], self.initial["language_other"] = OTHER, current

    def _preselect_only_choices(self):
        """Staff of one agency at one venue need not choose them."""
        for name in ("agency", "venue"):
            only = list(self.fields[name].queryset[:2])
            if len(only) == 1:
                self.initial.setdefault(name, only[0].pk)

    def details(self):
        """The fields under "More details", which stays closed unless one
        of them has an error (or a log is being corrected)."""
        return [self[name] for name in DETAIL_FIELDS]

    def details_have_errors(self):
        return any(name in self.errors for name in DETAIL_FIELDS)

    def _occurrence_window(self):
        """New logs choose among the last 14 days' occurrences; a
        coordinator correcting an older log also among those around it."""
        start = self.now - EDIT_WINDOW
        if self.instance.pk:
            start = min(start, self.instance.started_at - datetime.timedelta(days=1))
        return start, self.now + datetime.timedelta(days=1)

    def _initial_duration(self, minutes):
        if minutes in QUICK_DURATIONS:
            self.initial["duration"] = str(minutes)
        else:
            self.initial["duration"], self.initial["duration_other"] = OTHER, minutes

    def prefill_for(self, occurrence):
        """Defaults for logging at ``occurrence``: it, its agency's e-services
        and the mode that fits its format."""
        self.initial.update(
            {"occurrence": occurrence.pk, "mode": MODE_FOR_FORMAT.get(occurrence.slot.format)}
        )
        codes = occurrence.slot.language_codes
        self._language_choices(codes[0] if codes else "sv", offered=codes)
        self.fields["eservices"].queryset = self.fields["eservices"].queryset.filter(
            agency=occurrence.slot.agency
        )

    def clean_started_at(self):
        started = self.cleaned_data["started_at"]
        if self.instance.pk and _same_minute(started, self.instance.started_at):
            # A correction of other fields keeps the start, however old
            # (the form shows whole minutes, the stored value may have seconds).
            return self.instance.started_at
        if started > self.now + CLOCK_SKEW:
            raise forms.ValidationError(_("The start cannot be in the future."))
        if started < self.now - EDIT_WINDOW:
            raise forms.ValidationError(_("Visits can be logged up to 14 days afterwards."))
        return started

    def clean_occurrence(self):
        occurrence = self.cleaned_data.get("occurrence")
        if occurrence is not None and occurrence.is_cancelled:
            raise forms.ValidationError(
                _("This time was cancelled. Choose another or log it outside a scheduled time.")
            )
        return occurrence

    def clean(self):
        cleaned = super().clean()
        self._clean_duration(cleaned)
        self._clean_language(cleaned)
        self._clean_place(cleaned)
        agency = cleaned.get("agency")
        if agency and any(e.agency_id != agency.pk for e in cleaned.get("eservices") or []):
            self.add_error("eservices", _("Choose only e-services of %(agency)s.") % {"agency": agency})
        if cleaned.get("outcome") == Outcome.REFERRED and not cleaned.get("referred_to"):
            self.add_error("referred_to", _("Choose the agency you referred the visitor to."))
        if cleaned.get("outcome") != Outcome.REFERRED:
            cleaned["referred_to"] = None
        return cleaned

    def _clean_duration(self, cleaned):
        choice = cleaned.get("duration")
        if choice == OTHER:
            if not cleaned.get("duration_other"):
                self.add_error("duration_other", _("Write the duration in minutes, at most 480 (8 hours)."))
                return
            self.instance.duration_minutes = cleaned["duration_other"]
        elif choice:
            self.instance.duration_minutes = int(choice)

    def _clean_language(self, cleaned):
        if cleaned.get("language") != OTHER:
            return
        if not cleaned.get("language_other"):
            self.add_error("language_other", _("Choose the language used."))
            return
        cleaned["language"] = cleaned["language_other"]

    def _clean_place(self, cleaned):
        occurrence = cleaned.get("occurrence")
        if occurrence is not None:
            cleaned["agency"], cleaned["venue"] = occurrence.slot.agency, occurrence.slot.venue
            return
        if "occurrence" in self.errors:
            return
        agency, venue = cleaned.get("agency"), cleaned.get("venue")
        if not agency:
            self.add_error("agency", _("Choose the agency, or a scheduled time."))
        if not venue:
            self.add_error("venue", _("Choose the venue, or a scheduled time."))
        elif agency and agency.municipality_id and venue.municipality_id != agency.municipality_id:
            # A municipal office helps in its own municipality; national
            # agencies may be anywhere.
            self.add_error(
                "venue", _("%(agency)s does not work at %(venue)s.") % {"agency": agency, "venue": venue}
            )


class TallySaveForm(forms.Form):
    """How the tallied visits are saved: one duration, outcome and language
    for all (the session's languages first)."""

    duration = forms.TypedChoiceField(
        label=_("How long each visit took, about"),
        choices=DURATION_CHOICES,
        coerce=int,
        initial="10",
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in Outcome.choices if c[0] != Outcome.REFERRED],
        initial=Outcome.SOLVED,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language used"), widget=forms.RadioSelect)

    def __init__(self, *args, occurrence, **kwargs):
        super().__init__(*args, **kwargs)
        codes = list(dict.fromkeys([*occurrence.slot.language_codes, "sv", "en"]))
        self.fields["language"].choices = [(code, language_name(code)) for code in codes]
        self.fields["language"].initial = codes[0]


class StaffLoginForm(AuthenticationForm):
    """Django's login form without autofocus: on a shared tablet the first
    Tab must reach "skip to content" like on every other page, and a screen
    reader should start at the top. Its error says what went wrong in plain
    words ("case-sensitive" helps nobody)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong user name or password."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)


# Booking a time or a seat (visitors/booking_views.py). Plain words, one
# page, works without JavaScript: the time is a real radio button.

PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()\-]{6,25}")
PHONE_DIGITS = (7, 15)


def normalise_phone(value):
    """'070-123 45 67' → '0701234567'; a leading + is kept."""
    value = value.strip()
    return ("+" if value.startswith("+") else "") + re.sub(r"[^0-9]", "", value)


def time_value(moment):
    return f"{timezone.localtime(moment):%H:%M}"


class BookingForm(forms.Form):
    time = forms.ChoiceField(
        label=_("Choose a time"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a time."),
            "invalid_choice": _("Choose one of the times shown."),
        },
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Any name you like, so that staff know who to call in."),
        error_messages={"required": _("Write a name, so that staff know who to call in.")},
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=30,
        help_text=_("A phone number or an e-mail address, so we can tell you if something changes."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Write an e-mail address such as name@example.se, or leave it empty.")},
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    topic = IdModelChoiceField(
        Topic.objects.none(),
        label=_("What do you need help with?"),
        required=False,
        empty_label=_("Something else, or I do not know"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    need = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=300,
        help_text=_("For example “set up BankID on my new phone”. At most 300 characters."),
        error_messages={
            "max_length": _(
                "Write at most %(limit_value)d characters. Your text has %(show_value)d characters."
            )
        },
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    language = forms.ChoiceField(label=_("Language you prefer"), widget=forms.RadioSelect)
    needs_interpreter = forms.BooleanField(label=_("I need an interpreter"), required=False)
    needs_accessibility = forms.BooleanField(
        label=_("I need help with accessibility (for example a wheelchair place or hearing loop)"),
        required=False,
    )
    # Hidden from people by the stylesheet; robots fill it in.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args, occurrence, held=None, contact_required=True, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.occurrence = occurrence
        self.contact_required = contact_required
        self.show_places(held or {})
        fields = self.fields
        fields["time"].choices = [(row["value"], row["value"]) for row in self.times]
        free = [row for row in self.times if row["left"]]
        if len(self.times) == 1 and free:
            fields["time"].initial = free[0]["value"]
        fields["topic"].queryset = occurrence.slot.topics.all()
        fields["topic"].choices = list(fields["topic"].choices)  # one query, however often shown
        codes = list(dict.fromkeys(occurrence.slot.language_codes or ["sv"]))
        fields["language"].choices = [(code, language_name(code)) for code in codes]
        current = translation.get_language()
        fields["language"].initial = current if current in codes else codes[0]
        fields["website"].widget.attrs.update(autocomplete="off", tabindex="-1")
        if not contact_required:
            fields["phone"].help_text = _("Optional when you book for a resident at the desk.")

    def show_places(self, held):
        """The times with the places left at each, from ``held``: {start: places held}."""
        capacity = self.occurrence.slot.capacity or 0
        self.times = [
            {
                "value": time_value(start),
                "start": start,
                "end": end,
                "left": max(0, capacity - held.get(start, 0)),
            }
            for start, end in self.occurrence.booking_times()
        ]

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        if not raw.strip():
            return ""
        digits = normalise_phone(raw).lstrip("+")
        if not PHONE_CHARACTERS.fullmatch(raw.strip()) or not (
            PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]
        ):
            raise forms.ValidationError(
                _("Write a phone number with 7 to 15 digits, such as 070-123 45 67, or leave it empty.")
            )
        return normalise_phone(raw)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        if (
            self.contact_required
            and not (data.get("phone") or data.get("email"))
            and not (self.has_error("phone") or self.has_error("email"))
        ):
            raise forms.ValidationError(
                _("Write a phone number or an e-mail address, so we can reach you if something changes.")
            )
        return data

    @property
    def is_spam(self):
        return bool(self.cleaned_data.get("website"))

    def chosen_start(self):
        value = self.cleaned_data["time"]
        return next(row["start"] for row in self.times if row["value"] == value)

    @property
    def has_full_time(self):
        return any(not row["left"] for row in self.times)

    def time_rows(self):
        chosen = self.data.get("time") if self.is_bound else self.fields["time"].initial
        return [{**row, "checked": row["value"] == chosen, "index": n} for n, row in enumerate(self.times)]


class WaitingListForm(BookingForm):
    """Join the waiting list of a full time: the booking form's time, name,
    phone or e-mail and honeypot, with the same checks."""

    WAITING_FIELDS = ("time", "name", "phone", "email", "website")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in self.WAITING_FIELDS:
                del self.fields[name]
        self.times = [row for row in self.times if not row["left"]]
        self.fields["time"].choices = [(row["value"], row["value"]) for row in self.times]
        if len(self.times) == 1:
            self.fields["time"].initial = self.times[0]["value"]
