"""A hand-built month with exactly known statistics: November 2026 in
Mjölby and Kalmar. Every figure the tests expect is worked out by hand in
EXPECTED below, from the visits listed in ``build()``.

Series (the occurrences are made by hand: the sync only makes future ones)
- childcare: Barnomsorg Mjölby at Mjölby bibliotek, Thursdays 14-15:
  5, 12, 19 (cancelled) and 26 November: 3 staffed hours.
- tax_mjolby: Skatteverket at Mjölby bibliotek, 2nd Tuesday 10-12:
  10 November: 2 staffed hours.
- tax_kalmar: Skatteverket at Kalmar stadsbibliotek, Mondays 13:00-14:30:
  2, 9, 16, 23, 30 November: 7.5 staffed hours.
"""

import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.models import User

from agencies.models import AgencyKind, AgencyLevel, EService, Membership, Role
from sessions.models import Occurrence, OccurrenceStatus, Recurrence, wall_clock
from tests import factories
from visitors.models import Visit

NOVEMBER = (2026, 11)
D = Decimal


class World:
    """The fixture's objects by name: ``world.agencies["tax"]`` etc."""

    def __init__(self):
        self.municipalities, self.venues, self.agencies, self.topics = {}, {}, {}, {}
        self.eservices, self.series, self.occurrences, self.users, self.visits = {}, {}, {}, {}, {}


def at(day, hour, minute=0):
    """Stockholm wall-clock time on a November 2026 day (or a full date)."""
    if isinstance(day, int):
        day = datetime.date(2026, 11, day)
    return wall_clock(day, datetime.time(hour, minute))


def _occurrence(series, day, cancelled=False):
    date = datetime.date(2026, 11, day)
    return Occurrence.objects.create(
        slot=series,
        date=date,
        starts_at=wall_clock(date, series.start_time),
        ends_at=wall_clock(date, series.end_time),
        status=OccurrenceStatus.CANCELLED if cancelled else OccurrenceStatus.SCHEDULED,
        cancellation_reason="Sjuk" if cancelled else "",
    )


def visit(world, name, started_at, agency, venue, occurrence=None, topics=(), eservices=(), **fields):
    made = Visit.objects.create(
        occurrence=world.occurrences[occurrence] if occurrence else None,
        agency=world.agencies[agency],
        venue=world.venues[venue],
        logged_by=world.users["logger"],
        started_at=started_at,
        duration_minutes=fields.pop("duration_minutes", 15),
        referred_to=world.agencies[fields.pop("referred_to")] if "referred_to" in fields else None,
        submission_key=uuid.uuid4(),
        **fields,
    )
    made.topics.set([world.topics[t] for t in topics])
    made.eservices.set([world.eservices[e] for e in eservices])
    world.visits[name] = made
    return made


def _places(world):
    mjolby = factories.municipality("Mjölby", slug="mjolby")
    kalmar = factories.municipality("Kalmar", slug="kalmar")
    world.municipalities = {"mjolby": mjolby, "kalmar": kalmar}
    world.venues = {
        "mjolby": factories.venue(mjolby, name="Mjölby bibliotek", slug="mjolby-bibliotek"),
        "kalmar": factories.venue(kalmar, name="Kalmar stadsbibliotek", slug="kalmar-bibliotek"),
    }
    world.agencies = {
        "childcare": factories.agency(
            "Barnomsorg Mjölby", name_en="Childcare Mjölby", slug="barnomsorg", municipality=mjolby
        ),
        "tax": factories.agency(
            "Skatteverket", name_en="Swedish Tax Agency", slug="skatteverket",
            kind=AgencyKind.TAX_AGENCY, level=AgencyLevel.NATIONAL,
        ),
        "kalmar_service": factories.agency(
            "Kalmar medborgarservice", name_en="Kalmar citizen service", slug="kalmar-service",
            kind=AgencyKind.CITIZEN_SERVICE, municipality=kalmar,
        ),
    }  # fmt: skip
    world.topics = {
        "preschool": factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats"),
        "tax": factories.topic("Deklaration", name_en="Tax return", slug="deklaration"),
        "bankid": factories.topic("BankID", name_en="BankID", slug="bankid"),
    }
    world.eservices = {
        "apply_preschool": EService.objects.create(
            agency=world.agencies["childcare"], name="Ansök om förskoleplats",
            name_en="Apply for a preschool place", slug="ansok-forskoleplats",
        ),
        "declare": EService.objects.create(
            agency=world.agencies["tax"], name="Deklarera", name_en="File your tax return", slug="deklarera"
        ),
    }  # fmt: skip


def _schedule(world):
    agencies, venues = world.agencies, world.venues
    world.series = {
        "childcare": factories.slot(agencies["childcare"], venues["mjolby"], weekday=3,
                                    start_time=datetime.time(14), end_time=datetime.time(15),
                                    first_date=datetime.date(2026, 11, 5)),
        "tax_mjolby": factories.slot(agencies["tax"], venues["mjolby"], weekday=1,
                                     recurrence=Recurrence.MONTHLY, week_of_month=2,
                                     start_time=datetime.time(10), end_time=datetime.time(12),
                                     first_date=datetime.date(2026, 11, 10)),
        "tax_kalmar": factories.slot(agencies["tax"], venues["kalmar"], weekday=0,
                                     start_time=datetime.time(13), end_time=datetime.time(14, 30),
                                     first_date=datetime.date(2026, 11, 2)),
    }  # fmt: skip
    world.occurrences = {
        "childcare_5": _occurrence(world.series["childcare"], 5),
        "childcare_12": _occurrence(world.series["childcare"], 12),
        "childcare_19": _occurrence(world.series["childcare"], 19, cancelled=True),
        "childcare_26": _occurrence(world.series["childcare"], 26),
        "tax_mjolby_10": _occurrence(world.series["tax_mjolby"], 10),
    }
    for day in (2, 9, 16, 23, 30):
        world.occurrences[f"tax_kalmar_{day}"] = _occurrence(world.series["tax_kalmar"], day)


def _users(world):
    def user(name, role=None, **scope):
        made = User.objects.create_user(name, password="rätt-lösenord-123", first_name=name.title())
        if role:
            Membership.objects.create(user=made, role=role, **scope)
        world.users[name] = made
        return made

    user("logger")
    user("anna", Role.PROJECT_LEAD)  # project lead: everything
    user("lena", Role.COORDINATOR, municipality=world.municipalities["mjolby"])
    user("karin", Role.COORDINATOR, municipality=world.municipalities["kalmar"])
    user("sofia", Role.STAFF, agency=world.agencies["childcare"])
    user("sam", Role.STAFF, agency=world.agencies["tax"])
    user("olle")  # no role


def _visits(world):
    mj = {"agency": "childcare", "venue": "mjolby"}
    v = world
    visit(
        v,
        "V1",
        at(5, 14, 5),
        occurrence="childcare_5",
        topics=["preschool"],
        eservices=["apply_preschool"],
        language="en",
        first_visit="yes",
        device="own_phone",
        age_band="20-39",
        **mj,
    )
    visit(
        v,
        "V2",
        at(5, 14, 20),
        occurrence="childcare_5",
        topics=["preschool", "bankid"],
        people=2,
        outcome="referred",
        referred_to="tax",
        first_visit="yes",
        device="library_computer",
        age_band="40-64",
        **mj,
    )
    visit(
        v,
        "V3",
        at(12, 14, 10),
        occurrence="childcare_12",
        topics=["preschool"],
        outcome="partly_solved",
        language="ar",
        first_visit="no",
        device="own_phone",
        age_band="20-39",
        **mj,
    )
    visit(v, "V4", at(26, 14), occurrence="childcare_26", **mj)
    tm = {"agency": "tax", "venue": "mjolby", "occurrence": "tax_mjolby_10"}
    visit(
        v,
        "V5",
        at(10, 10),
        topics=["tax"],
        eservices=["declare"],
        first_visit="no",
        device="own_phone",
        age_band="65-79",
        **tm,
    )
    visit(v, "V6", at(10, 10, 30), topics=["tax", "bankid"], device="library_tablet", age_band="65-79", **tm)
    visit(
        v, "V7", at(10, 11), topics=["tax"], outcome="referred", referred_to="childcare", age_band="80+", **tm
    )
    visit(v, "V8", at(10, 11, 15), topics=["bankid"], outcome="not_solved", **tm)
    visit(v, "V9", at(10, 11, 30), topics=["tax"], outcome="follow_up", language="en", **tm)
    visit(v, "V10", at(10, 11, 45), topics=["tax"], people=3, **tm)
    visit(v, "V11", at(30, 16, 30), topics=["bankid"], mode="phone", **mj)
    visit(v, "V12", at(1, 10, 15), agency="tax", venue="mjolby", mode="other")
    tk = {"agency": "tax", "venue": "kalmar"}
    visit(v, "V13", at(2, 13, 10), occurrence="tax_kalmar_2", topics=["tax"], **tk)
    visit(v, "V14", at(9, 13, 20), occurrence="tax_kalmar_9", topics=["tax"], **tk)
    visit(
        v,
        "V15",
        at(30, 14, 10),
        occurrence="tax_kalmar_30",
        topics=["bankid"],
        outcome="referred",
        referred_to="kalmar_service",
        **tk,
    )
    visit(v, "V16", at(17, 9, 30), agency="kalmar_service", venue="kalmar", topics=["bankid"])
    # Outside November: October (the period before) and November 2025 (a year earlier).
    visit(v, "V17", at(datetime.date(2026, 10, 20), 10), **mj)
    visit(v, "V18", at(datetime.date(2026, 12, 1), 0, 10), **mj)
    visit(v, "V19", at(datetime.date(2025, 11, 15), 10), people=2, **mj)  # fmt: skip


def build():
    world = World()
    _places(world)
    _schedule(world)
    _users(world)
    _visits(world)
    return world


# Worked out by hand from the visits above: {row key: (visits, people)}.
EXPECTED = {
    "agency": {"barnomsorg": (5, 6), "skatteverket": (10, 12), "kalmar-service": (1, 1), "total": (16, 19)},
    "topic": {
        "forskoleplats": (3, 4), "bankid": (6, 7), "deklaration": (7, 9), "none": (2, 2), "total": (18, 22),
    },
    "eservice": {"ansok-forskoleplats": (1, 1), "deklarera": (1, 1), "none": (14, 17), "total": (16, 19)},
    "outcome": {
        "solved": (10, 12), "partly_solved": (1, 1), "referred": (3, 4), "follow_up": (1, 1),
        "not_solved": (1, 1), "total": (16, 19),
    },
    "mode": {"drop_in": (14, 17), "phone": (1, 1), "other": (1, 1), "total": (16, 19)},
    "language": {"sv": (13, 16), "en": (2, 2), "ar": (1, 1), "total": (16, 19)},
    "device": {
        "own_phone": (3, 3), "library_computer": (1, 2), "library_tablet": (1, 1), "none": (11, 13),
        "total": (16, 19),
    },
    "age_band": {
        "20-39": (2, 2), "40-64": (1, 2), "65-79": (2, 2), "80+": (1, 1), "none": (10, 12), "total": (16, 19),
    },
    "first_visit": {"yes": (2, 3), "no": (2, 2), "unknown": (12, 14), "total": (16, 19)},
}  # fmt: skip

# {series: (hours, sessions, visits, visits per staffed hour)}, weakest first.
EXPECTED_SERIES = [
    ("tax_kalmar", D("7.50"), 5, 3, D("0.40")),
    ("childcare", D("3.00"), 3, 4, D("1.33")),
    ("tax_mjolby", D("2.00"), 1, 6, D("3.00")),
]
EXPECTED_AGENCY_STAFFED = [
    ("skatteverket", D("9.50"), 6, 9, D("0.95")),
    ("barnomsorg", D("3.00"), 3, 4, D("1.33")),
]
EXPECTED_OUTSIDE = 3  # V11, V12, V16
EXPECTED_STAFFED_TOTAL = (D("12.50"), 9, 16, D("1.04"))  # 13 visits at staffed times / 12.5 hours

# {(ISO weekday, hour): visits}; every other cell is 0.
EXPECTED_HEATMAP = {
    (1, 13): 2,
    (1, 14): 1,
    (1, 16): 1,
    (2, 9): 1,
    (2, 10): 2,
    (2, 11): 4,
    (4, 14): 4,
    (7, 10): 1,
}
# {(agency, ISO weekday, hour): staffed hours}
EXPECTED_SCHEDULED = {
    ("barnomsorg", 4, 14): D("3.00"),
    ("skatteverket", 2, 10): D("1.00"),
    ("skatteverket", 2, 11): D("1.00"),
    ("skatteverket", 1, 13): D("5.00"),
    ("skatteverket", 1, 14): D("2.50"),
}
# {(from, to): visits}, by agency slug.
EXPECTED_REFERRALS = {
    ("barnomsorg", "skatteverket"): 1,
    ("skatteverket", "barnomsorg"): 1,
    ("skatteverket", "kalmar-service"): 1,
}
