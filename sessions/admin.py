"""Admin for the schedule: series with a preview of their next dates and
their upcoming occurrences inline, the "sessions outside the series" page
that follows a series edit, and occurrences on their own with a "cancel with
a reason" action for weeks such as Easter. Every cancellation goes through
``sessions.schedule.cancel_occurrences``/``uncancel_occurrences``."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from agencies.admin import ScopedAdmin
from agencies.models import Agency, Venue
from eserviceverkstad.fields import is_id
from eserviceverkstad.i18n import format_clock, format_day, format_long_date, format_weekday, language_name
from sessions.admin_periods import (
    PeriodForm,
    PeriodSessionsForm,
    StartsBetweenFilter,
    cancellation_reason_fields,
)
from sessions.models import (
    OFFERED_LANGUAGES,
    Format,
    Occurrence,
    StaffedSlot,
    split_languages,
)
from sessions.public_holidays import cancel_on_holidays, coming_on_holidays
from sessions.schedule import (
    OTHER_REASON_LANGUAGES,
    announce_moves,
    awaiting_decision,
    cancel_occurrences,
    delete_unreferenced_occurrences,
    referenced_occurrence_ids,
    sync_occurrences,
    translate_reason,
    uncancel_occurrences,
)

PREVIEW_COUNT = 8


def in_every_language(field):
    """('title_sv', 'title_en', 'title_ar', ...): a translated field's columns
    (sessions/translation.py), Swedish and English first."""
    return tuple(f"{field}_{code}" for code in settings.MODELTRANSLATION_LANGUAGES)


# The inline shows what a coordinator plans for: the coming months, plus
# every later occurrence already changed by hand.
INLINE_WEEKS = 16
# The fields a coordinator may change on one occurrence; a change to any of
# them makes it an exception and grows its iCal SEQUENCE.
CHANGES_SEQUENCE = ("starts_at", "ends_at", "room", "status", "cancellation_reason", "cancellation_reason_en")
# What the cancel service decides; the other fields are saved as they are.
STATUS_INPUTS = {"status", "cancellation_reason", "cancellation_reason_en"}


def describe_date(day, start, end):
    """'torsdag 12 mars 2026, 14:00–15:00' in the active language."""
    return f"{format_weekday(day)} {format_long_date(day)}, {format_clock(start)}–{format_clock(end)}"


def preview_line(slot, day, exception):
    """One line of the series preview. A date changed by hand shows what
    residents will see, not what the series rule says."""
    if exception is None:
        return describe_date(day, slot.start_time, slot.end_time)
    start, end = exception.local_start, exception.local_end
    line = describe_date(start.date(), start.time(), end.time())
    if exception.is_cancelled:
        return _("%(date)s – cancelled: %(reason)s") % {"date": line, "reason": exception.cancellation_reason}
    return _("%(date)s (changed by hand)") % {"date": line}


def describe_occurrence(occurrence):
    start, end = occurrence.local_start, occurrence.local_end
    return (
        f"{format_day(start.date())} {format_clock(start)}–{format_clock(end)}"
        f" · {occurrence.slot.agency} · {occurrence.slot.venue}"
    )


def describe_holiday_session(occurrence, holiday):
    """'torsdag 24 december 2026, 14:00–15:00 (Julafton)'."""
    start, end = occurrence.local_start, occurrence.local_end
    name = holiday.name_en if (translation.get_language() or "sv").startswith("en") else holiday.name
    return _("%(session)s (%(holiday)s)") % {
        "session": describe_date(start.date(), start.time(), end.time()),
        "holiday": name,
    }


def describe_holiday_sessions(found):
    return "; ".join(describe_holiday_session(occurrence, holiday) for occurrence, holiday in found)


class HolidaySessionsForm(forms.Form):
    """The coming sessions on public holidays, all ticked: untick one that
    takes place anyway."""

    sessions = forms.TypedMultipleChoiceField(
        label=_("sessions on public holidays"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one session."),
            "invalid_choice": _("A ticked session is no longer on the list. Look at the list again."),
        },
    )

    def __init__(self, *args, found, **kwargs):
        super().__init__(*args, **kwargs)
        self.found = {occurrence.pk: (occurrence, holiday) for occurrence, holiday in found}
        self.fields["sessions"].choices = [
            (occurrence.pk, describe_holiday_session(occurrence, holiday)) for occurrence, holiday in found
        ]
        self.fields["sessions"].initial = list(self.found)

    def chosen(self):
        return [self.found[pk] for pk in self.cleaned_data["sessions"]]


class StaffedSlotForm(forms.ModelForm):
    # Stored as 'sv,en,ar'; shown as check boxes with the languages' names.
    languages = forms.MultipleChoiceField(
        label=capfirst(_("languages")),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The languages staff can help in."),
    )

    class Meta:
        model = StaffedSlot
        fields = (
            "agency", "venue", "format", *in_every_language("title"), "recurrence", "weekday", "interval",
            "week_of_month", "start_time", "end_time", "first_date", "last_date", "languages", "topics",
            "capacity", "booking_minutes", *in_every_language("note"),
        )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = split_languages(self.initial.get("languages", ""))
        # A code set outside the admin (any ISO 639 code is valid) stays
        # visible and checked instead of being dropped on the next save.
        codes = OFFERED_LANGUAGES + [code for code in current if code not in OFFERED_LANGUAGES]
        self.fields["languages"].choices = [(code, f"{language_name(code)} ({code})") for code in codes]
        self.initial["languages"] = current

    def clean_languages(self):
        return ",".join(self.cleaned_data["languages"])

    def clean(self):
        cleaned = super().clean()
        # The database refuses these too; checking here puts the message on
        # the field the coordinator has to fix.
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The end time must be after the start time."))
        first, last = cleaned.get("first_date"), cleaned.get("last_date")
        if first and last and last < first:
            self.add_error("last_date", _("The last date cannot be before the first date."))
        return cleaned


class OccurrenceForm(forms.ModelForm):
    """Any change made by hand makes the occurrence an exception, which
    series edits leave alone, and bumps its calendar sequence number. A
    change of status goes through the one cancel service."""

    # Set by the admin before saving: who cancelled, for the service's signal.
    edited_by = None

    class Meta:
        model = Occurrence
        fields = CHANGES_SEQUENCE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self._label_inputs(self.instance.date)

    def _label_inputs(self, day):
        """In the series' table of occurrences an input has only its column
        heading above it, which screen readers do not tie to it: name each
        by its column and date ("starts, time, Tuesday 8 December 2026")."""
        when = f"{format_weekday(day)} {format_long_date(day)}"
        for field in self.fields.values():
            column = capfirst(field.label)
            parts = getattr(field.widget, "widgets", None)
            if parts and len(parts) == 2:
                date_part, time_part = parts
                date_part.attrs["aria-label"] = _("%(column)s, date, %(day)s") % {
                    "column": column,
                    "day": when,
                }
                time_part.attrs["aria-label"] = _("%(column)s, time, %(day)s") % {
                    "column": column,
                    "day": when,
                }
            else:
                field.widget.attrs["aria-label"] = _("%(column)s, %(day)s") % {"column": column, "day": when}

    def save(self, commit=True):
        if not commit:
            # The occurrence admin saves in save_model, through save_edit().
            return super().save(commit=False)
        return self.save_edit(self.edited_by)

    def save_edit(self, by=None):
        occurrence = super().save(commit=False)
        changed = set(self.changed_data) & set(CHANGES_SEQUENCE)
        cancel = occurrence.is_cancelled and bool(changed & STATUS_INPUTS)
        uncancel = not occurrence.is_cancelled and "status" in changed
        plain = changed - STATUS_INPUTS if cancel or uncancel else changed
        with transaction.atomic():
            if plain:
                old_start = Occurrence.objects.filter(pk=occurrence.pk).values_list("starts_at", flat=True)
                old_start = old_start.first()
                occurrence.changed_by_hand()
                occurrence.save(update_fields=[*sorted(plain), "is_exception", "sequence", "updated_at"])
                if old_start and old_start != occurrence.starts_at:
                    announce_moves({occurrence.pk: old_start})
            if cancel:
                # As typed: the model's cancellation_reason reads the active
                # language's column (modeltranslation), English on an English admin.
                reason = self.cleaned_data["cancellation_reason"]
                reason_en = self.cleaned_data.get("cancellation_reason_en", "")
                cancel_occurrences([occurrence], reason, reason_en, by=by)
            elif uncancel:
                uncancel_occurrences([occurrence], by=by)
            translate_reason(occurrence, self._other_reasons())
        if cancel or uncancel or self._other_reasons():
            occurrence.refresh_from_db()
        return occurrence

    def _other_reasons(self):
        """The reason in the other languages, where the form has them and
        they changed (only the occurrence's own page has them)."""
        return {
            code: self.cleaned_data[field] or ""
            for code in OTHER_REASON_LANGUAGES
            if (field := f"cancellation_reason_{code}") in self.changed_data
        }


class OccurrenceEditForm(OccurrenceForm):
    """The occurrence's own page: also the cancellation reason in the
    residents' other languages (the series' table keeps to sv and en)."""

    class Meta(OccurrenceForm.Meta):
        fields = (*CHANGES_SEQUENCE, *(f"cancellation_reason_{code}" for code in OTHER_REASON_LANGUAGES))


class OccurrenceInline(admin.TabularInline):
    model = Occurrence
    form = OccurrenceForm
    fields = ("date", *CHANGES_SEQUENCE, "is_exception")
    readonly_fields = ("date", "is_exception")
    extra = 0
    can_delete = False
    verbose_name_plural = _("upcoming occurrences and changes")

    def has_add_permission(self, request, obj=None):
        # Occurrences come from the series; adding one by hand would be
        # removed again by the next sync.
        return False

    def get_queryset(self, request):
        today = timezone.localdate()
        until = today + datetime.timedelta(weeks=INLINE_WEEKS)
        return (
            super()
            .get_queryset(request)
            .filter(date__gte=today)
            .filter(Q(date__lte=until) | Q(is_exception=True))
            .select_related("slot__agency")
        )


@admin.register(StaffedSlot)
class StaffedSlotAdmin(ScopedAdmin):
    municipality_path = "venue__municipality"
    form = StaffedSlotForm
    inlines = (OccurrenceInline,)
    list_display = ("agency", "venue", "format", "describe_recurrence", "first_date", "last_date")
    list_filter = (
        "format",
        "recurrence",
        ("venue", admin.RelatedOnlyFieldListFilter),
        ("agency", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("agency", "venue")
    search_fields = ("agency__name", "agency__name_en", "venue__name", "title", "title_en", "note")
    autocomplete_fields = ("agency", "venue", "topics")
    readonly_fields = ("preview",)
    change_form_template = "admin/sessions/staffedslot_change_form.html"

    class Media:
        js = ("js/admin-search-names.js",)
        # The table of occurrences scrolls inside itself instead of
        # widening the page (a file: the CSP forbids inline styles).
        css = {"all": ("css/admin-schedule.css",)}

    fieldsets = (
        (None, {"fields": ("agency", "venue", "format", ("title_sv", "title_en"))}),
        (
            _("When"),
            {
                "fields": (
                    "recurrence",
                    ("weekday", "week_of_month", "interval"),
                    ("start_time", "end_time"),
                    ("first_date", "last_date"),
                    "preview",
                )
            },
        ),
        (
            _("For residents"),
            {"fields": ("languages", "topics", ("capacity", "booking_minutes"), "note_sv", "note_en")},
        ),
        # Folded (a <details>, no script): most series have no translation yet.
        (
            _("In other languages"),
            {
                "classes": ("collapse",),
                "fields": (*in_every_language("title")[2:], *in_every_language("note")[2:]),
            },
        ),
    )

    @admin.display(description=_("repeats"))
    def describe_recurrence(self, obj):
        return obj.describe_recurrence()

    @admin.display(description=_("next dates"))
    def preview(self, obj):
        if obj is None or obj.pk is None or not (obj.first_date and obj.start_time and obj.end_time):
            return _("Save the series to see its next dates here.")
        today = timezone.localdate()
        dates = obj.dates_between(today, today + datetime.timedelta(days=365))[:PREVIEW_COUNT]
        if not dates:
            return _("No dates in the coming year.")
        exceptions = {o.date: o for o in obj.occurrences.filter(date__in=dates, is_exception=True)}
        lines = ((preview_line(obj, day, exceptions.get(day)),) for day in dates)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", lines))

    def get_inlines(self, request, obj):
        # A new series has no occurrences yet; they appear after saving.
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        obj.save(sync=False)

    def save_related(self, request, form, formsets, change):
        # The occurrence table first: an occurrence edited in the same save
        # is then an exception that the sync leaves alone (and, if the new
        # rule drops its date, lists outside the series), instead of being
        # deleted under the edit.
        super().save_related(request, form, formsets, change)
        self._report_sync(request, sync_occurrences(form.instance))
        self._warn_without_topics(request, form.instance)
        # "Save and continue" shows the series page, which lists them itself.
        if "_continue" not in request.POST:
            self._warn_holidays(request, form.instance)

    def save_formset(self, request, form, formset, change):
        for occurrence_form in formset.forms:
            occurrence_form.edited_by = request.user
        super().save_formset(request, form, formset, change)

    def _report_sync(self, request, result):
        parts = [
            # One plural form per count: Swedish adjectives agree with each
            # number ("1 nytt tillfälle", "3 nya tillfällen").
            ngettext("%(count)d new occurrence", "%(count)d new occurrences", result.created),
            ngettext(
                "%(count)d occurrence moved to the new time",
                "%(count)d occurrences moved to the new time",
                result.moved,
            ),
            ngettext("%(count)d occurrence removed", "%(count)d occurrences removed", result.deleted),
        ]
        counts = (result.created, result.moved, result.deleted)
        changes = [text % {"count": count} for text, count in zip(parts, counts, strict=True) if count]
        if changes:
            text = _("The schedule is updated: %(changes)s.") % {"changes": ", ".join(changes)}
            self.message_user(request, text, messages.INFO)

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        # Nothing a series edit left on the public schedule outside the
        # series stays there without the coordinator having seen it.
        if awaiting_decision(StaffedSlot.objects.filter(pk=obj.pk)):
            return HttpResponseRedirect(self._outside_series_url(obj))
        return response

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._warn_outside_series(request, self.get_queryset(request))
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shown = request.method == "GET" and is_id(unquote(object_id))
        slot = self.get_object(request, unquote(object_id)) if shown else None
        if slot is not None:
            self._warn_outside_series(request, StaffedSlot.objects.filter(pk=slot.pk))
            self._warn_without_topics(request, slot)
            found = coming_on_holidays(slot.occurrences.all())
            extra_context = {
                **(extra_context or {}),
                "holiday_sessions": found,
                "holiday_lines": [describe_holiday_session(*pair) for pair in found],
                "holidays_url": self._slot_url(slot, "holidays"),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _warn_without_topics(self, request, slot):
        """Staff tally drop-in visits by topic; without topics the tally
        offers only "Other topic", and the statistics say nothing."""
        if slot.format == Format.DROP_IN and not slot.topics.exists():
            self.message_user(
                request,
                _(
                    "%(series)s has no topics. Staff who count visits at its drop-in sessions can then only "
                    "choose “Other topic”. Add the topics the agency helps with under “For residents”."
                )
                % {"series": slot},
                messages.WARNING,
            )

    def _warn_holidays(self, request, slot):
        found = coming_on_holidays(slot.occurrences.all())
        if not found:
            return
        text = ngettext(
            "%(series)s: %(count)d coming session falls on a public holiday: %(days)s.",
            "%(series)s: %(count)d coming sessions fall on public holidays: %(days)s.",
            len(found),
        ) % {"series": slot, "count": len(found), "days": describe_holiday_sessions(found)}
        link = gettext("Cancel them with the holiday's name as the reason")
        message = format_html('{} <a href="{}">{}</a>', text, self._slot_url(slot, "holidays"), link)
        self.message_user(request, message, messages.WARNING)

    def _slot_url(self, slot, page):
        opts = self.opts
        name = f"admin:{opts.app_label}_{opts.model_name}_{page}"
        return reverse(name, args=[quote(slot.pk)], current_app=self.admin_site.name)

    def _warn_outside_series(self, request, slots):
        """A warning, until the coordinator has decided, for each series with
        sessions left outside it (one query for all of them)."""
        waiting = {}
        for occurrence in awaiting_decision(slots):
            waiting.setdefault(occurrence.slot, []).append(occurrence)
        for slot, occurrences in waiting.items():
            text = ngettext(
                "%(series)s: %(count)d session is no longer part of the series but still on the "
                "public schedule.",
                "%(series)s: %(count)d sessions are no longer part of the series but still on the "
                "public schedule.",
                len(occurrences),
            ) % {"series": slot, "count": len(occurrences)}
            link = gettext("Decide what happens to them")
            message = format_html('{} <a href="{}">{}</a>', text, self._outside_series_url(slot), link)
            self.message_user(request, message, messages.WARNING)

    def _outside_series_url(self, slot):
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_outside_series",
            args=[quote(slot.pk)],
            current_app=self.admin_site.name,
        )

    def get_urls(self):
        opts = self.opts
        # Before the default URLs: their "<path:object_id>/" would match first.
        return [
            path(
                "<path:object_id>/outside-series/",
                self.admin_site.admin_view(self.outside_series_view),
                name=f"{opts.app_label}_{opts.model_name}_outside_series",
            ),
            path(
                "<path:object_id>/holidays/",
                self.admin_site.admin_view(self.holidays_view),
                name=f"{opts.app_label}_{opts.model_name}_holidays",
            ),
            *super().get_urls(),
        ]

    def _slot_or_404(self, request, object_id):
        slot = self.get_object(request, unquote(object_id)) if is_id(unquote(object_id)) else None
        if slot is None:
            raise Http404
        if not self.has_change_permission(request, slot):
            raise PermissionDenied
        return slot

    def holidays_view(self, request, object_id):
        """The series' coming sessions on public holidays, each ticked, and
        one button that cancels the ticked ones with the holiday's name as
        the reason (Swedish, and English for the English schedule)."""
        slot = self._slot_or_404(request, object_id)
        found = coming_on_holidays(slot.occurrences.all())
        form = HolidaySessionsForm(request.POST if request.method == "POST" else None, found=found)
        if form.is_valid():
            changed = cancel_on_holidays(form.chosen(), by=request.user)
            for occurrence in changed:
                self.log_change(request, occurrence, [{"changed": {"fields": ["status"]}}])
            self.message_user(
                request,
                ngettext(
                    "%(count)d session cancelled with the holiday's name as the reason.",
                    "%(count)d sessions cancelled with the holiday's name as the reason.",
                    len(changed),
                )
                % {"count": len(changed)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._slot_url(slot, "change"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sessions on public holidays"),
            "subtitle": str(slot),
            "opts": self.opts,
            "original": slot,
            "series_url": self._slot_url(slot, "change"),
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sessions/holidays.html", context)

    def outside_series_view(self, request, object_id):
        """Sessions outside the series: one row per occurrence that a series
        edit left behind, each to cancel (with a reason), delete (when
        nothing points at it) or keep. Another municipality's series is a
        404, as everywhere in ScopedAdmin."""
        slot = self._slot_or_404(request, object_id)
        occurrences = awaiting_decision(StaffedSlot.objects.filter(pk=slot.pk))
        referenced = referenced_occurrence_ids([o.pk for o in occurrences]) if occurrences else set()
        data = request.POST if request.method == "POST" else None
        decision_forms = [
            OutsideSeriesForm(data, occurrence=o, referenced=o.pk in referenced) for o in occurrences
        ]
        if data is not None and all(form.is_valid() for form in decision_forms):
            self._decide(request, slot, decision_forms)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sessions outside the series"),
            "subtitle": str(slot),
            "opts": self.opts,
            "original": slot,
            "series_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(slot.pk)],
                current_app=self.admin_site.name,
            ),
            "decision_forms": decision_forms,
            "has_errors": data is not None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sessions/outside_series.html", context)

    def _decide(self, request, slot, decision_forms):
        chosen = {}
        for form in decision_forms:
            chosen.setdefault(form.cleaned_data["decision"], []).append(form)
        with transaction.atomic():
            for form in chosen.get(OutsideSeriesForm.CANCEL, []):
                data = form.cleaned_data
                cancel_occurrences([form.occurrence], data["reason"], data["reason_en"], by=request.user)
            seen = chosen.get(OutsideSeriesForm.CANCEL, []) + chosen.get(OutsideSeriesForm.KEEP, [])
            Occurrence.objects.filter(pk__in=[form.occurrence.pk for form in seen]).update(
                kept_outside_series=True
            )
            to_delete = [form.occurrence for form in chosen.get(OutsideSeriesForm.DELETE, [])]
            deleted, still_referenced = delete_unreferenced_occurrences(to_delete)
        self._report_decisions(request, slot, chosen, deleted, still_referenced)

    def _report_decisions(self, request, slot, chosen, deleted, still_referenced):
        counts = {
            "cancelled": len(chosen.get(OutsideSeriesForm.CANCEL, [])),
            "deleted": deleted,
            "kept": len(chosen.get(OutsideSeriesForm.KEEP, [])),
        }
        if any(counts.values()):
            self.log_change(request, slot, [{"changed": {"fields": ["occurrences"]}}])
            self.message_user(
                request,
                _("Sessions outside the series: %(cancelled)d cancelled, %(deleted)d deleted, %(kept)d kept.")
                % counts,
                messages.SUCCESS,
            )
        for occurrence in still_referenced:
            self.message_user(
                request,
                _(
                    "%(occurrence)s was not deleted: a visit or booking now points at it. "
                    "Cancel it or keep it."
                )
                % {"occurrence": describe_occurrence(occurrence)},
                messages.WARNING,
            )


class OutsideSeriesForm(forms.Form):
    """What happens to one occurrence that a series edit left outside the
    series. Leaving the choice empty decides later: the series keeps its
    warning until then."""

    CANCEL, DELETE, KEEP = "cancel", "delete", "keep"

    decision = forms.ChoiceField(label=_("what happens to it"), widget=forms.RadioSelect, required=False)
    reason, reason_en = cancellation_reason_fields(required=False)

    def __init__(self, *args, occurrence, referenced, **kwargs):
        super().__init__(*args, prefix=f"occurrence-{occurrence.pk}", **kwargs)
        self.occurrence, self.referenced = occurrence, referenced
        self.description = describe_occurrence(occurrence)
        choices = []
        if not occurrence.is_cancelled:
            choices.append(
                (self.CANCEL, _("Cancel it, with the reason below: residents see it as cancelled"))
            )
        if not referenced:
            choices.append((self.DELETE, _("Delete it: it disappears from the schedule")))
        if occurrence.is_cancelled:
            choices.append((self.KEEP, _("Keep it: it stays on the schedule as cancelled")))
        else:
            choices.append((self.KEEP, _("Keep it: it takes place on this day as well")))
        self.fields["decision"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.CANCEL and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Write a reason for the cancellation; residents see it."))
        return cleaned


class CancelOccurrencesForm(forms.Form):
    reason, reason_en = cancellation_reason_fields(required=True)


@admin.register(Occurrence)
class OccurrenceAdmin(ScopedAdmin):
    municipality_path = "slot__venue__municipality"
    form = OccurrenceEditForm
    list_display = ("when", "agency", "venue", "status", "cancellation_reason", "is_exception")
    list_filter = (
        StartsBetweenFilter,
        "status",
        "is_exception",
        ("slot__venue", admin.RelatedOnlyFieldListFilter),
        ("slot__agency", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("slot__agency", "slot__venue")
    date_hierarchy = "starts_at"
    ordering = ("starts_at",)
    search_fields = ("slot__agency__name", "slot__venue__name", "slot__title", "room", "cancellation_reason")
    fieldsets = (
        (None, {"fields": ("slot", "date", *CHANGES_SEQUENCE, "is_exception")}),
        (
            _("The reason in other languages"),
            {
                "classes": ("collapse",),
                "description": _("Empty: residents reading that language see the Swedish reason."),
                "fields": tuple(f"cancellation_reason_{code}" for code in OTHER_REASON_LANGUAGES),
            },
        ),
    )
    readonly_fields = ("slot", "date", "is_exception")
    actions = ("cancel_selected",)
    # With a link to "Cancel sessions in a period" above the list.
    change_list_template = "admin/sessions/occurrence_change_list.html"

    class Media:
        css = {"all": ("css/admin-schedule.css",)}

    @admin.display(description=_("when"), ordering="starts_at")
    def when(self, obj):
        start, end = obj.local_start, obj.local_end
        return describe_date(start.date(), start.time(), end.time())

    @admin.display(description=_("agency"), ordering="slot__agency__name")
    def agency(self, obj):
        return obj.slot.agency

    @admin.display(description=_("venue"), ordering="slot__venue__name")
    def venue(self, obj):
        return obj.slot.venue

    def has_add_permission(self, request):
        # Occurrences come from their series.
        return False

    def get_actions(self, request):
        # Deleting an upcoming occurrence would only bring it back at the
        # next sync; cancelling it with a reason is what residents need.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_cancel_periods": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        form.save_edit(by=request.user)

    @admin.action(description=_("Cancel selected occurrences"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        queryset = queryset.select_related("slot__agency", "slot__venue").order_by("starts_at")
        form = CancelOccurrencesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            changed = cancel_occurrences(
                queryset, form.cleaned_data["reason"], form.cleaned_data["reason_en"], by=request.user
            )
            for occurrence in changed:
                self.log_change(request, occurrence, [{"changed": {"fields": ["status"]}}])
            self.message_user(
                request,
                ngettext("%(count)d occurrence cancelled.", "%(count)d occurrences cancelled.", len(changed))
                % {"count": len(changed)},
                messages.SUCCESS,
            )
            return None
        return self._cancel_page(request, queryset, form)

    def _cancel_page(self, request, queryset, form):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel occurrences"),
            "opts": self.model._meta,
            "form": form,
            "occurrences": [(o.pk, describe_occurrence(o)) for o in queryset],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sessions/cancel_occurrences.html", context)

    def get_urls(self):
        opts = self.opts
        # Before the default URLs: their "<path:object_id>/" would match first.
        return [
            path(
                "cancel-period/",
                self.admin_site.admin_view(self.cancel_period_view),
                name=f"{opts.app_label}_{opts.model_name}_cancel_period",
            ),
            *super().get_urls(),
        ]

    def cancel_period_view(self, request):
        """The page "Cancel sessions in a period": a venue, maybe some agencies
        and the days; then the sessions found, all ticked, and the reason;
        one step cancels them. The same page undoes a cancellation. Venues and
        agencies come from their own admins' querysets, so a coordinator
        can choose only their municipality's."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        registry = self.admin_site._registry
        posted = request.method == "POST"
        criteria = PeriodForm(
            request.POST if posted else (request.GET if "venue" in request.GET else None),
            venues=registry[Venue].get_queryset(request),
            agencies=registry[Agency].get_queryset(request).order_by("name"),
            initial={"mode": request.GET.get("mode", PeriodForm.CANCEL)},
        )
        sessions_form = None
        if criteria.is_valid():
            occurrences = list(criteria.occurrences(self.get_queryset(request)))
            sessions_form = PeriodSessionsForm(
                request.POST if posted else None, occurrences=occurrences, undoing=criteria.undoing
            )
            if posted and sessions_form.is_valid():
                return self._change_period(request, criteria, sessions_form)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel sessions in a period"),
            "opts": self.opts,
            "criteria": criteria,
            "sessions_form": sessions_form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sessions/cancel_period.html", context)

    def _change_period(self, request, criteria, sessions_form):
        chosen = sessions_form.chosen()
        where = {"venue": criteria.cleaned_data["venue"], "period": criteria.describe_period()}
        if criteria.undoing:
            changed = uncancel_occurrences(chosen, by=request.user)
            text = ngettext(
                "%(venue)s, %(period)s: %(count)d session takes place again.",
                "%(venue)s, %(period)s: %(count)d sessions take place again.",
                len(changed),
            )
        else:
            data = sessions_form.cleaned_data
            changed = cancel_occurrences(chosen, data["reason"], data["reason_en"], by=request.user)
            text = ngettext(
                "%(venue)s, %(period)s: %(count)d session cancelled.",
                "%(venue)s, %(period)s: %(count)d sessions cancelled.",
                len(changed),
            )
        for occurrence in changed:
            self.log_change(request, occurrence, [{"changed": {"fields": ["status"]}}])
        self.message_user(request, text % {**where, "count": len(changed)}, messages.SUCCESS)
        # The list of that venue and period shows the result.
        query = {
            "slot__venue__id__exact": criteria.cleaned_data["venue"].pk,
            StartsBetweenFilter.first_parameter: criteria.cleaned_data["first_day"].isoformat(),
            StartsBetweenFilter.last_parameter: criteria.cleaned_data["last_day"].isoformat(),
        }
        changelist = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist", current_app=self.admin_site.name
        )
        return HttpResponseRedirect(f"{changelist}?{urlencode(query)}")
