"""Lena, Mjölby's coordinator, cancels Easter week at the library in one
step instead of 21 clicks, and undoes it the same way; the occurrence list
opens at today, names the weekdays and filters by a date range. Karl, who
coordinates Kalmar, can neither see nor cancel Mjölby's sessions. Every
cancellation goes through the one cancel service and its signal."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from eserviceverkstad.i18n import format_long_date, format_weekday
from sessions.models import Occurrence, OccurrenceStatus, Weekday, wall_clock
from sessions.weeks import IsoWeek
from tests import factories
from tests.test_admin import OCCURRENCE_LIST_URL, make_coordinator
from tests.test_outside_series import Received, session_days

pytestmark = pytest.mark.django_db

PERIOD_URL = reverse("admin:schedule_occurrence_cancel_period")
REASON, REASON_EN = "Stängt under påskveckan", "Closed for Easter"


def easter_week():
    """The Monday to Sunday from the last Monday of March, which always
    runs into April (in 2027: 29 March–4 April, Easter Monday to the
    Sunday after), in the first year where all of it lies ahead."""
    year = timezone.localdate().year
    while True:
        end_of_march = datetime.date(year, 3, 31)
        monday = end_of_march - datetime.timedelta(days=end_of_march.weekday())
        if monday > timezone.localdate():
            return monday, monday + datetime.timedelta(days=6)
        year += 1


@pytest.fixture
def mjolby():
    town = factories.municipality("Mjölby")
    return {
        "town": town,
        "library": factories.venue(town, name="Mjölby bibliotek"),
        "other_venue": factories.venue(town, name="Medborgarkontoret"),
        "childcare": factories.agency("Barnomsorg", municipality=town),
        "budget": factories.agency("Budget- och skuldrådgivning", municipality=town),
    }


@pytest.fixture
def lena(mjolby):
    """Lena coordinates Mjölby's workshop."""
    return make_coordinator("lena.koordinator", mjolby["town"])


@pytest.fixture
def karl():
    """Karl coordinates Kalmar's."""
    town = factories.municipality("Kalmar")
    factories.venue(town, name="Kalmar stadsbibliotek")
    return make_coordinator("karl.koordinator", town)


@pytest.fixture
def week(mjolby):
    """Childcare on Tuesdays and Thursdays, budget advice on Wednesdays at
    the library, and childcare on Tuesdays at the citizens' office too."""
    today = timezone.localdate()
    series = [
        factories.slot(mjolby["childcare"], mjolby["library"], weekday=Weekday.TUESDAY, first_date=today),
        factories.slot(mjolby["childcare"], mjolby["library"], weekday=Weekday.THURSDAY, first_date=today),
        factories.slot(mjolby["budget"], mjolby["library"], weekday=Weekday.WEDNESDAY, first_date=today),
        factories.slot(mjolby["childcare"], mjolby["other_venue"], weekday=Weekday.TUESDAY, first_date=today),
    ]
    first, last = easter_week()
    in_week = Occurrence.objects.filter(date__range=(first, last))
    return {
        "first": first,
        "last": last,
        "library": list(in_week.filter(slot__venue=mjolby["library"]).order_by("starts_at")),
        "elsewhere": list(in_week.filter(slot__venue=mjolby["other_venue"])),
        "series": series,
    }


@pytest.fixture
def received():
    receiver = Received()
    yield receiver
    receiver.close()


def criteria(venue, first, last, mode="cancel", agencies=()):
    return {
        "mode": mode,
        "venue": str(venue.pk),
        "agencies": [str(agency.pk) for agency in agencies],
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
    }


def shown_sessions(client, query):
    page = client.get(PERIOD_URL, query)
    assert page.status_code == 200
    assert not page.context["criteria"].errors, page.context["criteria"].errors
    return page, [pk for pk, _label in page.context["sessions_form"].fields["sessions"].choices]


def statuses(occurrences):
    return {o.pk: Occurrence.objects.get(pk=o.pk).status for o in occurrences}


def test_lena_cancels_easter_week_across_two_months_in_one_post_and_residents_see_the_reason(
    client, lena, mjolby, week, received, django_capture_on_commit_callbacks
):
    first, last = week["first"], week["last"]
    assert first.month != last.month  # the old way needed two passes of the list
    client.force_login(lena)
    query = criteria(mjolby["library"], first, last)
    page, shown = shown_sessions(client, query)
    assert shown == [o.pk for o in week["library"]]
    assert len(shown) == 3  # Tuesday, Wednesday, Thursday; the other venue is not in it
    tuesday = week["library"][0].local_start.date()
    with translation.override("sv"):
        assert f"{format_weekday(tuesday)} {format_long_date(tuesday)}, 14.00–15.00" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PERIOD_URL, {**query, "sessions": shown, "reason": REASON, "reason_en": REASON_EN}
        )
    assert response.status_code == 302
    assert response.url.startswith(OCCURRENCE_LIST_URL)
    assert received.cancelled == [(shown, REASON, lena)]  # one signal for the whole period

    for occurrence in week["library"]:
        occurrence.refresh_from_db()
        assert (occurrence.status, occurrence.cancellation_reason, occurrence.cancellation_reason_en) == (
            OccurrenceStatus.CANCELLED,
            REASON,
            REASON_EN,
        )
        assert (occurrence.is_exception, occurrence.sequence) == (True, 1)
    assert set(statuses(week["elsewhere"]).values()) == {OccurrenceStatus.SCHEDULED}
    outside = Occurrence.objects.exclude(date__range=(first, last))
    assert not outside.filter(status=OccurrenceStatus.CANCELLED).exists()

    # The list it leads to shows that venue's period, with what was done.
    listed = client.get(response.url)
    assert set(listed.context["cl"].result_list) == set(week["library"])
    assert "3 tillfällen är inställda" in listed.content.decode()

    client.logout()  # the public week page, as residents see it
    week_url = f"/schedule/{IsoWeek.containing(first)}/"
    swedish = client.get(week_url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert swedish.count("entry-cancelled") >= 3 and REASON in swedish
    assert {o.local_start.date() for o in week["library"]} <= session_days(swedish)
    assert REASON_EN in client.get(week_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_undoing_the_period_lets_the_sessions_take_place_again(
    client, lena, mjolby, week, received, django_capture_on_commit_callbacks
):
    client.force_login(lena)
    cancel = criteria(mjolby["library"], week["first"], week["last"])
    _page, shown = shown_sessions(client, cancel)
    client.post(PERIOD_URL, {**cancel, "sessions": shown, "reason": REASON})

    undo = criteria(mjolby["library"], week["first"], week["last"], mode="undo")
    page, cancelled = shown_sessions(client, undo)
    assert cancelled == shown
    assert REASON in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(PERIOD_URL, {**undo, "sessions": cancelled}).status_code == 302
    assert received.uncancelled == [(shown, lena)]
    for occurrence in week["library"]:
        occurrence.refresh_from_db()
        assert (occurrence.status, occurrence.cancellation_reason) == (OccurrenceStatus.SCHEDULED, "")

    client.logout()
    page = client.get(f"/schedule/{IsoWeek.containing(week['first'])}/").content.decode()
    assert "entry-cancelled" not in page and REASON not in page


def test_choosing_an_agency_and_unticking_a_session_narrow_what_is_cancelled(client, lena, mjolby, week):
    client.force_login(lena)
    only_childcare = criteria(mjolby["library"], week["first"], week["last"], agencies=[mjolby["childcare"]])
    _page, shown = shown_sessions(client, only_childcare)
    childcare = [o for o in week["library"] if o.slot.agency_id == mjolby["childcare"].pk]
    assert shown == [o.pk for o in childcare]

    tuesday, thursday = childcare
    client.post(PERIOD_URL, {**only_childcare, "sessions": [thursday.pk], "reason": REASON})
    assert statuses(week["library"]) == {
        o.pk: OccurrenceStatus.CANCELLED if o == thursday else OccurrenceStatus.SCHEDULED
        for o in week["library"]
    }


def test_cancelling_a_period_needs_a_reason(client, lena, mjolby, week):
    client.force_login(lena)
    query = criteria(mjolby["library"], week["first"], week["last"])
    _page, shown = shown_sessions(client, query)
    response = client.post(PERIOD_URL, {**query, "sessions": shown, "reason": "  "})
    assert response.status_code == 200
    assert response.context["sessions_form"].errors["reason"]
    assert set(statuses(week["library"]).values()) == {OccurrenceStatus.SCHEDULED}


def test_karl_of_kalmar_can_neither_choose_nor_cancel_mjolby_venues(client, karl, mjolby, week):
    client.force_login(karl)
    form = client.get(PERIOD_URL).context["criteria"]
    assert [venue.name for venue in form.fields["venue"].queryset] == ["Kalmar stadsbibliotek"]
    assert mjolby["childcare"] not in form.fields["agencies"].queryset

    query = criteria(mjolby["library"], week["first"], week["last"])
    page = client.get(PERIOD_URL, query)
    assert "venue" in page.context["criteria"].errors
    assert page.context["sessions_form"] is None
    refused = client.post(
        PERIOD_URL, {**query, "sessions": [o.pk for o in week["library"]], "reason": "Hack"}
    )
    assert refused.status_code == 200
    assert "venue" in refused.context["criteria"].errors
    assert set(statuses(week["library"]).values()) == {OccurrenceStatus.SCHEDULED}


def test_a_session_of_another_venue_posted_into_the_list_is_refused(client, lena, mjolby, week):
    client.force_login(lena)
    query = criteria(mjolby["library"], week["first"], week["last"])
    _page, shown = shown_sessions(client, query)
    stranger = week["elsewhere"][0]
    response = client.post(PERIOD_URL, {**query, "sessions": [*shown, stranger.pk], "reason": REASON})
    assert response.status_code == 200
    assert response.context["sessions_form"].errors["sessions"]
    assert set(statuses(week["library"] + week["elsewhere"]).values()) == {OccurrenceStatus.SCHEDULED}


def hostile_cases():
    first, last = easter_week()
    iso = datetime.date.isoformat
    return {
        "dates reversed": ({"first_day": iso(last), "last_day": iso(first)}, "last_day", "före den första"),
        "more than a year": (
            {"last_day": iso(first + datetime.timedelta(days=400))},
            "last_day",
            "högst 366 dagar",
        ),
        "period over": (
            {"first_day": "2020-01-01", "last_day": "2020-01-07"},
            "last_day",
            "redan slut",
        ),
        "beyond the schedule": (
            {"first_day": "9999-12-25", "last_day": "9999-12-31"},
            "first_day",
            "fram till",
        ),
        "venue is letters": ({"venue": "abc"}, "venue", None),
        "venue too large": ({"venue": "99999999999999999999"}, "venue", None),
        "venue NUL": ({"venue": "\x00"}, "venue", None),
        "no venue": ({"venue": ""}, "venue", None),
        "agency junk": ({"agencies": ["1e9"]}, "agencies", None),
        "date junk": ({"first_day": "29 mars"}, "first_day", None),
        "date NUL": ({"last_day": "2027-04-04\x00"}, "last_day", None),
        "year too large": ({"last_day": "99999-01-01"}, "last_day", None),
        "mode junk": ({"mode": "delete"}, "mode", None),
    }


@pytest.mark.parametrize("case", list(hostile_cases()))
def test_hostile_input_gets_a_clear_message_and_changes_nothing(client, lena, mjolby, week, case):
    change, field, message = hostile_cases()[case]
    client.force_login(lena)
    query = {**criteria(mjolby["library"], week["first"], week["last"]), **change}
    page = client.get(PERIOD_URL, query)
    assert page.status_code == 200
    errors = page.context["criteria"].errors
    assert field in errors
    if message:
        assert message in " ".join(errors[field])
        assert message in page.content.decode()
    assert page.context["sessions_form"] is None

    ids = [o.pk for o in week["library"]]
    response = client.post(PERIOD_URL, {**query, "sessions": ids, "reason": REASON})
    assert response.status_code == 200
    assert field in response.context["criteria"].errors
    assert "errornote" in response.content.decode()
    assert not Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED).exists()


def test_hostile_session_ids_are_a_form_error(client, lena, mjolby, week):
    client.force_login(lena)
    query = criteria(mjolby["library"], week["first"], week["last"])
    for sessions in (["abc"], ["99999999999999999999"], ["\x00"], []):
        response = client.post(PERIOD_URL, {**query, "sessions": sessions, "reason": REASON})
        assert response.status_code == 200
        assert response.context["sessions_form"].errors["sessions"]
    assert not Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED).exists()


def test_people_without_the_right_to_change_occurrences_cannot_open_the_page(client, mjolby, week):
    client.force_login(get_user_model().objects.create_user("sofia.personal", password="x"))
    response = client.get(PERIOD_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))

    client.force_login(get_user_model().objects.create_user("utan.rattigheter", password="x", is_staff=True))
    assert client.get(PERIOD_URL).status_code == 403
    query = criteria(mjolby["library"], week["first"], week["last"])
    client.post(PERIOD_URL, {**query, "sessions": [o.pk for o in week["library"]], "reason": REASON})
    assert not Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED).exists()


def test_the_occurrence_list_and_the_admin_index_link_to_the_period_page(client, lena):
    client.force_login(lena)
    for url in (OCCURRENCE_LIST_URL, reverse("admin:index")):
        page = client.get(url).content.decode()
        assert f'href="{PERIOD_URL}"' in page
        assert "Ställ in tillfällen under en period" in page
        assert f'href="{PERIOD_URL}?mode=undo"' in page


# The occurrence list.


@pytest.fixture
def yesterday_and_coming(mjolby):
    """A Tuesday series from today, and one session yesterday (history)."""
    slot = factories.slot(
        mjolby["childcare"], mjolby["library"], weekday=Weekday.TUESDAY, first_date=timezone.localdate()
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    past = Occurrence.objects.create(
        slot=slot,
        date=yesterday,
        starts_at=wall_clock(yesterday, datetime.time(14)),
        ends_at=wall_clock(yesterday, datetime.time(15)),
    )
    return slot, past


def test_the_occurrence_list_opens_at_today_with_weekdays(client, lena, yesterday_and_coming):
    slot, past = yesterday_and_coming
    client.force_login(lena)
    page = client.get(OCCURRENCE_LIST_URL)
    shown = list(page.context["cl"].result_list)
    assert past not in shown
    assert shown and all(o.ends_at > timezone.now() for o in shown)
    first = shown[0].local_start.date()
    with translation.override("sv"):
        assert f"{format_weekday(first)} {format_long_date(first)}, 14.00–15.00" in page.content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page.content.decode()

    # "All dates" shows the past too; so does the date hierarchy.
    everything = client.get(OCCURRENCE_LIST_URL, {"starts_from": ""}).context["cl"].result_list
    assert past in everything
    by_year = client.get(OCCURRENCE_LIST_URL, {"starts_at__year": past.date.year}).context["cl"].result_list
    assert past in by_year


def test_the_occurrence_list_filters_by_a_date_range_including_the_last_day(client, lena, mjolby, week):
    client.force_login(lena)
    query = {"starts_from": week["first"].isoformat(), "starts_until": week["last"].isoformat()}
    shown = client.get(OCCURRENCE_LIST_URL, query).context["cl"].result_list
    assert set(shown) == set(week["library"] + week["elsewhere"])

    thursday = week["library"][-1].local_start.date()
    only_thursday = {"starts_from": thursday.isoformat(), "starts_until": thursday.isoformat()}
    shown = client.get(OCCURRENCE_LIST_URL, only_thursday).context["cl"].result_list
    assert list(shown) == [week["library"][-1]]


@pytest.mark.parametrize("series_count", [1, 3])
def test_the_occurrence_list_takes_a_fixed_number_of_queries(
    client, lena, mjolby, django_assert_num_queries, series_count
):
    for weekday in (Weekday.MONDAY, Weekday.WEDNESDAY, Weekday.FRIDAY)[:series_count]:
        factories.slot(
            mjolby["childcare"], mjolby["library"], weekday=weekday, first_date=timezone.localdate()
        )
    client.force_login(lena)
    # 1 session, 2 user, 3-4 her and her groups' permissions, 5 is she a
    # project lead (her scope), 6-9 the venue and agency filters with her
    # scope, 10-11 the counts, 12 the occurrences with series, agency and
    # venue, 13-14 the date hierarchy's bounds and years. The date range
    # and the weekdays cost none.
    with django_assert_num_queries(14):
        page = client.get(OCCURRENCE_LIST_URL)
    assert {o.slot_id for o in page.context["cl"].result_list} == set(
        Occurrence.objects.values_list("slot_id", flat=True)
    )


@pytest.mark.parametrize(
    "query",
    [
        {"starts_until": "9999-12-31"},
        {"starts_from": "0001-01-01"},
        {"starts_from": "2027-02-30"},
        {"starts_from": "2027-03-29\x00"},
        {"starts_from": "2027-04-04", "starts_until": "2027-03-29"},
    ],
)
def test_a_date_range_no_calendar_has_is_an_invalid_filter_or_an_empty_list(
    client, lena, yesterday_and_coming, query
):
    client.force_login(lena)
    response = client.get(OCCURRENCE_LIST_URL, query, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain in ([], [(f"{OCCURRENCE_LIST_URL}?e=1", 302)])
