"""Saving, correcting and deleting visit logs, each with its audit entry,
in one transaction so a log never exists without its history."""

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from agencies.permissions import coordinated_municipalities
from sessions.models import Occurrence
from visitors import rollup
from visitors.models import TallyCount, TallyTap, Visit, VisitChange

# Nobody taps more than this in one hour; a stuck finger should not make
# a thousand visits.
TALLY_MAX = 500

AUDITED_FIELDS = [
    "occurrence", "agency", "venue", "started_at", "duration_minutes", "people", "topics", "eservices",
    "mode", "outcome", "referred_to", "language", "first_visit", "device", "age_band", "note",
]  # fmt: skip


def snapshot(visit):
    """The audited fields as display strings."""
    values = {}
    for name in AUDITED_FIELDS:
        field = visit._meta.get_field(name)
        value = getattr(visit, name)
        if field.many_to_many:
            values[name] = ", ".join(sorted(str(obj) for obj in getattr(visit, name).all()))
        elif field.choices:
            values[name] = str(getattr(visit, f"get_{name}_display")())
        elif isinstance(value, datetime.datetime):
            values[name] = f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
        else:
            values[name] = "" if value is None else str(value)
    return values


def _audit(visit, user, action, changes):
    VisitChange.objects.create(
        visit=visit if action != VisitChange.Action.DELETED else None,
        visit_ref=visit.pk,
        municipality_id=visit.venue.municipality_id,
        user=user,
        action=action,
        changes=changes,
    )


def creation_entries(visits):
    """Audit entries for visits made in bulk (tally mode, demo data)."""
    return [
        VisitChange(
            visit=visit,
            visit_ref=visit.pk,
            municipality_id=visit.venue.municipality_id,
            user_id=visit.logged_by_id,
            action=VisitChange.Action.CREATED,
        )
        for visit in visits
    ]


class OccurrenceRemoved(Exception):
    """The scheduled time was removed from the schedule while the form was
    being filled in (a series edit)."""


def _lock_occurrence(occurrence_id):
    """Hold the occurrence until the visit is committed, so a series sync
    running now waits and then keeps it (it keeps referenced occurrences),
    instead of deleting it under the new visit."""
    if occurrence_id is not None and not (
        Occurrence.objects.select_for_update(of=("self",)).filter(pk=occurrence_id).exists()
    ):
        raise OccurrenceRemoved


def record_visit(form, user):
    """Save a new visit from a valid ``VisitForm``. Returns (visit, created):
    a resubmitted form (same one-time key) returns the visit it made before.
    Raises ``OccurrenceRemoved`` when its scheduled time no longer exists."""
    key = form.cleaned_data["submission_key"]
    existing = Visit.objects.filter(submission_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            _lock_occurrence(form.cleaned_data["occurrence"] and form.cleaned_data["occurrence"].pk)
            visit = form.save(commit=False)
            visit.logged_by = user
            visit.submission_key = key
            visit.save()
            form.save_m2m()
            _audit(visit, user, VisitChange.Action.CREATED, {})
    except IntegrityError:
        # Two submits raced past the check above; the unique key let one in.
        existing = Visit.objects.filter(submission_key=key).first()
        if existing is None:
            raise
        return existing, False
    return visit, True


def _without_note_text(changes):
    # The audit trail says that the note changed, never what it said: a note
    # corrected because it named someone must not live on here.
    if "note" in changes:
        changes["note"] = ["…", "…"]
    return changes


def update_visit(form, user):
    old = Visit.objects.select_related("venue").get(pk=form.instance.pk)
    before = snapshot(old)
    with transaction.atomic():
        visit = form.save()
        after = snapshot(visit)
        changes = {
            name: [before[name], after[name]] for name in AUDITED_FIELDS if before[name] != after[name]
        }
        if changes:
            _audit(visit, user, VisitChange.Action.CHANGED, _without_note_text(changes))
            if old.venue.municipality_id != visit.venue.municipality_id:
                # The municipality the visit left sees the move in its log too.
                _audit(old, user, VisitChange.Action.CHANGED, changes)
    return visit


def delete_visit(visit, user):
    with transaction.atomic():
        kept = {name: value for name, value in snapshot(visit).items() if name != "note"}
        _audit(visit, user, VisitChange.Action.DELETED, kept)
        visit.delete()


def visits_for(user):
    """The visits ``user`` may see and correct: their own, and as a
    coordinator every visit at their municipalities' venues."""
    municipalities = coordinated_municipalities(user)
    if municipalities is None:
        return Visit.objects.all()
    return Visit.objects.filter(Q(logged_by=user) | Q(venue__municipality__in=municipalities))


class EditRule:
    """Who may correct which log: staff their own for 14 days, coordinators
    their municipalities' logs at any time. Asks the database once, so a
    list can ask it of every row."""

    def __init__(self, user, now=None):
        municipalities = coordinated_municipalities(user)
        self.everything = municipalities is None
        self.municipality_ids = set() if self.everything else set(municipalities.values_list("pk", flat=True))
        self.user, self.now = user, now or timezone.now()

    def allows(self, visit):
        if self.everything or visit.venue.municipality_id in self.municipality_ids:
            return True
        return visit.logged_by_id == self.user.pk and visit.is_editable(self.now)


def tap(occurrence, user, topic, step, now=None, key=None):
    """Add ``step`` (+1 or -1) to a tally counter, never below 0, and note
    when a +1 happened (a -1 takes back the latest). The row lock makes two
    quick taps count twice, not once. A tap sent with a ``key`` (the
    tablet's one-time key, offline taps are resent) counts once, however
    often it arrives."""
    try:
        with transaction.atomic():
            counter, _created = TallyCount.objects.select_for_update().get_or_create(
                occurrence=occurrence, user=user, topic=topic
            )
            if key is None or not TallyTap.objects.filter(Q(tap_key=key) | Q(undone_by=key)).exists():
                _apply_tap(counter, step, now or timezone.now(), key)
    except IntegrityError:
        # The same key raced in twice (SQLite has no row lock): one counted.
        if key is None:
            raise
        counter = TallyCount.objects.get(occurrence=occurrence, user=user, topic=topic)
    return counter.count


def _apply_tap(counter, step, tapped_at, key):
    if step > 0 and counter.count < TALLY_MAX:
        counter.count += 1
        TallyTap.objects.create(counter=counter, tapped_at=tapped_at, tap_key=key)
    elif step < 0 and counter.count > 0:
        counter.count -= 1
        latest = counter.taps.counted().order_by("-tapped_at", "-pk").first()
        if latest is not None and key is None:
            latest.delete()
        elif latest is not None:
            # Kept with the -1's key, so the same -1 sent again finds it.
            latest.undone_by = key
            latest.save(update_fields=["undone_by"])
    counter.save(update_fields=["count"])


def tally_start(occurrence, tapped_at, now):
    """When a tallied visit started: its tap, kept within the occurrence's
    time (a tap after the end is late counting, not late help) and never in
    the future."""
    return min(max(tapped_at, occurrence.starts_at), occurrence.ends_at, now)


def _tap_times(counter, occurrence):
    times = sorted(tap.tapped_at for tap in counter.taps.all())
    # Counters from before taps were timed have fewer taps than counts.
    return times + [occurrence.starts_at] * (counter.count - len(times))


def save_tally(occurrence, user, *, duration, outcome, mode, language="sv", now=None):
    """Turn the user's tally at ``occurrence`` into visits, one per tap at
    the tap's time, and clear it, in one transaction: a second submit finds
    nothing left."""
    now = now or timezone.now()
    with transaction.atomic():
        counters = list(
            TallyCount.objects.select_for_update()
            .filter(occurrence=occurrence, user=user, count__gt=0)
            .prefetch_related(Prefetch("taps", queryset=TallyTap.objects.counted()))
        )
        slot = occurrence.slot
        made = []
        for counter in counters:
            for tapped_at in _tap_times(counter, occurrence):
                made.append((Visit(
                    occurrence=occurrence, agency=slot.agency, venue=slot.venue, logged_by=user,
                    started_at=tally_start(occurrence, tapped_at, now), duration_minutes=duration,
                    mode=mode, outcome=outcome, language=language, submission_key=uuid.uuid4(),
                ), counter.topic_id))  # fmt: skip
        Visit.objects.bulk_create([visit for visit, _topic in made])
        Visit.topics.through.objects.bulk_create(
            [Visit.topics.through(visit=visit, topic_id=topic) for visit, topic in made if topic]
        )
        VisitChange.objects.bulk_create(creation_entries([visit for visit, _topic in made]))
        # bulk_create sends no signals: the rollup is refreshed here.
        rollup.refresh_visits(visit for visit, _topic in made)
        TallyCount.objects.filter(occurrence=occurrence, user=user).delete()
    return len(made)
