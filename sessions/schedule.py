"""Turning series into dated occurrence rows.

``sync_occurrences`` is the one place that creates, moves or removes
occurrences of a series. It runs when a series is saved and every night (the
``extend_horizon`` task) to keep a rolling horizon of stored rows.

Rules it keeps:
- Only today and later are touched; past occurrences are history that visit
  logs and statistics rely on.
- An occurrence a coordinator changed by hand (``is_exception``) is never
  overwritten.
- An occurrence that a booking or visit points at is never deleted. If the
  series no longer includes its date, it is kept as an exception, and the
  caller is told so it can warn the coordinator.
"""

import dataclasses
import datetime
import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from sessions.models import Occurrence, OccurrenceStatus, StaffedSlot, horizon_end, wall_clock
from sessions.page_cache import schedule_changed

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class SyncResult:
    created: int = 0
    moved: int = 0
    deleted: int = 0
    kept: list = dataclasses.field(default_factory=list)


def referenced_occurrence_ids(occurrence_ids):
    """Ids among ``occurrence_ids`` that any other model points at (bookings,
    visits, whatever later apps add), found from the reverse relations so a
    new app cannot forget to register itself here."""
    referenced = set()
    for relation in Occurrence._meta.related_objects:
        model = relation.related_model
        field = relation.field.name
        referenced.update(
            model._default_manager.filter(**{f"{field}__in": occurrence_ids})
            .values_list(field, flat=True)
            .distinct()
        )
    return referenced


def _plan(slot, existing, wanted):
    to_create, to_move, gone = [], [], []
    for day, (starts_at, ends_at) in wanted.items():
        occurrence = existing.get(day)
        if occurrence is None:
            to_create.append(Occurrence(slot=slot, date=day, starts_at=starts_at, ends_at=ends_at))
        elif not occurrence.is_exception and (occurrence.starts_at, occurrence.ends_at) != (
            starts_at,
            ends_at,
        ):
            occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
            occurrence.sequence += 1
            occurrence.updated_at = timezone.now()
            to_move.append(occurrence)
    for day, occurrence in existing.items():
        if day not in wanted and not occurrence.is_exception:
            gone.append(occurrence)
    return to_create, to_move, gone


def _wanted(slot, today, now):
    """Dates from today to the horizon with their times, leaving out
    sessions that have already ended (they are history) and wall-clock
    times that do not exist on that date (the spring-forward hour)."""
    wanted = {}
    for day in slot.dates_between(max(today, slot.first_date), horizon_end(today)):
        # In UTC: Python compares two datetimes of the same zone by their
        # wall-clock times, which hides the hour summer time skips.
        starts_at, ends_at = (moment.astimezone(datetime.UTC) for moment in slot.times_on(day))
        if ends_at > now and ends_at > starts_at:
            wanted[day] = (starts_at, ends_at)
    return wanted


def sync_occurrences(slot, today=None, now=None):
    """``today``/``now`` default to the real ones; tests pass a day, which
    then counts from its midnight."""
    if now is None:
        now = wall_clock(today, datetime.time()) if today else timezone.now()
    today = today or timezone.localdate(now)
    wanted = _wanted(slot, today, now)
    result = SyncResult()
    with transaction.atomic():
        # Serialises concurrent syncs of one series (an admin save racing the
        # nightly task); the unique (slot, date) constraint is the backstop.
        StaffedSlot.objects.select_for_update().filter(pk=slot.pk).first()
        # Sessions that have ended are history, even today's.
        existing = {o.date: o for o in slot.occurrences.filter(date__gte=today, ends_at__gt=now)}
        to_create, to_move, gone = _plan(slot, existing, wanted)
        Occurrence.objects.bulk_create(to_create, ignore_conflicts=True)
        Occurrence.objects.bulk_update(to_move, ["starts_at", "ends_at", "sequence", "updated_at"])
        referenced = referenced_occurrence_ids([o.pk for o in gone]) if gone else set()
        kept = [o for o in gone if o.pk in referenced]
        Occurrence.objects.filter(pk__in=[o.pk for o in kept]).update(is_exception=True)
        result.deleted, _by_model = Occurrence.objects.filter(
            pk__in=[o.pk for o in gone if o.pk not in referenced]
        ).delete()
    result.created, result.moved, result.kept = len(to_create), len(to_move), kept
    schedule_changed()  # bulk writes send no signals
    return result


def extend_horizon():
    """Daily task: store occurrences up to the horizon for every running
    series. One series that fails is logged and does not stop the others."""
    today = timezone.localdate()
    created = 0
    for slot in StaffedSlot.objects.running_on_or_after(today).iterator():
        try:
            created += sync_occurrences(slot).created
        except DatabaseError:
            logger.exception("Could not extend series %s", slot.pk)
    return created


def cancel_occurrences(occurrences, reason, reason_en=""):
    """Cancel every occurrence with ``reason`` (shown to the public); returns
    those that changed. A cancellation is a hand-made exception: later series
    edits leave it alone, and calendar clients see a higher SEQUENCE."""
    changed = []
    for occurrence in occurrences:
        wanted = (OccurrenceStatus.CANCELLED, reason, reason_en)
        if (occurrence.status, occurrence.cancellation_reason, occurrence.cancellation_reason_en) == wanted:
            continue
        occurrence.status, occurrence.cancellation_reason, occurrence.cancellation_reason_en = wanted
        occurrence.changed_by_hand()
        changed.append(occurrence)
    Occurrence.objects.bulk_update(
        changed,
        ["status", "cancellation_reason", "cancellation_reason_en", "is_exception", "sequence", "updated_at"],
    )
    schedule_changed()  # bulk writes send no signals
    return changed
