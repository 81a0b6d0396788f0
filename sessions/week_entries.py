"""What the week page shows, worked out before the template runs: each
entry's HTML, its text formatted (Babel, in the active language) and
escaped, its links reversed; and the filter's options with their
"selected" already decided. The template only prints them.

Why: the page lists a whole municipality's week (300 entries and more).
Model instances cost five objects per entry (session, series, agency,
venue, municipality) and Django's template engine costs per lookup through
them, per filter and per include. So the sessions are read as plain rows
(one query, and one for their topics, as ``for_schedule`` does), and each
distinct value (a clock time, a language list, an agency, a venue) is
formatted and escaped once per page, not once per entry. Every text from
the database goes through ``escape`` (the standard library's, which
Django's own escape calls) before it joins the HTML.
"""

import datetime
from html import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, TextField, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from eserviceverkstad.fields import option_tags
from eserviceverkstad.i18n import (
    format_clock,
    format_day_short,
    in_running_text,
    language_name,
    list_separator,
    sort_key,
)
from sessions.models import (
    STOCKHOLM,
    BookingState,
    Format,
    OccurrenceStatus,
    StaffedSlot,
    booking_state_of,
    split_languages,
)

# The columns an entry shows; then its translated texts (django-modeltranslation),
# each read as the first of its columns in the reader's languages that has
# one (see translated_texts).
COLUMNS = (
    "pk", "starts_at", "ends_at", "status", "room", "places_taken", "slot_id", "slot__format",
    "slot__languages", "slot__capacity", "slot__booking_minutes", "slot__agency_id", "slot__agency__slug",
    "slot__venue_id", "slot__venue__slug", "slot__venue__municipality__name",
)  # fmt: skip
TRANSLATED = {
    "reason": "cancellation_reason", "title": "slot__title", "note": "slot__note",
    "agency_name": "slot__agency__name", "venue_name": "slot__venue__name", "venue_room": "slot__venue__room",
}  # fmt: skip


class _Formatted(dict):
    """A dict that fills itself: ``make(key)`` makes each value once."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _clock(hour_minute):
    return format_clock(datetime.time(*hour_minute))


def _languages(value):
    return list_separator().join(language_name(code) for code in split_languages(value))


def reading_order():
    """The languages a reader's text is looked for in: theirs, then the
    fallbacks (Swedish, English), as modeltranslation's descriptors do."""
    current = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return list(dict.fromkeys([current, *settings.MODELTRANSLATION_FALLBACK_LANGUAGES["default"]]))


def text_in_reading_order(field, order):
    """``field``'s text (a django-modeltranslation field) as the database's
    choice of its first column, in the reading ``order``, that is not
    empty: one column to read rather than one per language."""
    return Coalesce(
        *(NullIf(F(f"{field}_{code}"), Value("")) for code in order),
        Value(""),
        output_field=TextField(),
    )


def translated_texts(order):
    """Each translated text of an entry, by ``text_in_reading_order``."""
    return {name: text_in_reading_order(field, order) for name, field in TRANSLATED.items()}


def _topics_by_slot(slot_ids, order):
    """The topics of each series, as the page lists them: alphabetical in
    the active language, as they read in running text, escaped. One query."""
    rows = StaffedSlot.topics.through.objects.filter(staffedslot_id__in=slot_ids).values_list(
        "staffedslot_id", text_in_reading_order("topic__name", order)
    )
    names = {}
    for slot_id, name in rows:
        names.setdefault(slot_id, []).append(name)
    # Series share their few sets of topics: each set is sorted by the
    # language's collation (ICU, the costly part) and written once.
    separator = list_separator()
    written = _Formatted(
        lambda found: escape(separator.join(in_running_text(name) for name in sorted(found, key=sort_key)))
    )
    return {slot_id: written[tuple(sorted(found))] for slot_id, found in names.items()}


class WeekEntries:
    """Makes the entries of one page, sharing what entries have in common."""

    def __init__(self):
        self.order = reading_order()
        self.bidi = translation.get_language_bidi()
        self.clocks = _Formatted(_clock)
        self.clock_html = _Formatted(self._clock_html)
        self.short_days = _Formatted(format_day_short)
        self.languages = _Formatted(lambda value: escape(_languages(value)))
        self.formats = _Formatted(lambda value: escape(str(Format(value).label)))
        self.agencies = {}
        self.venues = {}
        self.labels = {key: escape(label) for key, label in entry_labels().items()}
        self.booking_url = _booking_url_pattern()

    def entries(self, occurrences):
        """``occurrences`` (a queryset) as entries, in time order. Two queries."""
        # Plain rows (modeltranslation's rewriting off: it would turn every
        # row into a dict twice more); the texts are chosen by translated_texts.
        rows = list(
            occurrences.rewrite(False)
            .values(*COLUMNS, **translated_texts(self.order))
            .order_by("starts_at", "agency_name")
        )
        topics = _topics_by_slot(sorted({row["slot_id"] for row in rows}), self.order)
        return [self.entry(row, topics.get(row["slot_id"], "")) for row in rows]

    def entry(self, row, topics):
        """One entry: the day it falls on, whether it is cancelled, and its
        HTML. The HTML is written here rather than by a template loop: with
        300 entries, the engine's lookups, tags and filters cost more than
        all the rest of the page (profiled by benchmarks/week_render.py)."""
        start, end = row["starts_at"].astimezone(STOCKHOLM), row["ends_at"].astimezone(STOCKHOLM)
        clock_text = f"{self.clocks[start.hour, start.minute]}–{self.clocks[end.hour, end.minute]}"
        cancelled = row["status"] == OccurrenceStatus.CANCELLED
        agency = self._agency(row)
        parts = [
            f'<li class="{agency["border_class"]}{" entry-cancelled" if cancelled else ""}">',
            self._title_html(row, agency, start, clock_text),
            self._cancelled_html(row) if cancelled else "",
            self._facts_html(row, topics),
            self._booking_html(row, agency, start, clock_text),
            f'<p class="entry-note">{escape(row["note"])}</p>' if row["note"] else "",
            "</li>",
        ]
        return {"date": start.date(), "cancelled": cancelled, "html": "".join(parts)}

    def _title_html(self, row, agency, start, clock_text):
        title = row["title"]
        subtitle = f' <span class="entry-subtitle">{escape(title)}</span>' if title else ""
        return (
            f'<h3 class="entry-title"><time class="entry-time" datetime="{start.isoformat()}">'
            f'<span class="entry-clock">{self.clock_html[clock_text]}</span></time>'
            f" {agency['link']}{subtitle}</h3>"
        )

    def _clock_html(self, clock_text):
        # Isolated left to right inside Arabic or Persian text, as the
        # time_range tag does, or the bidi algorithm reverses the range.
        return f'<bdi dir="ltr">{escape(clock_text)}</bdi>' if self.bidi else escape(clock_text)

    def _cancelled_html(self, row):
        label, reason = self.labels["cancelled"], escape(row["reason"])
        return f'<p class="entry-cancelled-reason"><strong>{label}:</strong> {reason}</p>'

    def _facts_html(self, row, topics):
        labels = self.labels
        room = row["room"] or row["venue_room"]
        place = f", {room}" if room else ""
        if row["slot__venue__municipality__name"]:
            place += f" ({row['slot__venue__municipality__name']})"
        facts = (
            f'<dl class="entry-facts">'
            f'<div><dt>{labels["place"]}</dt><dd>{self._venue(row)}{escape(place)}</dd></div>'
            f'<div><dt>{labels["kind"]}</dt><dd>{self.formats[row["slot__format"]]}</dd></div>'
            f'<div><dt>{labels["languages"]}</dt><dd>{self.languages[row["slot__languages"]]}</dd></div>'
        )  # fmt: skip
        if topics:
            facts += f"<div><dt>{labels['help_with']}</dt><dd>{topics}</dd></div>"
        return facts + "</dl>"

    def _agency(self, row):
        pk = row["slot__agency_id"]
        if pk not in self.agencies:
            url = reverse("schedule:agency", args=[row["slot__agency__slug"]])
            name = row["agency_name"]
            self.agencies[pk] = {
                "name": name,
                "border_class": f"entry agency-border-{pk}",
                "link": f'<a class="agency-badge agency-{pk}" href="{escape(url)}">{escape(name)}</a>',
            }
        return self.agencies[pk]

    def _venue(self, row):
        """The venue's name as a link to its page, made once per venue."""
        pk = row["slot__venue_id"]
        if pk not in self.venues:
            url = reverse("schedule:venue", args=[row["slot__venue__slug"]])
            self.venues[pk] = f'<a href="{escape(url)}">{escape(row["venue_name"])}</a>'
        return self.venues[pk]

    def _booking_html(self, row, agency, start, clock_text):
        state = booking_state_of(
            cancelled=row["status"] == OccurrenceStatus.CANCELLED, format=row["slot__format"],
            capacity=row["slot__capacity"], booking_minutes=row["slot__booking_minutes"],
            starts_at=row["starts_at"], ends_at=row["ends_at"], taken=row["places_taken"],
        )  # fmt: skip
        if not state:
            return ""
        labels = self.labels
        if state == BookingState.FULL:
            full = labels["fully_booked"]
            return f'<p class="booking-state booking-state-full"><strong>{full}</strong></p>'
        few_left = ""
        if state == BookingState.FEW_LEFT:
            few_left = f'<span class="few-left">{labels["few_left"]}</span> '
        url = self.booking_url.format(row["pk"])
        hidden = escape(f": {agency['name']} {self.short_days[start.date()]} {clock_text}")
        return (
            f'<p class="booking-state booking-state-{state}">{few_left}<a class="btn btn-sm btn-primary"'
            f' href="{escape(url)}">{labels["book"]}<span class="visually-hidden">{hidden}</span></a></p>'
        )


def _booking_url_pattern():
    """The booking page's address with ``{}`` for the session: reversed
    once per page, not once per bookable entry (30 µs each)."""
    marker = "987654321987654321"  # as long as <id:pk> allows; no other digits run so long
    url = reverse("visitors:book", args=[int(marker)])
    if url.count(marker) != 1:
        raise ImproperlyConfigured(f"The booking URL {url} does not hold the session once.")
    return url.replace("{", "{{").replace("}", "}}").replace(marker, "{}")


def day_html(entries):
    """One day's entries as the list the week page prints."""
    return mark_safe('<ul class="entries">' + "".join(entry["html"] for entry in entries) + "</ul>")


def entry_labels():
    """The entry's fixed words, translated once per page rather than once
    per entry."""
    return {
        "cancelled": _("Cancelled"),
        "place": _("Place"),
        "kind": _("Kind of help"),
        "languages": _("Languages"),
        "help_with": _("Help with"),
        "fully_booked": _("Fully booked"),
        "few_left": _("Few places left"),
        "book": _("Book"),
    }


def by_day(entries, days):
    """``{date: [entries]}`` for ``days`` (each present, if need be empty)
    and any other day an entry falls on, in date order."""
    grouped = {day: [] for day in days}
    for entry in entries:
        grouped.setdefault(entry["date"], []).append(entry)
    return dict(sorted(grouped.items()))


def filter_fields(form):
    """The filter form's selects as plain data: id, name, label and the
    options as HTML, the chosen one selected. In a region the lists are
    long (every venue of the country), so the options are written here
    rather than by a template loop."""
    fields = []
    for field in form:
        fields.append(
            {
                "id": field.id_for_label,
                "name": field.html_name,
                "label": field.label,
                "options": option_tags(field.field.choices, str(field.value())),
            }
        )
    return fields
