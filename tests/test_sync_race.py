"""A visit logged while the coordinator's series edit re-syncs the series:
the save succeeds and the occurrence the visit points at is kept.

Real threads on a real PostgreSQL, each with its own connection: thread B
logs the visit and commits at the worst moment of thread A's sync, which a
patched step holds open until B is done. Each race has a control run with
the unprotected code and the same interleaving, which must fail, so the
interleaving is shown to hit the race every time. SQLite has no row locks
and one writer at a time: B would wait for A, which waits for B, so these
tests run on PostgreSQL only (tests/with_postgres.py)."""

import contextlib
import datetime
import threading
import uuid

import pytest
from django.db import IntegrityError, connection
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils import timezone

from sessions import schedule
from sessions.models import Occurrence, Weekday
from tests import factories
from tests.test_admin import change_url, form_data
from visitors.models import Visit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers and row locks: run with tests/with_postgres.py",
    ),
]

WAIT = 20  # seconds; only reached when something is broken


@pytest.fixture
def mondays(admin_user):
    """Childcare on Mondays from next week on, and a staff member at the desk."""
    town = factories.municipality("Mjölby")
    today = timezone.localdate()
    next_monday = today + datetime.timedelta(days=7 - today.weekday())
    slot = factories.slot(
        factories.agency("Barnomsorg", municipality=town),
        factories.venue(town),
        weekday=Weekday.MONDAY,
        first_date=next_monday,
    )
    return slot, slot.occurrences.get(date=next_monday)


class VisitLoggedMeanwhile:
    """Thread B: waits until thread A reaches the patched step, logs a visit
    at ``occurrence`` in its own connection (autocommit: committed at once),
    and lets A go on."""

    def __init__(self, occurrence, staff):
        self.occurrence, self.staff = occurrence, staff
        self.a_paused, self.b_done = threading.Event(), threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._log_visit)

    def _log_visit(self):
        try:
            assert self.a_paused.wait(WAIT), "thread A never reached the patched step"
            slot = self.occurrence.slot
            Visit.objects.create(
                occurrence=self.occurrence, agency=slot.agency, venue=slot.venue, logged_by=self.staff,
                started_at=self.occurrence.starts_at, duration_minutes=15, submission_key=uuid.uuid4(),
            )  # fmt: skip
        except Exception as error:  # reported by finish(), in the test's thread
            self.error = error
        finally:
            self.b_done.set()
            connection.close()

    def pause_a_here(self):
        """Called in thread A at the worst moment: B logs its visit now."""
        if not self.a_paused.is_set():
            self.a_paused.set()
            assert self.b_done.wait(WAIT), "thread B did not finish"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.a_paused.set()  # never leave B waiting, whatever A did
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        if self.error is not None and exc[0] is None:
            raise self.error


def moved_to_tuesday(client, slot):
    """The series form as the coordinator posts it, moved to Tuesdays."""
    data = form_data(client.get(change_url(slot)))
    data["weekday"] = [str(Weekday.TUESDAY)]
    return data


def pause_after_the_reference_check(monkeypatch, race, occurrence):
    real = schedule.referenced_occurrence_ids

    def checked_then_paused(ids):
        found = real(ids)
        if occurrence.pk in ids:
            race.pause_a_here()
        return found

    monkeypatch.setattr(schedule, "referenced_occurrence_ids", checked_then_paused)


def pause_between_protect_check_and_delete(monkeypatch, race):
    """Django's delete collects the rows (and checks PROTECT) first, then
    deletes: pause in between, where no Python check can help."""
    real = Collector.delete

    def paused_then_deleted(collector):
        if Occurrence in collector.data:
            race.pause_a_here()
        return real(collector)

    monkeypatch.setattr(Collector, "delete", paused_then_deleted)


def assert_kept_with_its_visit(response, occurrence):
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.is_exception
    assert occurrence.visits.count() == 1
    # The rest of the series moved to Tuesday.
    slot = occurrence.slot
    assert slot.occurrences.filter(date=occurrence.date + datetime.timedelta(days=1)).exists()
    assert not slot.occurrences.filter(date=occurrence.date + datetime.timedelta(days=7)).exists()


def test_visit_committed_after_the_reference_check_keeps_its_occurrence(
    admin_client, admin_user, mondays, monkeypatch
):
    slot, monday = mondays
    data = moved_to_tuesday(admin_client, slot)
    with VisitLoggedMeanwhile(monday, admin_user) as race:
        pause_after_the_reference_check(monkeypatch, race, monday)
        response = admin_client.post(change_url(slot), data)
    assert_kept_with_its_visit(response, monday)


def test_control_the_old_check_then_delete_order_fails_with_the_same_interleaving(
    admin_client, admin_user, mondays, monkeypatch
):
    def check_then_delete(occurrences):
        """What sync_occurrences did before the fix."""
        ids = [o.pk for o in occurrences]
        referenced = schedule.referenced_occurrence_ids(ids)
        deleted, _by_model = Occurrence.objects.filter(
            pk__in=[pk for pk in ids if pk not in referenced]
        ).delete()
        return deleted, [o for o in occurrences if o.pk in referenced]

    slot, monday = mondays
    data = moved_to_tuesday(admin_client, slot)
    monkeypatch.setattr(schedule, "delete_unreferenced_occurrences", check_then_delete)
    with VisitLoggedMeanwhile(monday, admin_user) as race, pytest.raises(ProtectedError):
        pause_after_the_reference_check(monkeypatch, race, monday)
        admin_client.post(change_url(slot), data)
    assert Occurrence.objects.filter(pk=monday.pk).exists()  # rolled back


def test_visit_committed_between_djangos_protect_check_and_the_delete_keeps_its_occurrence(
    admin_client, admin_user, mondays, monkeypatch
):
    slot, monday = mondays
    data = moved_to_tuesday(admin_client, slot)
    with VisitLoggedMeanwhile(monday, admin_user) as race:
        pause_between_protect_check_and_delete(monkeypatch, race)
        response = admin_client.post(change_url(slot), data)
    assert_kept_with_its_visit(response, monday)


def test_control_without_immediate_foreign_key_checks_the_save_fails_at_commit(
    admin_client, admin_user, mondays, monkeypatch
):
    slot, monday = mondays
    data = moved_to_tuesday(admin_client, slot)
    monkeypatch.setattr(schedule, "_foreign_keys_checked_at_once", contextlib.nullcontext)
    with VisitLoggedMeanwhile(monday, admin_user) as race, pytest.raises(IntegrityError):
        pause_between_protect_check_and_delete(monkeypatch, race)
        admin_client.post(change_url(slot), data)
    assert Occurrence.objects.filter(pk=monday.pk).exists()
