"""Arbitrary form data thrown at the visit log: never a 500, never a
partial save (a visit without its audit entry, or half its topics).

The data are valid log forms, some of them with fields replaced by junk or
left out, so that both paths run: refusals that save nothing, and saves
that store the whole visit. The test asserts that both happened."""

import datetime
import uuid

from django.contrib.auth.models import User
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import Membership, Role
from sessions.models import OFFERED_LANGUAGES, wall_clock
from tests import factories
from visitors.forms import QUICK_DURATIONS
from visitors.models import AgeBand, Device, FirstVisit, Mode, Outcome, Visit, VisitChange

FIELDS = [
    "submission_key", "occurrence", "duration", "duration_other", "topics", "eservices", "outcome",
    "referred_to", "mode", "people", "started_at", "language", "first_visit", "device", "age_band",
    "note", "agency", "venue",
]  # fmt: skip

junk = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "15",
            "other",
            "solved",
            "referred",
            "sv",
            "9" * 30,
            "2099-01-01T10:00",
            "6f1c1f3e-1111-4b4b-9c9c-000000000001",
            "\x00",
            "nan",
            "1e9",
        ]
    ),  # fmt: skip
)
mutations = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(junk, st.lists(junk, max_size=3)), max_size=len(FIELDS)
)


def values(choices, *extra):
    return st.sampled_from([*extra, *(value for value, _label in choices.choices)])


@st.composite
def valid_visit(draw, world):
    """A log form a member of staff could really send."""
    # A share of the time since midnight, so the strategy does not depend
    # on the clock (hypothesis replays examples).
    now = timezone.localtime()
    since_midnight = now - wall_clock(now.date(), datetime.time())
    started = now - since_midnight * draw(st.floats(0, 1))
    data = {
        "started_at": started.strftime("%Y-%m-%dT%H:%M"),
        "topics": draw(st.sampled_from([[], [world["topic"]]])),
        "mode": draw(values(Mode)),
        "people": str(draw(st.integers(1, 500))),
        "language": draw(st.sampled_from(OFFERED_LANGUAGES)),
        "first_visit": draw(values(FirstVisit)),
        "device": draw(values(Device, "")),
        "age_band": draw(values(AgeBand, "")),
        "note": draw(st.sampled_from(["", "Visade webbläsarens översättning", "Ring 070-123 45 67"])),
        "outcome": draw(values(Outcome)),
    }
    if data["outcome"] == Outcome.REFERRED:
        data["referred_to"] = world["agency"]
    duration = draw(st.sampled_from([*map(str, QUICK_DURATIONS), "other"]))
    data["duration"] = duration
    if duration == "other":
        data["duration_other"] = str(draw(st.integers(1, 480)))
    if draw(st.booleans()):
        data["occurrence"] = world["occurrence"]
    else:
        data.update(agency=world["agency"], venue=world["venue"])
    return data


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class VisitFormFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        town = factories.municipality("Mjölby")
        childcare = factories.agency("Barnomsorg", municipality=town)
        library = factories.venue(town)
        today = timezone.localdate()
        slot = factories.slot(
            childcare,
            library,
            weekday=today.weekday(),
            first_date=today,
            start_time=datetime.time(0),
            end_time=datetime.time(23, 59),
        )
        cls.world = {
            "agency": childcare.pk,
            "venue": library.pk,
            "occurrence": slot.occurrences.get(date=today).pk,
            "topic": factories.topic().pk,
        }
        cls.sofia = User.objects.create_user("sofia", password="x")
        Membership.objects.create(user=cls.sofia, role=Role.STAFF, agency=childcare)

    def test_arbitrary_data_never_errors_and_never_half_saves(self):
        self.client.force_login(self.sofia)
        statuses = []

        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
        @given(valid_visit(self.world), mutations, st.integers(0, 2))
        def post(valid, junk_fields, mutate):
            # A new one-time key, as a fresh form would carry (junk may replace it).
            valid = {**valid, "submission_key": str(uuid.uuid4())}
            data = {**valid, **junk_fields} if mutate == 0 else valid
            before = Visit.objects.count()
            key = data.get("submission_key")
            # A list is sent as repeated values, and the form reads the last.
            key = str(key[-1] if isinstance(key, list) and key else key)
            resubmitted = Visit.objects.filter(submission_key__in=[v for v in [key] if _is_uuid(v)]).exists()
            response = self.client.post("/staff/visits/new/", data)
            statuses.append(response.status_code)
            assert response.status_code in (200, 302)
            visits = Visit.objects.count()
            assert VisitChange.objects.filter(action=VisitChange.Action.CREATED).count() == visits
            if response.status_code == 200:
                assert visits == before
                return
            # Saved, or the same one-time key again: then nothing new.
            assert visits == before + (0 if resubmitted else 1)
            if not resubmitted:
                statuses.append("saved")
                saved = Visit.objects.get(submission_key=key)
                assert sorted(saved.topics.values_list("pk", flat=True)) == sorted(data["topics"])

        post()
        # The strategy must exercise both paths, or the checks above prove little.
        assert statuses.count("saved") >= 10, statuses
        assert statuses.count(200) >= 10, statuses
