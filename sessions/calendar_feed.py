"""The schedule as an RFC 5545 calendar, built with the icalendar library."""

import datetime
import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from eserviceverkstad.i18n import language_name, list_separator
from sessions.models import STOCKHOLM, OccurrenceStatus, StaffedSlot

# The feed shows a month back (so a subscriber's calendar keeps recent
# history) and a year ahead.
FEED_PAST = datetime.timedelta(days=31)
FEED_AHEAD = datetime.timedelta(days=366)
UID_DOMAIN = "eserviceverkstad"

# Europe/Stockholm as two yearly rules, the form that every mainstream client
# reads alike (icalendar's own VTIMEZONE lists each change in one multi-valued
# RDATE, of which ical.js reads only the first). Sweden has followed this EU
# rule since 1996, long before the feed's first day; the tests check it against
# zoneinfo for every change in the feed's window, so a tzdata update that
# changes the rule fails there. Each DTSTART is the local time just before
# the change (RFC 5545): 02:00 in March, 03:00 in October.
STOCKHOLM_CHANGES = (
    # component, first change, month, offset before, offset after, name after
    (TimezoneStandard, datetime.datetime(1970, 10, 25, 3), 10, 2, 1, "CET"),
    (TimezoneDaylight, datetime.datetime(1970, 3, 29, 2), 3, 1, 2, "CEST"),
)


def feed_window(now=None):
    now = now or timezone.now()
    return now - FEED_PAST, now + FEED_AHEAD


def occurrence_uid(occurrence):
    # Series and series date identify an occurrence for good, even when its
    # time is moved, so calendar clients update the event instead of adding one.
    return f"{occurrence.slot_id}-{occurrence.date:%Y%m%d}@{UID_DOMAIN}"


def stockholm_vtimezone():
    vtimezone = Timezone()
    vtimezone.add("tzid", STOCKHOLM.key)
    for component, first, month, before, after, name in STOCKHOLM_CHANGES:
        change = component()
        change.add("dtstart", first)
        change.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        change.add("tzoffsetfrom", datetime.timedelta(hours=before))
        change.add("tzoffsetto", datetime.timedelta(hours=after))
        change.add("tzname", name)
        vtimezone.add_component(change)
    return vtimezone


def _slot_texts(slot, topics):
    """Summary and description lines of a series: the same for each of its
    occurrences, so worked out once per series."""
    summary = slot.agency.name
    if slot.title:
        summary = f"{summary}: {slot.title}"
    lines = [slot.get_format_display()]
    if topics:
        topic_names = list_separator().join(t.name for t in topics)
        lines.append(_("Help with: %(topics)s") % {"topics": topic_names})
    languages = list_separator().join(language_name(code) for code in slot.language_codes)
    lines.append(_("Languages: %(languages)s") % {"languages": languages})
    if slot.note:
        lines.append(slot.note)
    return summary, lines


def _event(occurrence, stamp, texts):
    venue = occurrence.slot.venue
    summary, lines = texts
    if occurrence.is_cancelled:
        lines = [_("Cancelled: %(reason)s") % {"reason": occurrence.cancellation_reason}, *lines]
    event = Event()
    event.add("uid", occurrence_uid(occurrence))
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.starts_at.astimezone(STOCKHOLM))
    event.add("dtend", occurrence.ends_at.astimezone(STOCKHOLM))
    event.add("summary", summary)
    event.add(
        "location", ", ".join(part for part in (venue.name, occurrence.display_room, venue.address) if part)
    )
    event.add("description", "\n".join(lines))
    event.add("sequence", occurrence.sequence)
    event.add("last-modified", occurrence.updated_at)
    event.add("status", "CANCELLED" if occurrence.status == OccurrenceStatus.CANCELLED else "CONFIRMED")
    return event


def _topics_by_slot(slot_ids):
    # One query for every series' topics. A prefetch would attach them to
    # each occurrence's own copy of its series, a thousand times over.
    through = StaffedSlot.topics.through
    topics = {}
    for link in through.objects.filter(staffedslot_id__in=slot_ids).select_related("topic"):
        topics.setdefault(link.staffedslot_id, []).append(link.topic)
    return topics


def build_calendar(occurrences, name):
    """``occurrences``: a queryset; read with series, agency and venue in
    one query, and the series' topics in one more."""
    occurrences = list(occurrences.select_related("slot__agency", "slot__venue").order_by("starts_at"))
    topics = _topics_by_slot({occurrence.slot_id for occurrence in occurrences})
    calendar = Calendar()
    calendar.add("prodid", "-//E-serviceverkstad//schedule//SV")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", STOCKHOLM.key)
    # Every event time is written in Stockholm time (see _event).
    calendar.add_component(stockholm_vtimezone())
    stamp = timezone.now()
    texts = {}
    for occurrence in occurrences:
        if occurrence.slot_id not in texts:
            texts[occurrence.slot_id] = _slot_texts(occurrence.slot, topics.get(occurrence.slot_id, []))
        calendar.add_component(_event(occurrence, stamp, texts[occurrence.slot_id]))
    return calendar.to_ical()


def feed_etag(versions, query, language):
    """An ETag from what changes the feed: the schedule versions of what it
    shows (sessions/page_cache.py), the filters and the language."""
    raw = f"{versions}|{query}|{language}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]
