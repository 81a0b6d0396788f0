"""The coordinators' admin: series with their rules, occurrence exceptions,
the Easter-week cancel action, and each coordinator seeing only their own
municipality."""

import datetime
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from agencies.models import Membership, Role
from agencies.permissions import COORDINATORS_GROUP, ensure_role_groups, municipalities_for
from eserviceverkstad.i18n import format_long_date
from sessions.models import Occurrence, OccurrenceStatus, StaffedSlot, Weekday
from tests import factories

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:schedule_staffedslot_add")
SLOT_LIST_URL = reverse("admin:schedule_staffedslot_changelist")
OCCURRENCE_LIST_URL = reverse("admin:schedule_occurrence_changelist")


def change_url(slot):
    return reverse("admin:schedule_staffedslot_change", args=[slot.pk])


def next_weekday(weekday, after=None):
    day = (after or timezone.localdate()) + datetime.timedelta(days=1)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


class FormFields(HTMLParser):
    """The values a browser would submit from one form of a page, so a test
    can change a field or two and post the rest unchanged."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select = None
        self.textarea = None
        self.data = defaultdict(list)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif self.inside:
            self._field(tag, attrs)

    def _field(self, tag, attrs):
        name = attrs.get("name")
        if tag == "input" and name and self._submitted(attrs):
            self.data[name].append(attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else ""))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.data[name].append("")

    @staticmethod
    def _submitted(attrs):
        kind = attrs.get("type", "text")
        if kind in ("checkbox", "radio"):
            return "checked" in attrs
        return kind not in ("submit", "button", "file", "reset")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data.removeprefix("\n")


def form_data(response, form_id="staffedslot_form"):
    assert response.status_code == 200
    parser = FormFields(form_id)
    parser.feed(response.content.decode())
    return dict(parser.data)


def inline_row(data, occurrence):
    """The prefix of ``occurrence``'s row in the series' inline, e.g. 'occurrences-3'."""
    for name, values in data.items():
        if name.startswith("occurrences-") and name.endswith("-id") and values == [str(occurrence.pk)]:
            return name.removesuffix("-id")
    raise AssertionError(f"{occurrence} is not in the inline")


def new_series_data(agency, venue, **overrides):
    data = {
        "agency": agency.pk,
        "venue": venue.pk,
        "format": "drop_in",
        "title_sv": "",
        "title_en": "",
        "recurrence": "weekly",
        "weekday": Weekday.TUESDAY,
        "interval": 1,
        "week_of_month": "",
        "start_time": "10:00",
        "end_time": "12:00",
        "first_date": timezone.localdate().isoformat(),
        "last_date": "",
        "languages": ["sv", "en"],
        "capacity": "",
        "note_sv": "",
        "note_en": "",
        "_save": "Save",
    }
    return {**data, **overrides}


def make_coordinator(username, town):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    Membership.objects.create(user=user, role=Role.COORDINATOR, municipality=town)
    user.groups.add(ensure_role_groups()[COORDINATORS_GROUP])
    return user


@pytest.fixture
def mjolby():
    town = factories.municipality("Mjölby")
    return {
        "town": town,
        "venue": factories.venue(town, name="Mjölby bibliotek"),
        "agency": factories.agency("Utbildningsförvaltningen – barnomsorg", municipality=town),
    }


@pytest.fixture
def kalmar():
    town = factories.municipality("Kalmar")
    return {
        "town": town,
        "venue": factories.venue(town, name="Kalmar stadsbibliotek"),
        "agency": factories.agency("Kalmar stadsbibliotek", municipality=town),
    }


@pytest.fixture
def tuesdays(mjolby):
    """Study counsellor hours: Tuesdays 10–12 from today on."""
    return factories.slot(
        mjolby["agency"],
        mjolby["venue"],
        weekday=Weekday.TUESDAY,
        start_time=datetime.time(10),
        end_time=datetime.time(12),
        first_date=timezone.localdate(),
    )


def test_adding_a_series_stores_checked_languages_as_codes_and_creates_its_occurrences(admin_client, mjolby):
    data = new_series_data(mjolby["agency"], mjolby["venue"], languages=["sv", "en", "ar"])
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    slot = StaffedSlot.objects.get()
    assert slot.languages == "sv,en,ar"
    assert slot.occurrences.filter(date__gte=timezone.localdate()).count() > 50


def test_add_form_refuses_an_overlapping_series_and_saves_nothing(admin_client, mjolby, tuesdays):
    data = new_series_data(mjolby["agency"], mjolby["venue"], start_time="11:00", end_time="13:00")
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [error.code for error in form.errors.as_data()["__all__"]] == ["overlap"]
    assert "errornote" in response.content.decode()
    assert StaffedSlot.objects.count() == 1


def test_series_ending_before_it_starts_gets_a_message_on_the_end_time_and_saves_nothing(
    admin_client, mjolby
):
    data = new_series_data(mjolby["agency"], mjolby["venue"], start_time="12:00", end_time="10:00")
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert "end_time" in response.context["adminform"].form.errors
    assert not StaffedSlot.objects.exists()
    assert not Occurrence.objects.exists()


def test_series_with_last_date_before_first_date_gets_a_message_and_saves_nothing(admin_client, mjolby):
    today = timezone.localdate()
    data = new_series_data(
        mjolby["agency"], mjolby["venue"], last_date=(today - datetime.timedelta(days=7)).isoformat()
    )
    response = admin_client.post(ADD_URL, data)
    assert "last_date" in response.context["adminform"].form.errors
    assert not StaffedSlot.objects.exists()


def test_monthly_series_without_which_weekday_gets_a_message_on_that_field(admin_client, mjolby):
    data = new_series_data(mjolby["agency"], mjolby["venue"], recurrence="monthly")
    response = admin_client.post(ADD_URL, data)
    assert "week_of_month" in response.context["adminform"].form.errors
    assert not StaffedSlot.objects.exists()


def test_change_page_previews_the_next_dates_and_the_add_page_explains_why_it_cannot(admin_client, tuesdays):
    first = next_weekday(Weekday.TUESDAY, after=timezone.localdate() - datetime.timedelta(days=1))
    with translation.override("sv"):
        expected = format_long_date(first)
    assert expected in admin_client.get(change_url(tuesdays)).content.decode()
    add_page = admin_client.get(ADD_URL)
    assert add_page.status_code == 200
    assert "occurrences-TOTAL_FORMS" not in add_page.content.decode()


def test_editing_an_occurrence_inline_makes_it_an_exception_that_survives_a_series_time_change(
    admin_client, tuesdays
):
    edited, other = tuesdays.occurrences.order_by("date")[:2]
    data = form_data(admin_client.get(change_url(tuesdays)))
    row = inline_row(data, edited)
    data[f"{row}-starts_at_1"] = ["11:00"]
    data[f"{row}-ends_at_1"] = ["13:00"]
    assert admin_client.post(change_url(tuesdays), data).status_code == 302

    edited.refresh_from_db()
    assert edited.is_exception
    assert edited.sequence == 1
    assert edited.local_start.time() == datetime.time(11)
    other.refresh_from_db()
    assert (other.is_exception, other.sequence) == (False, 0)

    data = form_data(admin_client.get(change_url(tuesdays)))
    data["start_time"], data["end_time"] = ["14:00"], ["16:00"]
    assert admin_client.post(change_url(tuesdays), data).status_code == 302

    edited.refresh_from_db()
    assert (edited.local_start.time(), edited.local_end.time()) == (datetime.time(11), datetime.time(13))
    assert edited.sequence == 1
    other.refresh_from_db()
    assert (other.local_start.time(), other.local_end.time()) == (datetime.time(14), datetime.time(16))
    assert other.sequence == 1


def test_saving_a_series_without_touching_its_occurrences_changes_none_of_them(admin_client, tuesdays):
    data = form_data(admin_client.get(change_url(tuesdays)))
    assert admin_client.post(change_url(tuesdays), data).status_code == 302
    assert not tuesdays.occurrences.filter(is_exception=True).exists()
    assert not tuesdays.occurrences.filter(sequence__gt=0).exists()


def test_cancelling_an_occurrence_inline_needs_a_reason(admin_client, tuesdays):
    occurrence = tuesdays.occurrences.order_by("date").first()
    data = form_data(admin_client.get(change_url(tuesdays)))
    data[f"{inline_row(data, occurrence)}-status"] = [OccurrenceStatus.CANCELLED]
    response = admin_client.post(change_url(tuesdays), data)
    assert response.status_code == 200
    occurrence.refresh_from_db()
    assert occurrence.status == OccurrenceStatus.SCHEDULED


def test_cancel_action_asks_for_a_reason_then_cancels_the_selected_occurrences(admin_client, tuesdays):
    easter, after_easter = tuesdays.occurrences.order_by("date")[:2]
    selection = {"action": "cancel_selected", "_selected_action": [easter.pk], "index": 0}
    page = admin_client.post(OCCURRENCE_LIST_URL, selection)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    confirm = {"action": "cancel_selected", "_selected_action": [easter.pk], "apply": "yes"}
    without_reason = admin_client.post(OCCURRENCE_LIST_URL, {**confirm, "reason": ""})
    assert without_reason.status_code == 200
    assert without_reason.context["form"].errors
    easter.refresh_from_db()
    assert easter.status == OccurrenceStatus.SCHEDULED

    done = admin_client.post(OCCURRENCE_LIST_URL, {**confirm, "reason": "Stängt under påskveckan"})
    assert done.status_code == 302
    easter.refresh_from_db()
    assert easter.status == OccurrenceStatus.CANCELLED
    assert easter.cancellation_reason == "Stängt under påskveckan"
    assert (easter.is_exception, easter.sequence) == (True, 1)
    after_easter.refresh_from_db()
    assert after_easter.status == OccurrenceStatus.SCHEDULED


def test_occurrence_admin_edit_marks_an_exception_only_when_something_changed(admin_client, tuesdays):
    occurrence = tuesdays.occurrences.order_by("date").first()
    url = reverse("admin:schedule_occurrence_change", args=[occurrence.pk])
    data = form_data(admin_client.get(url), form_id="occurrence_form")
    assert admin_client.post(url, data).status_code == 302
    occurrence.refresh_from_db()
    assert (occurrence.is_exception, occurrence.sequence) == (False, 0)

    data["room"] = ["Hörsalen"]
    assert admin_client.post(url, data).status_code == 302
    occurrence.refresh_from_db()
    assert (occurrence.room, occurrence.is_exception, occurrence.sequence) == ("Hörsalen", True, 1)


def test_kalmar_coordinator_can_neither_see_nor_open_a_mjolby_series(client, mjolby, kalmar, tuesdays):
    client.force_login(make_coordinator("koordinator.kalmar", kalmar["town"]))
    changelist = client.get(SLOT_LIST_URL)
    assert changelist.status_code == 200
    assert tuesdays not in changelist.context["cl"].result_list

    response = client.get(change_url(tuesdays))
    assert response.status_code in (302, 403, 404)
    assert response.status_code != 302 or response.url == reverse("admin:index")

    data = new_series_data(mjolby["agency"], mjolby["venue"], start_time="14:00", end_time="16:00")
    client.post(change_url(tuesdays), data)
    tuesdays.refresh_from_db()
    assert tuesdays.start_time == datetime.time(10)

    occurrences = client.get(OCCURRENCE_LIST_URL).context["cl"].result_list
    assert not [o for o in occurrences if o.slot_id == tuesdays.pk]


def test_mjolby_coordinator_can_open_and_edit_a_mjolby_series(client, mjolby, tuesdays):
    client.force_login(make_coordinator("koordinator.mjolby", mjolby["town"]))
    assert tuesdays in client.get(SLOT_LIST_URL).context["cl"].result_list
    data = form_data(client.get(change_url(tuesdays)))
    data["note_sv"] = ["Ta med betyg om du har dem."]
    assert client.post(change_url(tuesdays), data).status_code == 302
    tuesdays.refresh_from_db()
    assert tuesdays.note == "Ta med betyg om du har dem."


def test_coordinator_can_only_choose_venues_and_agencies_of_their_municipality(client, mjolby, kalmar):
    national = factories.agency("Skatteverket", level="national", kind="tax_agency")
    client.force_login(make_coordinator("koordinator.kalmar", kalmar["town"]))
    form = client.get(ADD_URL).context["adminform"].form
    assert list(form.fields["venue"].queryset) == [kalmar["venue"]]
    assert set(form.fields["agency"].queryset) == {kalmar["agency"], national}

    # The autocomplete widget asks the server for choices; it answers the same.
    search = {"app_label": "schedule", "model_name": "staffedslot", "field_name": "venue", "term": ""}
    found = client.get(reverse("admin:autocomplete"), search).json()["results"]
    assert [result["id"] for result in found] == [str(kalmar["venue"].pk)]

    response = client.post(ADD_URL, new_series_data(kalmar["agency"], mjolby["venue"]))
    assert "venue" in response.context["adminform"].form.errors
    assert not StaffedSlot.objects.exists()


def test_superuser_and_project_lead_see_every_municipality(admin_user, mjolby, kalmar):
    assert municipalities_for(admin_user) is None
    lead = get_user_model().objects.create_user("projektledare", is_staff=True)
    Membership.objects.create(user=lead, role=Role.PROJECT_LEAD)
    assert municipalities_for(lead) is None
    staff = get_user_model().objects.create_user("personal", is_staff=True)
    Membership.objects.create(user=staff, role=Role.STAFF, agency=mjolby["agency"])
    assert not municipalities_for(staff).exists()
