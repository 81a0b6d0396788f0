"""Arbitrary form data thrown at the visit log: never a 500, never a
partial save (a visit without its audit entry, or half its topics)."""

import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from agencies.models import Membership, Role
from tests import factories
from visitors.models import Visit, VisitChange

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
    ),
)
form_data = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(junk, st.lists(junk, max_size=3)), max_size=len(FIELDS)
)


class VisitFormFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        town = factories.municipality("Mjölby")
        childcare = factories.agency("Barnomsorg", municipality=town)
        today = timezone.localdate()
        factories.slot(
            childcare,
            factories.venue(town),
            weekday=today.weekday(),
            first_date=today,
            start_time=datetime.time(0),
            end_time=datetime.time(23, 59),
        )
        factories.topic()
        cls.sofia = User.objects.create_user("sofia", password="x")
        Membership.objects.create(user=cls.sofia, role=Role.STAFF, agency=childcare)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(form_data)
    def test_arbitrary_data_never_errors_and_never_half_saves(self, data):
        self.client.force_login(self.sofia)
        response = self.client.post("/staff/visits/new/", data)
        assert response.status_code in (200, 302)
        visits = Visit.objects.count()
        assert VisitChange.objects.filter(action=VisitChange.Action.CREATED).count() == visits
        if response.status_code == 200:
            assert visits == 0
