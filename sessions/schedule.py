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
  series no longer includes its date, it is kept as an exception, also when
  the reference appears while the sync runs (``delete_unreferenced_occurrences``).
- Exceptions left outside the series after an edit are listed for the
  coordinator (``awaiting_decision``), who cancels, deletes or keeps each.

Cancelling goes through ``cancel_occurrences``/``uncancel_occurrences`` only,
which send the ``occurrences_cancelled``/``occurrences_uncancelled`` signals.
"""

import collections
import contextlib
import dataclasses
import datetime
import functools
import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.dispatch import Signal
from django.utils import timezone, translation

from sessions.cache_scope import occurrences_changed, slot_changed
from sessions.models import Occurrence, OccurrenceStatus, StaffedSlot, horizon_end, wall_clock

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
        # Only the series' row: the default ordering joins the venue, whose
        # row would be locked too and every visit logged there would wait.
        StaffedSlot.objects.select_for_update(of=("self",)).filter(pk=slot.pk).first()
        # Sessions that have ended are history, even today's.
        existing = {o.date: o for o in slot.occurrences.filter(date__gte=today, ends_at__gt=now)}
        old_starts = {occurrence.pk: occurrence.starts_at for occurrence in existing.values()}
        to_create, to_move, gone = _plan(slot, existing, wanted)
        Occurrence.objects.bulk_create(to_create, ignore_conflicts=True)
        Occurrence.objects.bulk_update(to_move, ["starts_at", "ends_at", "sequence", "updated_at"])
        announce_moves({o.pk: old_starts[o.pk] for o in to_move if o.starts_at != old_starts[o.pk]})
        # A date back in the series is no longer "kept outside" it, so a
        # later edit that drops it again asks the coordinator again.
        back_in_series = slot.occurrences.filter(date__in=list(wanted), kept_outside_series=True).update(
            kept_outside_series=False
        )
        result.deleted, result.kept = delete_unreferenced_occurrences(gone)
        # Bulk writes send no signals. Only a real change retires the
        # venue's pages: the nightly sync of every series mostly finds none.
        if to_create or to_move or gone or back_in_series:
            slot_changed(slot)
    result.created, result.moved = len(to_create), len(to_move)
    return result


def delete_unreferenced_occurrences(occurrences):
    """Delete those of ``occurrences`` that nothing points at; keep the rest
    as exceptions. Returns (number deleted, occurrences kept).

    A visit or booking may start pointing at one of them between the check
    and the delete (a visit logged while a series is re-synced). Each delete
    therefore runs in a savepoint with the foreign keys checked at once
    instead of at commit: Django's own PROTECT check (ProtectedError) or the
    database's (IntegrityError) then fails that savepoint only, and the rows
    that became referenced are kept. The save of the series never fails."""
    candidates = {o.pk: o for o in occurrences}
    deletable = set(candidates) - referenced_occurrence_ids(list(candidates)) if candidates else set()
    deleted = 0
    while deletable:
        try:
            with _foreign_keys_checked_at_once(), transaction.atomic():
                _total, by_model = Occurrence.objects.filter(pk__in=deletable).delete()
            deleted = by_model.get(Occurrence._meta.label, 0)
            break
        except (ProtectedError, IntegrityError):
            now_referenced = referenced_occurrence_ids(list(deletable))
            if not now_referenced:
                raise  # not a new reference: a real error
            deletable -= now_referenced
    kept = [occurrence for pk, occurrence in candidates.items() if pk not in deletable]
    Occurrence.objects.filter(pk__in=[o.pk for o in kept], is_exception=False).update(is_exception=True)
    for occurrence in kept:
        occurrence.is_exception = True
    return deleted, kept


@contextlib.contextmanager
def _foreign_keys_checked_at_once():
    """PostgreSQL checks Django's foreign keys (DEFERRABLE INITIALLY
    DEFERRED) at commit, outside any savepoint we could roll back. SQLite
    has no such switch; there the database-wide write lock, taken by the
    DELETE, keeps others from committing a reference between Django's
    PROTECT check and the delete."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


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


# The one place where cancelling and un-cancelling happen, whatever the path:
# the occurrence admin's "cancel selected" action, a status changed in the
# occurrence form or the series' inline, the "sessions outside the series"
# page, and the coming period cancellation and holiday warnings. Whatever
# must follow a cancellation (telling the people booked on it) connects a
# receiver to these signals. They are sent once the transaction has
# committed, so a rollback notifies no one, with
#   occurrence_ids: the ids whose status changed (a list),
#   by: the user who did it, or None for code (the demo data),
# and for ``occurrences_cancelled`` also ``reason`` and ``reason_en``.
occurrences_cancelled = Signal()
occurrences_uncancelled = Signal()
# Sent when occurrences get a new start time (a series edit or a
# coordinator's change of one occurrence), with
#   moves: {occurrence id: its start time before the move},
# INSIDE the moving transaction, unlike the two above: what hangs on an
# occurrence's time (the bookings' times) must move with it or not at all.
# A receiver defers what must not happen on a rollback (mail) to on_commit.
occurrences_moved = Signal()

# The reason in every language's column (sessions/translation.py).
REASON_FIELDS = [
    "cancellation_reason",
    *(f"cancellation_reason_{code}" for code in settings.MODELTRANSLATION_LANGUAGES),
]
STATUS_FIELDS = [
    "status",
    *REASON_FIELDS,
    "is_exception",
    "sequence",
    "updated_at",
]


def announce_moves(moves):
    """Send ``occurrences_moved`` for ``moves`` ({id: old start}), if any."""
    if moves:
        occurrences_moved.send(sender=Occurrence, moves=moves)


def _locked(occurrences):
    ids = [occurrence.pk for occurrence in occurrences]
    return list(
        Occurrence.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("slot__agency")
        .order_by("starts_at", "pk")
    )


def _without_rewriting():
    # modeltranslation would turn "cancellation_reason" into the active
    # language's column; here every column is named as it is.
    return Occurrence.objects.all().rewrite(False)


def _set_reason(occurrence, reason="", reason_en=""):
    """The Swedish reason in the original and the Swedish column, the English
    one in English's; the other languages' are emptied, since they
    translated the earlier reason (they show the Swedish one until a
    coordinator translates this one)."""
    for field in REASON_FIELDS:
        occurrence.__dict__[field] = ""
    occurrence.__dict__["cancellation_reason"] = occurrence.cancellation_reason_sv = reason
    occurrence.cancellation_reason_en = reason_en


# The reason's languages that the cancel forms do not ask for: a coordinator
# fills them in afterwards, on the occurrence's own page.
OTHER_REASON_LANGUAGES = tuple(
    code for code in settings.MODELTRANSLATION_LANGUAGES if code not in ("sv", "en")
)


def translate_reason(occurrence, reasons):
    """Write the cancellation reason of ``occurrence`` in other languages
    (``{"ar": "...", ...}``; an empty text shows the Swedish one again).
    Calendar clients see a higher SEQUENCE, so they fetch the new text."""
    columns = {f"cancellation_reason_{code}": text for code, text in reasons.items()}
    if not columns:
        return
    if set(reasons) - set(OTHER_REASON_LANGUAGES):
        raise ValueError("Swedish and English reasons go through cancel_occurrences.")
    _without_rewriting().filter(pk=occurrence.pk).update(
        **columns, sequence=F("sequence") + 1, updated_at=timezone.now(), is_exception=True
    )
    occurrences_changed([occurrence.pk])


def cancel_occurrences(occurrences, reason, reason_en="", by=None):
    """Cancel every occurrence with ``reason`` (shown to the public) and
    return those that changed, as fresh rows. Occurrences that are already
    cancelled get the new reason but are not announced again. A
    cancellation is a hand-made exception: later series edits leave it
    alone, and calendar clients see a higher SEQUENCE."""
    if not reason.strip():
        raise ValueError("A cancellation needs a reason; residents see it.")
    wanted = (OccurrenceStatus.CANCELLED, reason, reason_en)
    with transaction.atomic():
        changed, newly_cancelled = [], []
        for occurrence in _locked(occurrences):
            if (
                occurrence.status,
                occurrence.cancellation_reason_sv or "",
                occurrence.cancellation_reason_en or "",
            ) == wanted:
                continue
            if not occurrence.is_cancelled:
                newly_cancelled.append(occurrence.pk)
            occurrence.status = OccurrenceStatus.CANCELLED
            _set_reason(occurrence, reason, reason_en)
            occurrence.changed_by_hand()
            changed.append(occurrence)
        with translation.override("sv"):  # the original column: Swedish (SwedishSourceText)
            _without_rewriting().bulk_update(changed, STATUS_FIELDS)
        occurrences_changed(occurrence.pk for occurrence in changed)  # bulk writes send no signals
        if newly_cancelled:
            transaction.on_commit(
                functools.partial(
                    occurrences_cancelled.send,
                    sender=Occurrence,
                    occurrence_ids=newly_cancelled,
                    reason=reason,
                    reason_en=reason_en,
                    by=by,
                )
            )
    return changed


def uncancel_occurrences(occurrences, by=None):
    """Undo a cancellation: the occurrences take place again, without a
    reason. They stay exceptions (the coordinator decided about them) and
    calendar clients see a higher SEQUENCE. Returns those that changed."""
    with transaction.atomic():
        changed = [occurrence for occurrence in _locked(occurrences) if occurrence.is_cancelled]
        for occurrence in changed:
            occurrence.status = OccurrenceStatus.SCHEDULED
            _set_reason(occurrence)
            occurrence.changed_by_hand()
        with translation.override("sv"):  # the original column: Swedish (SwedishSourceText)
            _without_rewriting().bulk_update(changed, STATUS_FIELDS)
        occurrences_changed(occurrence.pk for occurrence in changed)
        if changed:
            transaction.on_commit(
                functools.partial(
                    occurrences_uncancelled.send,
                    sender=Occurrence,
                    occurrence_ids=[occurrence.pk for occurrence in changed],
                    by=by,
                )
            )
    return changed


def in_period(occurrences, first_day, last_day, now=None):
    """Those of ``occurrences`` (a queryset) that start on a Stockholm date
    from ``first_day`` to ``last_day``, both included, and have not ended:
    what a period cancellation (or its undo) may change. Sessions that have
    ended are history."""
    start = wall_clock(first_day, datetime.time())
    end = wall_clock(last_day + datetime.timedelta(days=1), datetime.time())
    return occurrences.between(start, end).filter(ends_at__gt=now or timezone.now())


def outside_series(occurrences):
    """Those of ``occurrences`` (with their series loaded) whose date their
    series' rule no longer produces: left behind by a series edit."""
    by_slot = collections.defaultdict(list)
    for occurrence in occurrences:
        by_slot[occurrence.slot].append(occurrence)
    left = []
    for slot, rows in by_slot.items():
        dates = set(slot.dates_between(min(o.date for o in rows), max(o.date for o in rows)))
        left += [occurrence for occurrence in rows if occurrence.date not in dates]
    return sorted(left, key=lambda occurrence: (occurrence.starts_at, occurrence.pk))


def awaiting_decision(slots, now=None):
    """Upcoming occurrences of ``slots`` (a queryset) that a series edit left
    outside the series and that no coordinator has decided about yet; they
    are still on the public schedule. "Outside the series" is computed from
    the rule, not stored, so it is never out of date. Only exceptions can
    be outside: the sync deletes every other such row, or makes it an
    exception when something points at it. One query."""
    candidates = Occurrence.objects.filter(
        slot__in=slots, ends_at__gt=now or timezone.now(), is_exception=True, kept_outside_series=False
    ).select_related("slot__agency", "slot__venue")
    return outside_series(candidates)


def record_places_taken(occurrence, taken):
    """Store how many places of ``occurrence`` are booked (the booking
    service counts them under the occurrence's row lock, in its own
    transaction). The public pages show only the state, so their cache is
    retired only when the state changes (bookable, few left, full), not on
    every booking; the booking page itself is never cached."""
    before = occurrence.booking_state()
    Occurrence.objects.filter(pk=occurrence.pk).update(places_taken=taken)  # no signal: no version bump
    after = occurrence.booking_state(taken=taken)
    occurrence.places_taken = taken
    if before != after:
        occurrences_changed([occurrence.pk])
    return after
