"""A series edit that leaves hand-changed or referenced sessions outside the
series: the coordinator is taken to "Sessions outside the series" and
cancels, deletes or keeps each one, and nothing stays on the public
schedule without them having seen it. Every cancellation, whatever the
path, goes through the one cancel service and its signal."""

import datetime
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sessions.models import Occurrence, OccurrenceStatus, Weekday
from sessions.schedule import cancel_occurrences, occurrences_cancelled, occurrences_uncancelled
from sessions.weeks import IsoWeek
from tests import factories
from tests.test_admin import OCCURRENCE_LIST_URL, change_url, form_data, inline_row, make_coordinator
from visitors.models import Visit

pytestmark = pytest.mark.django_db

SLOT_LIST_URL = reverse("admin:schedule_staffedslot_changelist")


def outside_url(slot):
    return reverse("admin:schedule_staffedslot_outside_series", args=[slot.pk])


def week_url(day):
    return f"/schedule/{IsoWeek.containing(day)}/"


def session_days(page):
    """The days of the sessions a public week page shows."""
    return {datetime.date.fromisoformat(day) for day in re.findall(r'datetime="(\d{4}-\d\d-\d\d)T', page)}


@pytest.fixture
def lena(mjolby):
    """Lena coordinates Mjölby's workshop."""
    return make_coordinator("lena.koordinator", mjolby["town"])


@pytest.fixture
def mjolby():
    town = factories.municipality("Mjölby")
    return {
        "town": town,
        "venue": factories.venue(town, name="Mjölby bibliotek"),
        "agency": factories.agency("Barnomsorg", municipality=town),
    }


@pytest.fixture
def mondays(mjolby):
    """Childcare on Mondays 14–15 from today on, and the Monday of next
    week (every day of that week lies ahead)."""
    slot = factories.slot(
        mjolby["agency"], mjolby["venue"], weekday=Weekday.MONDAY, first_date=timezone.localdate()
    )
    monday = IsoWeek.containing(timezone.localdate()).next().monday
    return slot, slot.occurrences.get(date=monday)


def change_room_in_the_inline(client, slot, occurrence, room="Sagorummet"):
    data = form_data(client.get(change_url(slot)))
    data[f"{inline_row(data, occurrence)}-room"] = [room]
    assert client.post(change_url(slot), data).status_code == 302


def move_series(client, slot, weekday):
    data = form_data(client.get(change_url(slot)))
    data["weekday"] = [str(weekday)]
    return client.post(change_url(slot), data)


def decide(client, slot, occurrence, decision, reason="", reason_en=""):
    prefix = f"occurrence-{occurrence.pk}"
    data = {f"{prefix}-decision": decision, f"{prefix}-reason": reason, f"{prefix}-reason_en": reason_en}
    return client.post(outside_url(slot), data)


@pytest.fixture
def left_behind(client, lena, mondays):
    """Lena changes next Monday's room, then moves the series to Tuesdays:
    the changed Monday is left behind."""
    slot, monday = mondays
    client.force_login(lena)
    change_room_in_the_inline(client, slot, monday)
    response = move_series(client, slot, Weekday.TUESDAY)
    assert response.status_code == 302
    assert response.url == outside_url(slot)
    return slot, monday


def test_moving_the_series_lists_the_changed_monday_and_warns_until_it_is_decided(client, left_behind):
    slot, monday = left_behind
    tuesday = monday.date + datetime.timedelta(days=1)
    # Before the coordinator decides, residents would see both days.
    assert {monday.date, tuesday} <= session_days(client.get(week_url(monday.date)).content.decode())

    page = client.get(outside_url(slot))
    assert page.status_code == 200
    forms = page.context["decision_forms"]
    assert [form.occurrence for form in forms] == [monday]
    assert f'name="occurrence-{monday.pk}-decision"' in page.content.decode()
    assert "Sagorummet" in page.content.decode()

    # Navigating away does not lose it: the series pages keep warning.
    for url in (SLOT_LIST_URL, change_url(slot)):
        assert outside_url(slot) in client.get(url).content.decode()


def test_cancelling_the_left_behind_monday_shows_it_cancelled_with_its_reason(client, left_behind):
    slot, monday = left_behind
    response = decide(client, slot, monday, "cancel", "Tiden flyttad till tisdag", "Moved to Tuesday")
    assert response.status_code == 302

    monday.refresh_from_db()
    assert monday.status == OccurrenceStatus.CANCELLED
    assert (monday.cancellation_reason, monday.cancellation_reason_en) == (
        "Tiden flyttad till tisdag",
        "Moved to Tuesday",
    )
    client.logout()  # the public page, as residents see it
    swedish = client.get(week_url(monday.date), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert monday.date in session_days(swedish)
    assert "entry-cancelled" in swedish and "Tiden flyttad till tisdag" in swedish
    english = client.get(week_url(monday.date), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Moved to Tuesday" in english


def test_decided_sessions_leave_the_list_and_the_warning_ends(client, left_behind):
    slot, monday = left_behind
    decide(client, slot, monday, "keep")
    assert client.get(outside_url(slot)).context["decision_forms"] == []
    for url in (SLOT_LIST_URL, change_url(slot)):
        assert outside_url(slot) not in client.get(url).content.decode()


def test_cancelling_needs_a_reason(client, left_behind):
    slot, monday = left_behind
    response = decide(client, slot, monday, "cancel", "  ")
    assert response.status_code == 200
    assert response.context["decision_forms"][0].errors["reason"]
    monday.refresh_from_db()
    assert monday.status == OccurrenceStatus.SCHEDULED


def test_deleting_the_left_behind_monday_removes_it_from_the_schedule(client, left_behind):
    slot, monday = left_behind
    assert decide(client, slot, monday, "delete").status_code == 302
    assert not Occurrence.objects.filter(pk=monday.pk).exists()
    client.logout()
    days = session_days(client.get(week_url(monday.date)).content.decode())
    assert monday.date not in days
    assert monday.date + datetime.timedelta(days=1) in days


def test_a_session_a_visit_points_at_cannot_be_deleted_only_cancelled_or_kept(client, lena, mondays):
    slot, monday = mondays
    Visit.objects.create(
        occurrence=monday, agency=slot.agency, venue=slot.venue, logged_by=lena, duration_minutes=10,
        started_at=monday.starts_at, submission_key=uuid.uuid4(),
    )  # fmt: skip
    client.force_login(lena)
    assert move_series(client, slot, Weekday.TUESDAY).url == outside_url(slot)

    page = client.get(outside_url(slot))
    choices = [value for value, _label in page.context["decision_forms"][0].fields["decision"].choices]
    assert choices == ["cancel", "keep"]

    refused = decide(client, slot, monday, "delete")
    assert refused.status_code == 200
    assert refused.context["decision_forms"][0].errors["decision"]
    assert Occurrence.objects.filter(pk=monday.pk).exists()


def test_a_session_that_became_referenced_since_the_page_was_shown_is_not_deleted(client, lena, left_behind):
    slot, monday = left_behind
    page = client.get(outside_url(slot))
    assert "delete" in dict(page.context["decision_forms"][0].fields["decision"].choices)
    Visit.objects.create(
        occurrence=monday, agency=slot.agency, venue=slot.venue, logged_by=lena, duration_minutes=10,
        started_at=monday.starts_at, submission_key=uuid.uuid4(),
    )  # fmt: skip
    decide(client, slot, monday, "delete")
    assert Occurrence.objects.filter(pk=monday.pk).exists()


def test_keeping_leaves_it_on_the_schedule_and_a_later_edit_asks_again(client, lena, left_behind):
    slot, monday = left_behind
    assert decide(client, slot, monday, "keep").status_code == 302
    monday.refresh_from_db()
    assert (monday.status, monday.kept_outside_series) == (OccurrenceStatus.SCHEDULED, True)
    client.logout()
    assert monday.date in session_days(client.get(week_url(monday.date)).content.decode())

    # Back to Mondays: the date is part of the series again ...
    client.force_login(lena)
    assert move_series(client, slot, Weekday.MONDAY).status_code == 302
    monday.refresh_from_db()
    assert not monday.kept_outside_series
    # ... and moving away again asks again.
    assert move_series(client, slot, Weekday.WEDNESDAY).url == outside_url(slot)


def test_a_coordinator_of_another_municipality_gets_a_404(client, left_behind):
    slot, monday = left_behind
    client.force_login(make_coordinator("koordinator.kalmar", factories.municipality("Kalmar")))
    assert client.get(outside_url(slot)).status_code == 404
    assert decide(client, slot, monday, "delete").status_code == 404
    assert Occurrence.objects.filter(pk=monday.pk).exists()
    assert outside_url(slot) not in client.get(SLOT_LIST_URL).content.decode()


def test_staff_without_admin_rights_cannot_open_the_page(client, left_behind):
    slot, _monday = left_behind
    client.force_login(get_user_model().objects.create_user("sofia.personal", password="x"))
    response = client.get(outside_url(slot))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("series_count", [1, 3])
def test_the_series_list_warns_in_a_fixed_number_of_queries(
    client, lena, mjolby, django_assert_num_queries, series_count
):
    for weekday in (Weekday.MONDAY, Weekday.WEDNESDAY, Weekday.FRIDAY)[:series_count]:
        slot = factories.slot(
            mjolby["agency"], mjolby["venue"], weekday=weekday, first_date=timezone.localdate()
        )
        Occurrence.objects.filter(slot=slot).update(is_exception=True)
        slot.weekday += 1
        slot.save()
    client.force_login(lena)
    # 1 session, 2 user, 3 is she a project lead (her scope), 4 the waiting
    # occurrences of her series with series, agency and venue (the one
    # query this page adds), 5-6 her and her groups' permissions, 7-11 the
    # venue and agency filters with her scope, 12-13 the counts, 14 the
    # series with agency and venue.
    with django_assert_num_queries(14):
        page = client.get(SLOT_LIST_URL)
    assert page.content.decode().count("/outside-series/") == series_count


class Received:
    """A receiver on the cancel service's signals, recording what came."""

    def __init__(self):
        self.cancelled, self.uncancelled = [], []
        occurrences_cancelled.connect(self.on_cancelled)
        occurrences_uncancelled.connect(self.on_uncancelled)

    def on_cancelled(self, sender, occurrence_ids, reason, reason_en, by, **kwargs):
        self.cancelled.append((occurrence_ids, reason, by))

    def on_uncancelled(self, sender, occurrence_ids, by, **kwargs):
        self.uncancelled.append((occurrence_ids, by))

    def close(self):
        occurrences_cancelled.disconnect(self.on_cancelled)
        occurrences_uncancelled.disconnect(self.on_uncancelled)


@pytest.fixture
def received():
    receiver = Received()
    yield receiver
    receiver.close()


def test_the_orphan_page_cancels_through_the_service(
    client, lena, left_behind, received, django_capture_on_commit_callbacks
):
    slot, monday = left_behind
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, slot, monday, "cancel", "Flyttad")
    assert received.cancelled == [([monday.pk], "Flyttad", lena)]


def test_the_cancel_action_cancels_through_the_service(
    client, lena, mondays, received, django_capture_on_commit_callbacks
):
    slot, monday = mondays
    client.force_login(lena)
    confirm = {"action": "cancel_selected", "_selected_action": [monday.pk], "apply": "yes", "reason": "Påsk"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(OCCURRENCE_LIST_URL, confirm).status_code == 302
    assert received.cancelled == [([monday.pk], "Påsk", lena)]


def test_a_status_changed_in_the_series_inline_goes_through_the_service_both_ways(
    client, lena, mondays, received, django_capture_on_commit_callbacks
):
    slot, monday = mondays
    client.force_login(lena)
    data = form_data(client.get(change_url(slot)))
    row = inline_row(data, monday)
    data[f"{row}-status"], data[f"{row}-cancellation_reason"] = ["cancelled"], ["Personalen är sjuk"]
    data[f"{row}-room"] = ["Hörsalen"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(slot), data).status_code == 302
    assert received.cancelled == [([monday.pk], "Personalen är sjuk", lena)]
    monday.refresh_from_db()
    assert (monday.status, monday.room, monday.is_exception) == (OccurrenceStatus.CANCELLED, "Hörsalen", True)
    assert monday.sequence == 2  # the room, then the status: calendar clients see both

    data = form_data(client.get(change_url(slot)))
    data[f"{inline_row(data, monday)}-status"] = ["scheduled"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(slot), data).status_code == 302
    assert received.uncancelled == [([monday.pk], lena)]
    monday.refresh_from_db()
    assert (monday.status, monday.cancellation_reason) == (OccurrenceStatus.SCHEDULED, "")


def test_a_status_changed_in_the_occurrence_form_goes_through_the_service(
    client, lena, mondays, received, django_capture_on_commit_callbacks
):
    _slot, monday = mondays
    client.force_login(lena)
    url = reverse("admin:schedule_occurrence_change", args=[monday.pk])
    data = form_data(client.get(url), form_id="occurrence_form")
    data["status"], data["cancellation_reason"] = ["cancelled"], ["Stängt"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    assert received.cancelled == [([monday.pk], "Stängt", lena)]
    monday.refresh_from_db()
    assert (monday.status, monday.sequence) == (OccurrenceStatus.CANCELLED, 1)


def test_no_signal_when_the_transaction_rolls_back(received, mondays, django_capture_on_commit_callbacks):
    _slot, monday = mondays
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        cancel_occurrences([monday], "Stängt")
        raise RuntimeError
    assert (callbacks, received.cancelled) == ([], [])
    monday.refresh_from_db()
    assert monday.status == OccurrenceStatus.SCHEDULED


def test_a_room_changed_in_the_same_save_that_moves_the_series_is_left_behind_not_lost(client, lena, mondays):
    slot, monday = mondays
    client.force_login(lena)
    data = form_data(client.get(change_url(slot)))
    data[f"{inline_row(data, monday)}-room"] = ["Sagorummet"]
    data["weekday"] = [str(Weekday.TUESDAY)]
    response = client.post(change_url(slot), data)
    assert response.status_code == 302
    assert response.url == outside_url(slot)
    monday.refresh_from_db()
    assert (monday.room, monday.is_exception) == ("Sagorummet", True)
    assert slot.occurrences.filter(date=monday.date + datetime.timedelta(days=1)).exists()
