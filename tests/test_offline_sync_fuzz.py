"""Arbitrary visits thrown at the offline queue's JSON endpoint, as a
tablet would send them after hours offline, some more than once: never a
500, never a partial save (a visit without its audit entry, or half its
topics), never a second visit for a key, and always JSON a script can read.

The data are the log form fuzzer's (tests/test_visit_form_fuzz.py): valid
visits, some with fields replaced by junk; a share of them is sent again
with the same one-time key, the way a lost response makes the queue resend."""

import datetime
import uuid

from django.contrib.auth.models import User
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import Membership, Role
from tests import factories
from tests.test_visit_form_fuzz import _is_uuid, mutations, valid_visit
from visitors.models import Visit, VisitChange

SYNC = "/staff/visits/sync/"


def last_value(value):
    # A list is sent as repeated values, and the form reads the last.
    return str(value[-1] if isinstance(value, list) and value else value)


class OfflineSyncFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        town = factories.municipality("Mjölby")
        childcare = factories.agency("Barnomsorg", municipality=town)
        library = factories.venue(town)
        today = timezone.localdate()
        slot = factories.slot(
            childcare, library, weekday=today.weekday(), first_date=today,
            start_time=datetime.time(0), end_time=datetime.time(23, 59),
        )  # fmt: skip
        cls.world = {
            "agency": childcare.pk,
            "venue": library.pk,
            "occurrence": slot.occurrences.get(date=today).pk,
            "topic": factories.topic().pk,
        }
        cls.sofia = User.objects.create_user("sofia", password="x")
        Membership.objects.create(user=cls.sofia, role=Role.STAFF, agency=childcare)

    def test_arbitrary_visits_sent_and_resent_never_error_half_save_or_duplicate(self):
        self.client.force_login(self.sofia)
        outcomes = []

        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
        @given(valid_visit(self.world), mutations, st.integers(0, 2), st.integers(1, 3))
        def post(valid, junk_fields, mutate, sends):
            valid = {**valid, "submission_key": str(uuid.uuid4())}
            data = {**valid, **junk_fields} if mutate == 0 else valid
            key = last_value(data.get("submission_key"))
            known = Visit.objects.filter(submission_key__in=[key] if _is_uuid(key) else []).exists()
            before = Visit.objects.count()
            for attempt in range(sends):
                response = self.client.post(SYNC, data, HTTP_ACCEPT="application/json")
                assert response.status_code in (200, 201, 400), response.status_code
                assert response["Content-Type"] == "application/json"
                body = response.json()
                visits = Visit.objects.count()
                assert VisitChange.objects.filter(action=VisitChange.Action.CREATED).count() == visits
                if response.status_code == 400:
                    assert body["error"] == "invalid" and body["errors"]
                    assert visits == before
                    outcomes.append("refused")
                    continue
                first = attempt == 0 and not known
                assert response.status_code == (201 if first else 200), (attempt, known)
                assert visits == before + (0 if known else 1)
                if not known:
                    saved = Visit.objects.get(submission_key=key)
                    topics = data["topics"] if isinstance(data["topics"], list) else [data["topics"]]
                    stored = saved.topics.values_list("pk", flat=True)
                    assert sorted(map(str, stored)) == sorted(map(str, topics))
                outcomes.append("created" if first else "already saved")

        post()
        # Every path must be exercised, or the checks above prove little.
        for outcome in ("created", "already saved", "refused"):
            assert outcomes.count(outcome) >= 5, (outcome, outcomes)
