"""Lena adds series over Christmas: the admin warns about the sessions on
Swedish public holidays (Julafton and Juldagen, not every Sunday) and
cancels them in one click with the holiday's name as the reason. It also
warns when a drop-in series has no topics for staff to tally."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import OccurrenceStatus, StaffedSlot, Weekday
from sessions.public_holidays import Holiday, holiday_on
from tests import factories
from tests.test_admin import ADD_URL, change_url, make_coordinator, new_series_data
from tests.test_outside_series import Received

pytestmark = pytest.mark.django_db


def christmas_year():
    """2026 while its Christmas lies ahead (Julafton on a Thursday,
    Juldagen on a Friday), else the next year's."""
    today = timezone.localdate()
    return today.year if datetime.date(today.year, 12, 20) > today else today.year + 1


def holidays_url(slot):
    return reverse("admin:schedule_staffedslot_holidays", args=[slot.pk])


@pytest.fixture
def mjolby():
    town = factories.municipality("Mjölby")
    return {
        "town": town,
        "venue": factories.venue(town, name="Mjölby bibliotek"),
        "agency": factories.agency("Barnomsorg", municipality=town),
        "topic": factories.topic("Förskoleplats"),
    }


@pytest.fixture
def lena(client, mjolby):
    """Lena coordinates Mjölby's workshop, and is logged in."""
    user = make_coordinator("lena.koordinator", mjolby["town"])
    client.force_login(user)
    return user


@pytest.fixture
def received():
    receiver = Received()
    yield receiver
    receiver.close()


def add_series(client, mjolby, weekday, first, last, **overrides):
    data = new_series_data(
        mjolby["agency"],
        mjolby["venue"],
        weekday=weekday,
        first_date=first.isoformat(),
        last_date=last.isoformat(),
        start_time="14:00",
        end_time="15:00",
        topics=[mjolby["topic"].pk],
        **overrides,
    )
    response = client.post(ADD_URL, data, follow=True)
    assert response.status_code == 200
    assert not response.context.get("adminform"), response.context["adminform"].form.errors
    return StaffedSlot.objects.get(weekday=weekday), [str(m) for m in response.context["messages"]]


def test_the_calendar_knows_the_days_off_but_not_ordinary_sundays():
    year = christmas_year()
    assert holiday_on(datetime.date(year, 12, 24)) == Holiday("Julafton", "Christmas Eve")
    assert holiday_on(datetime.date(year, 12, 25)) == Holiday("Juldagen", "Christmas Day")
    assert holiday_on(datetime.date(year, 12, 31)) == Holiday("Nyårsafton", "New Year's Eve")
    assert holiday_on(datetime.date(2027, 6, 25)) == Holiday("Midsommarafton", "Midsummer Eve")
    assert holiday_on(datetime.date(2027, 1, 6)).name == "Trettondedag jul"
    sundays = [datetime.date(2027, 1, 3) + datetime.timedelta(weeks=n) for n in range(52)]
    assert {day: holiday_on(day).name for day in sundays if holiday_on(day)} == {
        datetime.date(2027, 3, 28): "Påskdagen",
        datetime.date(2027, 5, 16): "Pingstdagen",
        datetime.date(2027, 6, 6): "Nationaldagen",
        datetime.date(2027, 12, 26): "Annandag jul",
    }
    # Skärtorsdagen and Valborgsmässoafton are half days for banks, not days off.
    assert holiday_on(datetime.date(2027, 3, 25)) is None
    assert holiday_on(datetime.date(2027, 4, 30)) is None


def test_a_new_thursday_and_friday_series_over_christmas_lists_julafton_and_juldagen(client, lena, mjolby):
    year = christmas_year()
    eve, day = datetime.date(year, 12, 24), datetime.date(year, 12, 25)
    first, last = datetime.date(year, 12, 1), datetime.date(year, 12, 27)
    first = max(first, timezone.localdate())

    thursdays, messages = add_series(client, mjolby, eve.weekday(), first, last)
    warnings = [m for m in messages if "helgdag" in m]
    assert len(warnings) == 1
    assert "Julafton" in warnings[0] and f"24 december {year}" in warnings[0]
    assert holidays_url(thursdays) in warnings[0]

    fridays, messages = add_series(client, mjolby, day.weekday(), first, last)
    warnings = [m for m in messages if "helgdag" in m]
    assert len(warnings) == 1 and "Juldagen" in warnings[0] and "Julafton" not in warnings[0]

    page = client.get(change_url(thursdays)).content.decode()
    assert 'id="holiday-sessions"' in page and "Julafton" in page
    assert f'action="{holidays_url(thursdays)}"' in page


def test_a_sunday_series_is_not_flagged_for_every_sunday(client, lena, mjolby):
    year = christmas_year()
    first = max(datetime.date(year, 12, 1), timezone.localdate())
    last = datetime.date(year + 1, 2, 28)
    sundays, messages = add_series(client, mjolby, Weekday.SUNDAY, first, last)
    assert sundays.occurrences.count() > 8
    assert not [m for m in messages if "helgdag" in m]
    assert 'id="holiday-sessions"' not in client.get(change_url(sundays)).content.decode()


def test_one_click_cancels_them_with_the_holidays_names_as_reasons(
    client, lena, mjolby, received, django_capture_on_commit_callbacks
):
    year = christmas_year()
    eve = datetime.date(year, 12, 24)
    first = max(datetime.date(year, 12, 1), timezone.localdate())
    thursdays, _messages = add_series(client, mjolby, eve.weekday(), first, datetime.date(year, 12, 31))
    # The button on the series page posts every listed session.
    page = client.get(change_url(thursdays))
    listed = [occurrence.pk for occurrence, _holiday in page.context["holiday_sessions"]]
    assert len(listed) == 2  # Julafton and Nyårsafton

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(holidays_url(thursdays), {"sessions": listed})
    assert response.status_code == 302 and response.url == change_url(thursdays)

    on_eve = thursdays.occurrences.get(date=eve)
    on_new_years_eve = thursdays.occurrences.get(date=datetime.date(year, 12, 31))
    assert (on_eve.status, on_eve.cancellation_reason, on_eve.cancellation_reason_en) == (
        OccurrenceStatus.CANCELLED,
        "Julafton",
        "Christmas Eve",
    )
    assert (on_new_years_eve.cancellation_reason, on_new_years_eve.cancellation_reason_en) == (
        "Nyårsafton",
        "New Year's Eve",
    )
    assert not thursdays.occurrences.exclude(pk__in=listed).filter(status=OccurrenceStatus.CANCELLED).exists()
    # Through the cancel service, once per holiday (each has its own reason).
    assert sorted(received.cancelled, key=lambda call: call[1]) == [
        ([on_eve.pk], "Julafton", lena),
        ([on_new_years_eve.pk], "Nyårsafton", lena),
    ]
    # Cancelled, they are no longer flagged.
    assert not client.get(change_url(thursdays)).context["holiday_sessions"]

    client.logout()
    week = client.get(f"/schedule/{eve.isocalendar().year}-W{eve.isocalendar().week:02d}/").content.decode()
    assert "entry-cancelled" in week and "Julafton" in week


def test_the_holiday_page_lets_her_untick_one_and_refuses_junk(client, lena, mjolby):
    year = christmas_year()
    eve = datetime.date(year, 12, 24)
    first = max(datetime.date(year, 12, 1), timezone.localdate())
    thursdays, _messages = add_series(client, mjolby, eve.weekday(), first, datetime.date(year, 12, 31))
    page = client.get(holidays_url(thursdays))
    assert page.status_code == 200
    choices = page.context["form"].fields["sessions"].choices
    assert [label.split("(")[-1] for _pk, label in choices] == ["Julafton)", "Nyårsafton)"]

    for junk in (["abc"], ["99999999999999999999"], ["\x00"], []):
        refused = client.post(holidays_url(thursdays), {"sessions": junk})
        assert refused.status_code == 200 and refused.context["form"].errors["sessions"]
    assert not thursdays.occurrences.filter(status=OccurrenceStatus.CANCELLED).exists()

    on_eve = thursdays.occurrences.get(date=eve)
    assert client.post(holidays_url(thursdays), {"sessions": [on_eve.pk]}).status_code == 302
    assert list(thursdays.occurrences.filter(status=OccurrenceStatus.CANCELLED)) == [on_eve]


def test_another_municipalitys_coordinator_gets_a_404(client, lena, mjolby):
    year = christmas_year()
    eve = datetime.date(year, 12, 24)
    first = max(datetime.date(year, 12, 1), timezone.localdate())
    thursdays, _messages = add_series(client, mjolby, eve.weekday(), first, datetime.date(year, 12, 31))
    client.force_login(make_coordinator("karl.koordinator", factories.municipality("Kalmar")))
    assert client.get(holidays_url(thursdays)).status_code == 404
    ids = list(thursdays.occurrences.values_list("pk", flat=True))
    assert client.post(holidays_url(thursdays), {"sessions": ids}).status_code == 404
    assert not thursdays.occurrences.filter(status=OccurrenceStatus.CANCELLED).exists()


@pytest.mark.parametrize("object_id", ["99999999999999999999", "abc", "%00", "-1"])
def test_the_holiday_page_with_an_id_that_is_no_id_is_not_found(admin_client, object_id):
    response = admin_client.get(reverse("admin:schedule_staffedslot_holidays", args=[object_id]), follow=True)
    assert response.status_code in (200, 404)
    assert response.redirect_chain in ([], [(reverse("admin:index"), 302)])


# Topics for tally mode.


def test_a_drop_in_series_without_topics_gets_a_warning_after_saving_and_on_its_page(client, lena, mjolby):
    today = timezone.localdate()
    data = new_series_data(mjolby["agency"], mjolby["venue"], first_date=today.isoformat())
    response = client.post(ADD_URL, data, follow=True)
    warnings = [str(m) for m in response.context["messages"] if "inga ämnen" in str(m)]
    assert len(warnings) == 1 and "Annat ämne" in warnings[0]
    slot = StaffedSlot.objects.get()
    page = client.get(change_url(slot))
    assert any("inga ämnen" in str(m) for m in page.context["messages"])

    slot.topics.add(mjolby["topic"])
    page = client.get(change_url(slot))
    assert not any("inga ämnen" in str(m) for m in page.context["messages"])


def test_a_lecture_without_topics_gets_no_topic_warning(client, lena, mjolby):
    today = timezone.localdate()
    data = new_series_data(mjolby["agency"], mjolby["venue"], first_date=today.isoformat(), format="lecture")
    response = client.post(ADD_URL, data, follow=True)
    assert not [m for m in response.context["messages"] if "inga ämnen" in str(m)]
