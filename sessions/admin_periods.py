"""The admin's tools for a period of days: the occurrence list's date range
filter, which opens at today, and "Cancel sessions in a period" (Easter
week, a move, a closed library) with its undo. Both cancel and undo go
through ``sessions.schedule.cancel_occurrences``/``uncancel_occurrences``."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from eserviceverkstad.fields import IdModelChoiceField, IdModelMultipleChoiceField
from eserviceverkstad.i18n import format_clock, format_long_date, format_weekday
from sessions.models import OccurrenceStatus, horizon_end, wall_clock
from sessions.schedule import in_period

# "Easter week" and "the summer" fit; a whole year is the most one step
# changes, so a slip of the year in a date cannot cancel years of sessions.
LONGEST_PERIOD_DAYS = 366
# Dates a filter accepts: wide enough for every session there is, narrow
# enough that a day after the last one still exists (date.max + 1 would
# overflow, a 500).
EARLIEST_DAY, LATEST_DAY = datetime.date(2000, 1, 1), datetime.date(2200, 12, 31)


def parse_day(value):
    """A date from a query string ('2027-03-29'), or IncorrectLookupParameters,
    which the admin answers with its "invalid filter" page."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as error:
        raise IncorrectLookupParameters(error) from error
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise IncorrectLookupParameters(f"{value} is outside the dates the schedule can have")
    return day


class StartsBetweenFilter(admin.ListFilter):
    """Occurrences from one day to another (both included, Stockholm dates),
    as two GET parameters that a small form in the filter sidebar sets.
    Without a date chosen (neither these nor the date hierarchy) the list
    starts today: coordinators plan ahead, and the past is history."""

    title = _("dates")
    template = "admin/sessions/starts_between_filter.html"
    first_parameter, last_parameter = "starts_from", "starts_until"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.first_day = self._day(self.first_parameter)
        self.last_day = self._day(self.last_parameter)
        hierarchy = model_admin.date_hierarchy
        self.from_today = not self.used_parameters and not any(
            name.startswith(f"{hierarchy}__") for name in params
        )
        if self.from_today:
            self.first_day = timezone.localdate()

    def _day(self, name):
        value = self.used_parameters.get(name, "")
        return parse_day(value) if value else None

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.first_parameter, self.last_parameter]

    def queryset(self, request, queryset):
        if self.first_day:
            queryset = queryset.filter(starts_at__gte=wall_clock(self.first_day, datetime.time()))
        if self.last_day:
            end = wall_clock(self.last_day + datetime.timedelta(days=1), datetime.time())
            queryset = queryset.filter(starts_at__lt=end)
        return queryset

    def choices(self, changelist):
        """One "choice": what the filter's form needs. The list's other
        parameters (search, other filters, ordering) ride along as hidden
        fields, so choosing dates keeps them."""
        mine = {*self.expected_parameters(), "p"}
        yield {
            "first_parameter": self.first_parameter,
            "last_parameter": self.last_parameter,
            "first_day": self.first_day.isoformat() if self.first_day else "",
            "last_day": self.last_day.isoformat() if self.last_day else "",
            "from_today": self.from_today,
            "kept": [(name, value) for name, value in changelist.params.items() if name not in mine],
            "all_dates": changelist.get_query_string({self.first_parameter: ""}, [self.last_parameter, "p"]),
            "from_today_url": changelist.get_query_string(
                remove=[*self.expected_parameters(), "p", f"{changelist.date_hierarchy}__"]
            ),
        }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def cancellation_reason_fields(*, required, label=str):
    """The reason residents read, in Swedish and (optionally) English: the
    same two fields on every form that cancels sessions."""
    return (
        forms.CharField(
            label=label(_("reason for cancellation")),
            max_length=300,
            required=required,
            help_text=_("Shown on the public schedule, e.g. 'Closed for Easter'."),
            widget=forms.TextInput(attrs={"class": "vTextField"}),
        ),
        forms.CharField(
            label=label(_("reason for cancellation (English)")),
            max_length=300,
            required=False,
            help_text=_("Shown on the English schedule. Leave empty to show the Swedish reason."),
            widget=forms.TextInput(attrs={"class": "vTextField"}),
        ),
    )


class PeriodForm(forms.Form):
    """Which sessions: a venue (required: a period cancellation is about a
    place), optionally some agencies, and the days."""

    CANCEL, UNDO = "cancel", "undo"

    mode = forms.ChoiceField(
        label=_("what do you want to do?"),
        choices=[
            (CANCEL, _("Cancel the sessions in the period")),
            (UNDO, _("Undo a cancellation in the period: the sessions take place again")),
        ],
        initial=CANCEL,
        widget=forms.RadioSelect,
    )
    venue = IdModelChoiceField(label=capfirst(_("venue")), queryset=None)
    agencies = IdModelMultipleChoiceField(
        label=capfirst(_("agencies")),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave them all unticked for every agency at the venue."),
    )
    first_day = forms.DateField(label=capfirst(_("first day")), widget=DateInput)
    last_day = forms.DateField(
        label=capfirst(_("last day")), widget=DateInput, help_text=_("The last day is included.")
    )

    def __init__(self, *args, venues, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.fields["agencies"].queryset = agencies

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if not (first and last):
            return cleaned
        today = timezone.localdate()
        if last < first:
            self.add_error("last_day", _("The last day cannot be before the first day."))
        elif (last - first).days + 1 > LONGEST_PERIOD_DAYS:
            self.add_error(
                "last_day",
                _("Choose at most %(days)d days at a time.") % {"days": LONGEST_PERIOD_DAYS},
            )
        elif last < today:
            self.add_error(
                "last_day", _("The period is over. Sessions that have already ended are not changed.")
            )
        elif first > horizon_end(today):
            self.add_error(
                "first_day",
                _("The schedule has sessions up to %(day)s only. Choose an earlier first day.")
                % {"day": format_long_date(horizon_end(today))},
            )
        return cleaned

    @property
    def undoing(self):
        return self.cleaned_data["mode"] == self.UNDO

    def occurrences(self, queryset):
        """The sessions the period covers, from ``queryset`` (the admin's
        own, so the coordinator's scope applies twice): scheduled ones to
        cancel, or cancelled ones to bring back."""
        data = self.cleaned_data
        queryset = in_period(queryset, data["first_day"], data["last_day"]).filter(slot__venue=data["venue"])
        if data["agencies"]:
            queryset = queryset.filter(slot__agency__in=data["agencies"])
        status = OccurrenceStatus.CANCELLED if self.undoing else OccurrenceStatus.SCHEDULED
        return (
            queryset.filter(status=status)
            .select_related("slot__agency", "slot__venue")
            .order_by("starts_at", "slot__agency__name", "pk")
        )

    def as_pairs(self):
        """The chosen criteria as (name, value) pairs, for the hidden fields
        of the second step: the sessions are found again from them."""
        data = self.cleaned_data
        pairs = [("mode", data["mode"]), ("venue", data["venue"].pk)]
        pairs += [("agencies", agency.pk) for agency in data["agencies"]]
        days = [(name, data[name].isoformat()) for name in ("first_day", "last_day")]
        return pairs + days

    def describe_period(self):
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        days = [f"{format_weekday(day)} {format_long_date(day)}" for day in sorted({first, last})]
        return "–".join(days)


def describe_session(occurrence):
    """'måndag 29 mars 2027, 14:00–15:00 · Barnomsorg' and, when cancelled, its reason."""
    start, end = occurrence.local_start, occurrence.local_end
    text = (
        f"{format_weekday(start)} {format_long_date(start)}, {format_clock(start)}–{format_clock(end)}"
        f" · {occurrence.slot.agency.name}"
    )
    if occurrence.is_cancelled:
        return _("%(session)s – cancelled: %(reason)s") % {
            "session": text,
            "reason": occurrence.cancellation_reason,
        }
    return text


class PeriodSessionsForm(forms.Form):
    """The sessions found, all ticked (untick one to leave it as it is),
    and for a cancellation the reason residents will read."""

    sessions = forms.TypedMultipleChoiceField(
        label=capfirst(_("sessions")),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one session."),
            "invalid_choice": _("A ticked session is no longer in the period. Look at the list again."),
        },
    )
    reason, reason_en = cancellation_reason_fields(required=False, label=capfirst)

    def __init__(self, *args, occurrences, undoing, **kwargs):
        super().__init__(*args, **kwargs)
        self.undoing = undoing
        self.by_pk = {occurrence.pk: occurrence for occurrence in occurrences}
        self.fields["sessions"].choices = [(o.pk, describe_session(o)) for o in occurrences]
        self.fields["sessions"].initial = list(self.by_pk)
        if undoing:
            del self.fields["reason"], self.fields["reason_en"]

    def clean(self):
        cleaned = super().clean()
        if not self.undoing and not cleaned.get("reason", "").strip() and "reason" not in self.errors:
            self.add_error("reason", _("Write a reason for the cancellation; residents see it."))
        return cleaned

    def chosen(self):
        return [self.by_pk[pk] for pk in self.cleaned_data["sessions"]]
