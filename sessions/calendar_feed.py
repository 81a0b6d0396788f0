"""The schedule as an RFC 5545 calendar, built with the icalendar library."""

import datetime
import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from eserviceverkstad.i18n import language_name, localized
from sessions.models import STOCKHOLM, OccurrenceStatus

# The feed shows a month back (so a subscriber's calendar keeps recent
# history) and everything stored ahead.
FEED_PAST = datetime.timedelta(days=31)
UID_DOMAIN = "eserviceverkstad"


def feed_window(now=None):
    now = now or timezone.now()
    return now - FEED_PAST, now + datetime.timedelta(days=800)


def occurrence_uid(occurrence):
    # Series and series date identify an occurrence for good, even when its
    # time is moved, so calendar clients update the event instead of adding one.
    return f"{occurrence.slot_id}-{occurrence.date:%Y%m%d}@{UID_DOMAIN}"


def _description(occurrence):
    slot = occurrence.slot
    lines = [slot.get_format_display()]
    topics = ", ".join(topic.display_name for topic in slot.topics.all())
    if topics:
        lines.append(_("Help with: %(topics)s") % {"topics": topics})
    languages = ", ".join(language_name(code) for code in slot.language_codes)
    lines.append(_("Languages: %(languages)s") % {"languages": languages})
    if slot.display_note:
        lines.append(slot.display_note)
    if occurrence.is_cancelled:
        lines.insert(0, _("Cancelled: %(reason)s") % {"reason": occurrence.display_cancellation_reason})
    return "\n".join(lines)


def _event(occurrence, stamp):
    slot, venue = occurrence.slot, occurrence.slot.venue
    summary = localized(slot.agency, "name")
    if slot.display_title:
        summary = f"{summary}: {slot.display_title}"
    event = Event()
    event.add("uid", occurrence_uid(occurrence))
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.starts_at.astimezone(STOCKHOLM))
    event.add("dtend", occurrence.ends_at.astimezone(STOCKHOLM))
    event.add("summary", summary)
    event.add(
        "location", ", ".join(part for part in (venue.name, occurrence.display_room, venue.address) if part)
    )
    event.add("description", _description(occurrence))
    event.add("sequence", occurrence.sequence)
    event.add("last-modified", occurrence.updated_at)
    event.add("status", "CANCELLED" if occurrence.status == OccurrenceStatus.CANCELLED else "CONFIRMED")
    return event


def build_calendar(occurrences, name):
    calendar = Calendar()
    calendar.add("prodid", "-//E-serviceverkstad//schedule//SV")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Stockholm")
    stamp = timezone.now()
    for occurrence in occurrences:
        calendar.add_component(_event(occurrence, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_etag(version, query, language):
    """An ETag from what changes the feed: the schedule version (replaced by
    every change), the filters and the language."""
    raw = f"{version}|{query}|{language}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]
