"""A region-size installation for load tests and ``make bench``: Sweden's
290 municipalities in their 21 regions (agencies/data/municipalities.csv,
the public list of kommuner and län), venues and agencies in each. Used by
``seed_region``; written with bulk inserts, never one save per row.

Idempotent: rows are found by slug, so a second run adds nothing.
"""

import csv
import itertools
from pathlib import Path

from agencies.models import Agency, AgencyKind, AgencyLevel, Municipality, Venue

MUNICIPALITIES_CSV = Path(__file__).parent / "data" / "municipalities.csv"
# Dark enough for the schedule's white page (agencies.models.validate_schedule_colour).
COLOURS = ("#1f5f8b", "#2e6b30", "#7a3b8f", "#8a4b08", "#a4161a", "#005f73", "#5c4d7d", "#3d5a80")
NATIONAL_AGENCIES = (
    ("Skatteverket", "skatteverket", AgencyKind.TAX_AGENCY),
    ("Försäkringskassan", "forsakringskassan", AgencyKind.SOCIAL_INSURANCE),
    ("Arbetsförmedlingen", "arbetsformedlingen", AgencyKind.EMPLOYMENT_SERVICE),
    ("Pensionsmyndigheten", "pensionsmyndigheten", AgencyKind.OTHER),
    ("CSN", "csn", AgencyKind.OTHER),
)
# A municipality's venues: the main library first, then others.
VENUE_KINDS = ("bibliotek", "medborgarkontor", "filial")


def municipality_rows():
    """The shipped list: dicts with name, slug, formal_name and region."""
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as data:
        return list(csv.DictReader(data))


def seed_municipalities(count=None):
    """The first ``count`` municipalities of the list (all by default), with
    their region; existing ones (found by slug) get their region. Returns
    them in the list's order."""
    rows = municipality_rows()[:count]
    existing = {m.slug: m for m in Municipality.objects.filter(slug__in=[row["slug"] for row in rows])}
    Municipality.objects.bulk_create([Municipality(**row) for row in rows if row["slug"] not in existing])
    stale = [m for m in existing.values() if not m.region]
    for municipality in stale:
        municipality.region = next(row["region"] for row in rows if row["slug"] == municipality.slug)
    Municipality.objects.bulk_update(stale, ["region"])
    by_slug = {m.slug: m for m in Municipality.objects.filter(slug__in=[row["slug"] for row in rows])}
    return [by_slug[row["slug"]] for row in rows]


def _missing(model, wanted):
    """bulk_create the ``wanted`` rows whose slug is not taken yet."""
    taken = set(model.objects.filter(slug__in=[obj.slug for obj in wanted]).values_list("slug", flat=True))
    model.objects.bulk_create([obj for obj in wanted if obj.slug not in taken], batch_size=1000)


def seed_venues(municipalities, total):
    """``total`` venues spread over ``municipalities``, at least one each
    (their library). Returns every venue of these municipalities."""
    per_municipality = {m.pk: 0 for m in municipalities}
    for municipality in itertools.islice(itertools.cycle(municipalities), max(total, len(municipalities))):
        per_municipality[municipality.pk] += 1
    wanted = []
    for municipality in municipalities:
        for number in range(per_municipality[municipality.pk]):
            kind = VENUE_KINDS[min(number, len(VENUE_KINDS) - 1)]
            branch = number - len(VENUE_KINDS) + 2  # the branches are numbered from 1
            wanted.append(
                Venue(
                    municipality=municipality,
                    name=f"{municipality.name} {kind}" + (f" {branch}" if branch > 0 else ""),
                    slug=f"{municipality.slug}-{kind}" + (f"-{branch}" if branch > 0 else ""),
                    room="Digitala verkstaden",
                    address="Storgatan 1",
                    opening_hours="Mån–fre 10–19, lör 11–15",
                )
            )
    _missing(Venue, wanted)
    return list(Venue.objects.filter(municipality__in=municipalities).order_by("pk"))


def seed_agencies(municipalities):
    """The national agencies and each municipality's library and citizen
    service. Returns (national, municipal by municipality id)."""
    national = [
        Agency(name=name, slug=slug, kind=kind, level=AgencyLevel.NATIONAL, colour=COLOURS[n % len(COLOURS)])
        for n, (name, slug, kind) in enumerate(NATIONAL_AGENCIES)
    ]
    municipal = []
    for n, municipality in enumerate(municipalities):
        for kind, name in (
            (AgencyKind.LIBRARY, "Biblioteket"),
            (AgencyKind.CITIZEN_SERVICE, "Medborgarservice"),
        ):
            municipal.append(
                Agency(
                    name=f"{name} {municipality.name}", slug=f"{municipality.slug}-{kind.replace('_', '-')}",
                    kind=kind, level=AgencyLevel.MUNICIPAL, municipality=municipality,
                    colour=COLOURS[(n + len(municipal)) % len(COLOURS)],
                )
            )  # fmt: skip
    _missing(Agency, national + municipal)
    found = Agency.objects.filter(slug__in=[agency.slug for agency in national + municipal])
    by_municipality = {}
    for agency in found:
        if agency.level == AgencyLevel.MUNICIPAL:
            by_municipality.setdefault(agency.municipality_id, []).append(agency)
    return [agency for agency in found if agency.level == AgencyLevel.NATIONAL], by_municipality
