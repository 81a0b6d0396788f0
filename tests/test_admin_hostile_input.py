"""Hostile values in the admin's forms and list filters: the form answers
with an error, a list with Django's "invalid filter" page or an empty
list, never a 500."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import AccessibilityReport
from sessions.models import StaffedSlot, Weekday
from tests import factories
from tests.test_admin import ADD_URL, change_url, make_coordinator, new_series_data
from visitors.models import Visit, VisitChange

pytestmark = pytest.mark.django_db

HOSTILE = ["99999999999999999999", "abc", "\x00", "%00", "9999", "10000", "0", "-1", "1e9", "", " 7 "]

LISTS = {
    "visits": (
        "admin:visitors_visit_changelist",
        ["started_at__year", "started_at__month", "agency__id__exact", "venue__id__exact", "outcome__exact"],
    ),
    "occurrences": (
        "admin:schedule_occurrence_changelist",
        [
            "starts_at__year",
            "starts_at__month",
            "starts_at__day",
            "date__year",
            "slot__venue__id__exact",
            "status__exact",
            "q",
            "starts_from",
            "starts_until",
        ],
    ),
    "changes": (
        "admin:visitors_visitchange_changelist",
        ["at__year", "at__month", "municipality__id__exact", "visit_ref"],
    ),
    "reports": (
        "admin:agencies_accessibilityreport_changelist",
        ["created_at__year", "created_at__month", "venue__id__exact", "handled__exact"],
    ),
    "series": (
        "admin:schedule_staffedslot_changelist",
        ["first_date__year", "venue__id__exact", "agency__id__exact", "q"],
    ),
}


@pytest.fixture
def one_of_each(admin_user):
    town = factories.municipality("Mjölby")
    library = factories.venue(town)
    childcare = factories.agency("Barnomsorg", municipality=town)
    factories.slot(childcare, library, first_date=timezone.localdate())
    visit = Visit.objects.create(
        agency=childcare, venue=library, logged_by=admin_user, duration_minutes=10,
        started_at=timezone.now() - datetime.timedelta(hours=1), submission_key=uuid.uuid4(),
    )  # fmt: skip
    VisitChange.objects.create(
        visit=visit, visit_ref=visit.pk, municipality=town, user=admin_user, action="created"
    )
    AccessibilityReport.objects.create(venue=library, description="Knappen syns inte")


@pytest.mark.parametrize("name", LISTS)
def test_list_filters_with_hostile_values_never_answer_500(admin_client, one_of_each, name):
    url_name, params = LISTS[name]
    url = reverse(url_name)
    failures = []
    for param in params:
        for value in HOSTILE:
            try:
                response = admin_client.get(url, {param: value}, follow=True)
                status = response.status_code
            except Exception as error:  # every failure of the list, not only the first
                status = repr(error)[:120]
            if status != 200:
                failures.append((param, value, status))
    assert not failures


hostile_text = st.one_of(
    st.text(max_size=25),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(HOSTILE),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=hostile_text, month=hostile_text, day=hostile_text)
def test_date_hierarchy_of_every_list_takes_any_year_month_and_day(
    admin_client, one_of_each, year, month, day
):
    for url_name, (hierarchy_field, *_rest) in [(url, params) for url, params in LISTS.values()]:
        field = hierarchy_field.removesuffix("__year")
        query = {f"{field}__year": year, f"{field}__month": month, f"{field}__day": day}
        assert admin_client.get(reverse(url_name), query, follow=True).status_code == 200


@pytest.mark.parametrize("field", ["agency", "venue", "topics"])
@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "%00", "\x00", "-1", "1.5", "0x10"])
def test_series_form_with_a_value_that_is_no_id_shows_the_form_with_an_error(client, field, value):
    town = factories.municipality("Mjölby")
    client.force_login(make_coordinator("koordinator.mjolby", town))
    childcare, library = factories.agency("Barnomsorg", municipality=town), factories.venue(town)
    existing = factories.slot(childcare, library, first_date=datetime.date(2026, 1, 1))
    data = {**new_series_data(childcare, library, weekday=Weekday.FRIDAY), field: [value]}
    for url in (ADD_URL, change_url(existing)):
        response = client.post(url, data)
        assert response.status_code == 200
        assert field in response.context["adminform"].form.errors
    assert StaffedSlot.objects.get() == existing
    existing.refresh_from_db()
    assert existing.weekday == Weekday.THURSDAY


@pytest.mark.parametrize("object_id", ["99999999999999999999", "abc", "%00", "-1"])
@pytest.mark.parametrize("page", ["change", "outside_series"])
def test_series_pages_with_an_id_that_is_no_id_are_not_found(admin_client, object_id, page):
    response = admin_client.get(reverse(f"admin:schedule_staffedslot_{page}", args=[object_id]), follow=True)
    assert response.status_code in (200, 404)
    assert response.redirect_chain in ([], [(reverse("admin:index"), 302)])
