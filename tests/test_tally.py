"""Tally mode: tap per topic during a busy drop-in hour, keep the counts
across reloads, save them as visits of the occurrence."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from agencies.models import Membership, Role
from sessions.models import wall_clock
from tests import factories
from visitors.models import TallyCount, TallyTap, Visit, VisitChange
from visitors.services import save_tally, tap

pytestmark = pytest.mark.django_db


def save(client, occurrence, language="sv"):
    data = {"duration": "10", "outcome": "solved", "language": language}
    return client.post(f"/staff/tally/{occurrence.pk}/save/", data)


@pytest.fixture
def busy_hour():
    town = factories.municipality("Mjölby")
    library = factories.agency("Mjölby bibliotek", municipality=town)
    bankid, tax = factories.topic("BankID", slug="bankid"), factories.topic("Deklaration", slug="deklaration")
    today = timezone.localdate()
    slot = factories.slot(
        library,
        factories.venue(town),
        weekday=today.weekday(),
        first_date=today,
        start_time=datetime.time(0),
        end_time=datetime.time(23, 59),
        topics=[bankid, tax],
    )
    staff = User.objects.create_user("maja", password="x")
    Membership.objects.create(user=staff, role=Role.STAFF, agency=library)
    return slot.occurrences.get(date=today), staff, bankid, tax


def test_taps_count_per_topic_and_survive_a_reload(client, busy_hour):
    occurrence, staff, bankid, tax = busy_hour
    client.force_login(staff)
    tap_url = f"/staff/tally/{occurrence.pk}/tap/"
    for topic in [bankid.pk, bankid.pk, tax.pk, "other"]:
        assert client.post(tap_url, {"topic": topic}).status_code == 302
    client.post(tap_url, {"topic": tax.pk, "step": "-1"})
    client.post(tap_url, {"topic": tax.pk, "step": "-1"})  # never below zero
    page = client.get(f"/staff/tally/{occurrence.pk}/")
    assert page.context["total"] == 3
    assert dict((topic.slug, count) for topic, count in page.context["counters"]) == {
        "bankid": 2,
        "deklaration": 0,
    }


def test_saving_the_tally_makes_one_visit_per_tap_and_clears_it(client, busy_hour):
    occurrence, staff, bankid, tax = busy_hour
    client.force_login(staff)
    for topic in [bankid.pk, bankid.pk, tax.pk, "other"]:
        client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": topic})
    response = client.post(
        f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved", "language": "sv"}
    )
    assert response.status_code == 302
    visits = Visit.objects.filter(occurrence=occurrence)
    assert visits.count() == 4
    assert visits.filter(topics=bankid).count() == 2
    assert set(visits.values_list("duration_minutes", "logged_by__username")) == {(10, "maja")}
    assert VisitChange.objects.count() == 4
    assert not TallyCount.objects.exists()
    # A second submit finds nothing left to save.
    client.post(
        f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved", "language": "sv"}
    )
    assert visits.count() == 4


@pytest.mark.parametrize("topic", ["999999", "99999999999999999999", "x", ""])
def test_a_tap_on_an_unknown_counter_is_a_404_and_counts_nothing(client, busy_hour, topic):
    occurrence, staff, *_ = busy_hour
    client.force_login(staff)
    assert client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": topic}).status_code == 404
    assert not TallyCount.objects.exists()


def test_a_bad_save_form_saves_nothing(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    client.force_login(staff)
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(f"/staff/tally/{occurrence.pk}/save/", {"duration": "0", "outcome": "solved"})
    assert not Visit.objects.exists()
    assert TallyCount.objects.get().count == 1


def test_a_tally_opens_half_an_hour_before_the_session_and_never_starts_visits_in_the_future(
    client, busy_hour
):
    occurrence, staff, bankid, _tax = busy_hour
    client.force_login(staff)
    later = timezone.now() + datetime.timedelta(hours=2)
    occurrence.starts_at, occurrence.ends_at = later, later + datetime.timedelta(hours=1)
    occurrence.save()
    assert client.get(f"/staff/tally/{occurrence.pk}/").status_code == 404
    assert f"/staff/tally/{occurrence.pk}/" not in client.get("/staff/").content.decode()
    soon = timezone.now() + datetime.timedelta(minutes=20)
    occurrence.starts_at, occurrence.ends_at = soon, soon + datetime.timedelta(hours=1)
    occurrence.save()
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(
        f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved", "language": "sv"}
    )
    visit = Visit.objects.get()
    assert visit.started_at <= timezone.now()
    visit.full_clean()  # within the occurrence, give or take the margin


def test_each_tallied_visit_starts_when_its_tap_happened(busy_hour):
    """A three-hour drop-in: taps at 14:10, 15:20 and 16:40 make visits at
    those times, not three at 14:00; a −1 takes back the latest tap; a tap
    counted after the end stays within the session."""
    occurrence, staff, bankid, tax = busy_hour
    day = occurrence.local_start.date()
    occurrence.starts_at, occurrence.ends_at = (wall_clock(day, datetime.time(h)) for h in (14, 17))
    occurrence.save()
    at = {clock: wall_clock(day, datetime.time(*clock)) for clock in [(14, 10), (15, 20), (16, 40), (16, 50)]}
    tap(occurrence, staff, bankid, +1, now=at[14, 10])
    tap(occurrence, staff, tax, +1, now=at[15, 20])
    tap(occurrence, staff, bankid, +1, now=at[16, 40])
    tap(occurrence, staff, bankid, +1, now=at[16, 50])
    tap(occurrence, staff, bankid, -1, now=at[16, 50])
    tap(occurrence, staff, None, +1, now=wall_clock(day, datetime.time(18)))
    saved = save_tally(
        occurrence,
        staff,
        duration=10,
        outcome="solved",
        mode="drop_in",
        now=wall_clock(day, datetime.time(18, 5)),
    )
    assert saved == 4
    starts = sorted(
        (timezone.localtime(v.started_at).strftime("%H:%M"), [t.slug for t in v.topics.all()])
        for v in Visit.objects.filter(occurrence=occurrence)
    )
    assert starts == [("14:10", ["bankid"]), ("15:20", ["deklaration"]), ("16:40", ["bankid"]), ("17:00", [])]
    assert not TallyTap.objects.exists()


def test_the_count_is_read_out_as_text_not_an_aria_label_on_a_span(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    client.force_login(staff)
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    page = client.get(f"/staff/tally/{occurrence.pk}/").content.decode()
    assert '<span class="tally-count" aria-label' not in page
    assert re.search(r'<span class="visually-hidden">Antal för BankID: </span>\s*1</span>', page)


def test_tally_mode_saves_the_language_used_with_the_sessions_languages_first(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    occurrence.slot.languages = "ar,sv"
    occurrence.slot.save()
    client.force_login(staff)
    page = client.get(f"/staff/tally/{occurrence.pk}/")
    assert [code for code, _label in page.context["form"].fields["language"].choices] == ["ar", "sv", "en"]
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(
        f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved", "language": "ar"}
    )
    assert Visit.objects.get().language == "ar"


def test_a_tally_saved_in_a_language_the_session_does_not_offer_saves_nothing(client, busy_hour):
    occurrence, staff, bankid, _tax = busy_hour
    client.force_login(staff)
    client.post(f"/staff/tally/{occurrence.pk}/tap/", {"topic": bankid.pk})
    client.post(
        f"/staff/tally/{occurrence.pk}/save/", {"duration": "10", "outcome": "solved", "language": "xx"}
    )
    assert not Visit.objects.exists()
