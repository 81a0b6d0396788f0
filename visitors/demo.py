"""Demo visit logs for ``seed_demo``: a few hundred believable, anonymous
visits over the past months, so the statistics have something to show.

Deterministic: each visit's one-time key is derived from its occurrence and
number, and its details from a random generator seeded the same way, so a
second run adds nothing."""

import datetime
import random
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Agency, AgencyKind, EService, Membership, Role
from sessions.models import Format, Occurrence
from visitors import rollup
from visitors.models import MODE_FOR_FORMAT, AgeBand, Device, FirstVisit, Outcome, Visit, VisitChange
from visitors.services import creation_entries

NAMESPACE = uuid.UUID("0b7b5d8e-5b1a-4a53-9a57-4f1f0c1d2e3f")
HISTORY = datetime.timedelta(days=120)
# Visits per staffed hour: the library's drop-in draws many, the childcare
# office's monthly hour few ("last time only one came").
RATE_BY_KIND = {
    AgencyKind.LIBRARY: 3.0,
    AgencyKind.CITIZEN_SERVICE: 2.5,
    AgencyKind.TAX_AGENCY: 3.0,
    AgencyKind.EMPLOYMENT_SERVICE: 2.0,
    AgencyKind.SOCIAL_INSURANCE: 2.0,
    AgencyKind.EDUCATION: 1.5,
    AgencyKind.CHILDCARE: 1.0,
}
DURATIONS = [(5, 2), (10, 4), (15, 6), (30, 5), (45, 2), (60, 1)]
LANGUAGES = [("sv", 70), ("en", 8), ("ar", 9), ("so", 4), ("ti", 3), ("fa", 3), ("pl", 3)]
OUTCOMES = [
    (Outcome.SOLVED, 60), (Outcome.PARTLY_SOLVED, 15), (Outcome.REFERRED, 12),
    (Outcome.FOLLOW_UP, 8), (Outcome.NOT_SOLVED, 5),
]  # fmt: skip
DEVICES = [(Device.OWN_PHONE, 50), (Device.LIBRARY_COMPUTER, 25), (Device.OWN_COMPUTER, 10),
           (Device.LIBRARY_TABLET, 10), ("", 5)]  # fmt: skip
AGE_BANDS = [
    ("", 40),
    (AgeBand.FROM_20, 15),
    (AgeBand.FROM_40, 20),
    (AgeBand.FROM_65, 18),
    (AgeBand.FROM_80, 7),
]
FIRST_VISITS = [(FirstVisit.YES, 45), (FirstVisit.NO, 30), (FirstVisit.UNKNOWN, 25)]
# Invented colleagues who log the demo visits of agencies without a demo login.
COLLEAGUES = ["Maja Lind", "Jonas Berg", "Fatima Noor", "Karin Holm", "Pekka Virtanen", "Elin Strand",
              "Omar Yusuf", "Greta Nyberg", "Nils Åberg", "Sara Mohamed"]  # fmt: skip


def pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def loggers_by_agency():
    """A staff member per agency: an existing one, or an invented colleague
    without a usable password."""
    users = get_user_model()
    loggers = {}
    for index, agency in enumerate(Agency.objects.order_by("slug")):
        member = Membership.objects.filter(agency=agency, role=Role.STAFF).select_related("user").first()
        if member is None:
            first, last = COLLEAGUES[index % len(COLLEAGUES)].split(" ", 1)
            user, created = users.objects.get_or_create(
                username=f"kollega.{agency.slug}", defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_unusable_password()
                user.save()
            member, _ = Membership.objects.get_or_create(user=user, role=Role.STAFF, agency=agency)
        loggers[agency.pk] = member.user
    return loggers


def _count(rng, occurrence):
    if occurrence.slot.format == Format.LECTURE:
        return 1
    hours = (occurrence.ends_at - occurrence.starts_at).total_seconds() / 3600
    rate = RATE_BY_KIND.get(occurrence.slot.agency.kind, 1.5) * hours
    return max(0, round(rng.gauss(rate, rate / 3)))


def _visit(rng, occurrence, number, logger, agencies):
    slot = occurrence.slot
    minutes = pick(rng, DURATIONS) if slot.format != Format.LECTURE else 60
    latest_start = max(0, int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60) - minutes)
    outcome = pick(rng, OUTCOMES)
    others = [a for a in agencies if a.pk != slot.agency_id]
    return Visit(
        occurrence=occurrence,
        agency=slot.agency,
        venue=slot.venue,
        logged_by=logger,
        started_at=occurrence.starts_at + datetime.timedelta(minutes=rng.randint(0, latest_start)),
        duration_minutes=minutes,
        people=rng.randint(6, 20) if slot.format == Format.LECTURE else 1,
        mode=MODE_FOR_FORMAT[slot.format],
        outcome=outcome,
        referred_to=rng.choice(others) if outcome == Outcome.REFERRED else None,
        language=pick(rng, LANGUAGES),
        first_visit=pick(rng, FIRST_VISITS),
        device=pick(rng, DEVICES),
        age_band=pick(rng, AGE_BANDS),
        submission_key=uuid.uuid5(NAMESPACE, f"{occurrence.slot_id}-{occurrence.date}-{number}"),
    )


def _links(rng, visit, topics, eservices):
    chosen = rng.sample(topics, k=min(len(topics), rng.choice([1, 1, 1, 2])))
    services = [e for e in eservices if set(e.topic_ids) & {t.pk for t in chosen}]
    return chosen, services[:1]


def seed_visits(today=None):
    """Create the demo's visits; returns how many were new."""
    today = today or timezone.localdate()
    loggers = loggers_by_agency()
    agencies = list(Agency.objects.all())
    eservices = {}
    for eservice in EService.objects.prefetch_related("topics"):
        eservice.topic_ids = [t.pk for t in eservice.topics.all()]
        eservices.setdefault(eservice.agency_id, []).append(eservice)
    occurrences = (
        Occurrence.objects.scheduled()
        .filter(date__lt=today, date__gte=today - HISTORY)
        .select_related("slot__agency", "slot__venue")
        .prefetch_related("slot__topics")
        .order_by("date", "slot_id")
    )
    planned = []
    for occurrence in occurrences:
        rng = random.Random(f"{occurrence.slot_id}-{occurrence.date}")
        topics = list(occurrence.slot.topics.all())
        for number in range(_count(rng, occurrence)):
            visit = _visit(rng, occurrence, number, loggers[occurrence.slot.agency_id], agencies)
            planned.append((visit, *_links(rng, visit, topics, eservices.get(visit.agency_id, []))))
    return _save_new(planned)


def _save_new(planned):
    known = set(
        Visit.objects.filter(submission_key__in=[v.submission_key for v, *_ in planned]).values_list(
            "submission_key", flat=True
        )
    )
    new = [
        (visit, topics, services) for visit, topics, services in planned if visit.submission_key not in known
    ]
    Visit.objects.bulk_create([visit for visit, *_ in new])
    Topics, Services = Visit.topics.through, Visit.eservices.through
    Topics.objects.bulk_create([Topics(visit=v, topic=t) for v, topics, _ in new for t in topics])
    Services.objects.bulk_create([Services(visit=v, eservice=e) for v, _, services in new for e in services])
    entries = creation_entries([visit for visit, *_ in new])
    for entry, (visit, *_) in zip(entries, new, strict=True):
        entry.at = visit.started_at + datetime.timedelta(minutes=visit.duration_minutes)
    VisitChange.objects.bulk_create(entries)
    # Bulk writes send no signals.
    rollup.refresh_visits(visit for visit, *_ in new)
    return len(new)
