"""Staff log help sessions in seconds, anonymously, and only where they work.

The cast: Sofia works for Mjölby childcare; Lena coordinates Mjölby; Amir
coordinates Kalmar and must be refused Mjölby's logs; Erik works for the
Kalmar library and must be refused Mjölby childcare's times; Olle has an
account but no role at all."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import AgencyKind, AgencyLevel, Membership, Role
from sessions.models import Occurrence, OccurrenceStatus
from tests import factories
from visitors.models import Outcome, Visit, VisitChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    mjolby, kalmar = factories.municipality("Mjölby"), factories.municipality("Kalmar")
    library = factories.venue(mjolby, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    kalmar_library = factories.venue(kalmar, name="Kalmar stadsbibliotek", slug="kalmar-stadsbibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=mjolby)
    kalmar_books = factories.agency("Kalmar bibliotek", slug="kalmar-bibliotek", municipality=kalmar)
    preschool = factories.topic("Förskoleplats", slug="forskoleplats")
    today = timezone.localdate()
    every_day = {
        "weekday": today.weekday(),
        "first_date": today,
        "start_time": datetime.time(0),
        "end_time": datetime.time(23, 59),
    }
    slot = factories.slot(childcare, library, topics=[preschool], **every_day)
    kalmar_slot = factories.slot(kalmar_books, kalmar_library, **every_day)
    return {
        "mjolby": mjolby, "kalmar": kalmar, "library": library, "childcare": childcare,
        "kalmar_books": kalmar_books, "preschool": preschool,
        "occurrence": slot.occurrences.get(date=today),
        "kalmar_occurrence": kalmar_slot.occurrences.get(date=today),
    }  # fmt: skip


def _user(username, role=None, **scope):
    user = User.objects.create_user(username, f"{username}@kommun.example", "demo")
    if role:
        Membership.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def sofia(world):
    return _user("sofia", Role.STAFF, agency=world["childcare"])


@pytest.fixture
def lena(world):
    return _user("lena", Role.COORDINATOR, municipality=world["mjolby"])


@pytest.fixture
def amir(world):
    return _user("amir", Role.COORDINATOR, municipality=world["kalmar"])


@pytest.fixture
def erik(world):
    return _user("erik", Role.STAFF, agency=world["kalmar_books"])


def visit_data(world, **overrides):
    now = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    data = {
        "submission_key": str(uuid.uuid4()),
        "occurrence": world["occurrence"].pk,
        "duration": "15",
        "topics": [world["preschool"].pk],
        "outcome": Outcome.SOLVED,
        "mode": "drop_in",
        "people": "1",
        "started_at": now.strftime("%Y-%m-%dT%H:%M"),
        "language": "en",
        "first_visit": "yes",
        "device": "own_phone",
        "age_band": "",
        "note": "",
    }
    data.update(overrides)
    return data


def log(client, user, world, **overrides):
    client.force_login(user)
    return client.post("/staff/visits/new/", visit_data(world, **overrides))


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/")


def test_an_account_without_a_role_is_refused(client, world):
    client.force_login(_user("olle"))
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/visits/new/").status_code == 403


def test_my_day_offers_to_log_a_visit_at_todays_occurrence(client, sofia, world):
    client.force_login(sofia)
    page = client.get("/staff/").content.decode()
    assert f"/staff/visits/new/?occurrence={world['occurrence'].pk}" in page
    assert f"occurrence={world['kalmar_occurrence'].pk}" not in page


def test_the_log_form_comes_prefilled_with_the_occurrence(client, sofia, world):
    client.force_login(sofia)
    page = client.get(f"/staff/visits/new/?occurrence={world['occurrence'].pk}").content.decode()
    assert f'<option value="{world["occurrence"].pk}" selected>' in page
    assert 'name="submission_key"' in page


def test_staff_log_a_visit_and_see_it_in_my_logs(client, sofia, world):
    response = log(client, sofia, world)
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.agency, visit.venue, visit.logged_by) == (world["childcare"], world["library"], sofia)
    assert visit.duration_minutes == 15 and visit.language == "en"
    assert list(visit.topics.all()) == [world["preschool"]]
    assert VisitChange.objects.get().action == VisitChange.Action.CREATED
    assert "Förskoleplats" in client.get("/staff/visits/").content.decode()


def test_the_scenario_needs_only_duration_topic_and_save(client, sofia, world):
    """From "my day": the form's defaults cover everything but the duration
    and the topic."""
    client.force_login(sofia)
    form = client.get(f"/staff/visits/new/?occurrence={world['occurrence'].pk}").context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, "")}
    data["started_at"] = form["started_at"].value().strftime("%Y-%m-%dT%H:%M")
    data.update({"duration": "15", "topics": [world["preschool"].pk]})
    assert client.post("/staff/visits/new/", data).status_code == 302
    assert Visit.objects.get().outcome == Outcome.SOLVED


def test_a_double_submit_makes_one_visit(client, sofia, world):
    data = visit_data(world)
    client.force_login(sofia)
    client.post("/staff/visits/new/", data)
    again = client.post("/staff/visits/new/", data, follow=True)
    assert Visit.objects.count() == 1
    assert "redan sparat" in again.content.decode()


def test_save_and_log_another_keeps_the_occurrence(client, sofia, world):
    response = log(client, sofia, world, another="1")
    assert response["Location"] == f"/staff/visits/new/?occurrence={world['occurrence'].pk}"


def test_a_visit_outside_a_scheduled_time_needs_agency_and_venue(client, sofia, world):
    response = log(client, sofia, world, occurrence="")
    assert set(response.context["form"].errors) == {"agency", "venue"}
    log(client, sofia, world, occurrence="", agency=world["childcare"].pk, venue=world["library"].pk)
    assert Visit.objects.get().occurrence is None


def test_a_visit_can_be_recorded_late_within_fourteen_days(client, sofia, world):
    late = timezone.localtime() - datetime.timedelta(days=13)
    log(
        client,
        sofia,
        world,
        occurrence="",
        agency=world["childcare"].pk,
        venue=world["library"].pk,
        started_at=late.strftime("%Y-%m-%dT%H:%M"),
    )
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration": "other", "duration_other": "0"}, "duration_other"),
        ({"duration": "other", "duration_other": "481"}, "duration_other"),
        ({"duration": "other", "duration_other": ""}, "duration_other"),
        ({"duration": "7"}, "duration"),
        ({"started_at": "2099-01-01T10:00"}, "started_at"),
        ({"started_at": "2020-01-01T10:00"}, "started_at"),
        ({"outcome": "referred"}, "referred_to"),
        ({"people": "0"}, "people"),
        ({"language": "xx"}, "language"),
        ({"note": "x" * 501}, "note"),
        ({"note": "Ringer tillbaka på 070-123 45 67"}, "note"),
        ({"note": "Skrev personnummer 19811228-9874 fel"}, "note"),
        ({"note": "Svar till anna.svensson@example.se"}, "note"),
    ],
)
def test_bad_input_gets_a_message_on_the_field_and_saves_nothing(client, sofia, world, overrides, field):
    response = log(client, sofia, world, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Visit.objects.count() == 0
    assert VisitChange.objects.count() == 0


def test_a_referral_with_its_agency_is_saved(client, sofia, world):
    log(client, sofia, world, outcome="referred", referred_to=world["kalmar_books"].pk)
    assert Visit.objects.get().referred_to == world["kalmar_books"]


def test_staff_cannot_log_at_another_agencys_occurrence(client, erik, world):
    response = log(client, erik, world)
    assert "occurrence" in response.context["form"].errors
    assert Visit.objects.count() == 0


def test_a_cancelled_occurrence_cannot_get_visits(client, sofia, world):
    occurrence = world["occurrence"]
    occurrence.status, occurrence.cancellation_reason = OccurrenceStatus.CANCELLED, "Sjuk"
    occurrence.save()
    response = log(client, sofia, world)
    assert "occurrence" in response.context["form"].errors
    assert Visit.objects.count() == 0


def _logged_visit(client, user, world):
    log(client, user, world)
    client.logout()
    return Visit.objects.get()


def test_staff_correct_their_own_log_and_the_change_is_recorded(client, sofia, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(sofia)
    data = visit_data(world, duration="30", submission_key="")
    assert client.post(f"/staff/visits/{visit.pk}/edit/", data).status_code == 302
    visit.refresh_from_db()
    assert visit.duration_minutes == 30
    change = VisitChange.objects.get(action=VisitChange.Action.CHANGED)
    assert change.user == sofia and change.changes == {"duration_minutes": ["15", "30"]}


def test_a_log_older_than_fourteen_days_is_closed_to_its_author(client, sofia, world):
    visit = _logged_visit(client, sofia, world)
    Visit.objects.filter(pk=visit.pk).update(started_at=timezone.now() - datetime.timedelta(days=15))
    client.force_login(sofia)
    assert client.get(f"/staff/visits/{visit.pk}/edit/").status_code == 403
    assert client.post(f"/staff/visits/{visit.pk}/delete/").status_code == 403


def test_a_forged_post_for_another_users_log_is_refused(client, sofia, erik, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(erik)
    response = client.post(f"/staff/visits/{visit.pk}/edit/", visit_data(world, duration="60"))
    assert response.status_code == 404
    assert client.post(f"/staff/visits/{visit.pk}/delete/").status_code == 404
    visit.refresh_from_db()
    assert visit.duration_minutes == 15


def test_mjolbys_coordinator_corrects_a_log_and_reads_the_change_log(client, sofia, lena, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(lena)
    assert client.post(f"/staff/visits/{visit.pk}/edit/", visit_data(world, duration="45")).status_code == 302
    page = client.get("/staff/changes/").content.decode()
    assert "lena" in page and "15 → 45" in page


def test_kalmars_coordinator_is_refused_mjolbys_logs(client, sofia, amir, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(amir)
    assert client.get(f"/staff/visits/{visit.pk}/edit/").status_code == 404
    assert "Förskoleplats" not in client.get("/staff/visits/").content.decode()
    assert f"#{visit.pk}" not in client.get("/staff/changes/").content.decode()


def test_staff_without_coordination_are_refused_the_change_log(client, sofia):
    client.force_login(sofia)
    assert client.get("/staff/changes/").status_code == 403


def test_deleting_needs_a_post_and_keeps_the_audit_trail(client, sofia, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(sofia)
    assert client.get(f"/staff/visits/{visit.pk}/delete/").status_code == 405
    assert client.post(f"/staff/visits/{visit.pk}/delete/").status_code == 302
    assert not Visit.objects.exists()
    deleted = VisitChange.objects.get(action=VisitChange.Action.DELETED)
    assert deleted.visit_ref == visit.pk and deleted.changes["duration_minutes"] == "15"


def test_an_occurrence_with_visits_survives_a_series_change(client, sofia, world):
    _logged_visit(client, sofia, world)
    occurrence = world["occurrence"]
    slot = occurrence.slot
    slot.weekday = (slot.weekday + 1) % 7
    slot.first_date = timezone.localdate() + datetime.timedelta(days=1)
    slot.save()
    occurrence.refresh_from_db()
    assert occurrence.is_exception
    assert [o.pk for o in slot.last_sync.kept] == [occurrence.pk]


def test_log_pages_make_a_fixed_number_of_queries(client, sofia, world, django_assert_num_queries):
    for _ in range(3):
        log(client, sofia, world)
    client.force_login(sofia)
    # Session, user, staff check; occurrences of my agencies this week and
    # their bookings; the call list (bookings on cancelled sessions without
    # e-mail); the waiting-list offers to call; the next ones after this
    # week and their bookings; my latest logs with agency, venue and
    # occurrence; their topics; their e-services.
    with django_assert_num_queries(12):
        client.get("/staff/")
    # Session, user, staff check; page count; the page of visits with
    # agency, venue and occurrence; topics; e-services; the coordinated
    # municipalities for "may correct".
    with django_assert_num_queries(8):
        client.get("/staff/visits/")
    # Session, user, staff check; the first two agencies and venues (one
    # alone is preselected); the choices: occurrences, agencies, venues,
    # topics, e-services, referral agencies; the prefilled occurrence.
    with django_assert_num_queries(12):
        client.get(f"/staff/visits/new/?occurrence={world['occurrence'].pk}")


def test_a_coordinator_corrects_a_log_older_than_fourteen_days(client, sofia, lena, world):
    visit = _logged_visit(client, sofia, world)
    month_ago = timezone.now() - datetime.timedelta(days=30)
    occurrence = Occurrence.objects.create(
        slot=world["occurrence"].slot,
        date=timezone.localdate(month_ago),
        starts_at=month_ago - datetime.timedelta(minutes=10),
        ends_at=month_ago + datetime.timedelta(hours=1),
    )
    Visit.objects.filter(pk=visit.pk).update(started_at=month_ago, occurrence=occurrence)
    client.force_login(lena)
    data = visit_data(world, duration="45", submission_key="")
    data["started_at"] = timezone.localtime(month_ago).strftime("%Y-%m-%dT%H:%M")
    data["occurrence"] = occurrence.pk
    response = client.post(f"/staff/visits/{visit.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    visit.refresh_from_db()
    assert visit.duration_minutes == 45


def test_staff_cannot_log_a_visit_at_another_municipalitys_venue(client, sofia, world):
    kalmar_library = world["kalmar_occurrence"].slot.venue
    response = log(client, sofia, world, occurrence="", agency=world["childcare"].pk, venue=kalmar_library.pk)
    assert "venue" in response.context["form"].errors
    assert Visit.objects.count() == 0


def test_the_audit_trail_never_keeps_the_notes_text(client, sofia, world):
    visit = _logged_visit(client, sofia, world)
    client.force_login(sofia)
    client.post(f"/staff/visits/{visit.pk}/edit/", visit_data(world, note="Anna Svensson ville ha hjälp"))
    client.post(f"/staff/visits/{visit.pk}/edit/", visit_data(world, note=""))
    client.post(f"/staff/visits/{visit.pk}/delete/")
    stored = str(list(VisitChange.objects.values_list("changes", flat=True)))
    assert "Anna" not in stored
    assert VisitChange.objects.filter(action=VisitChange.Action.CHANGED).count() == 2


@pytest.fixture
def skatteverket_in_kalmar(world):
    """Skatteverket (national) helps at Kalmar's library; Karin staffs it."""
    tax = factories.agency(
        "Skatteverket", slug="skatteverket", level=AgencyLevel.NATIONAL, kind=AgencyKind.TAX_AGENCY
    )
    karin = _user("karin", Role.STAFF, agency=tax)
    kalmar_library = world["kalmar_occurrence"].slot.venue
    visit = Visit.objects.create(
        agency=tax, venue=kalmar_library, logged_by=karin, started_at=timezone.now(),
        duration_minutes=15, submission_key=uuid.uuid4(),
    )  # fmt: skip
    return tax, karin, visit


def test_kalmars_coordinator_cannot_move_a_national_agencys_log_into_mjolby(
    client, amir, world, skatteverket_in_kalmar
):
    _tax, _karin, visit = skatteverket_in_kalmar
    client.force_login(amir)
    form = client.get(f"/staff/visits/{visit.pk}/edit/").context["form"]
    offered = set(form.fields["venue"].queryset)
    assert world["library"] not in offered and visit.venue in offered
    data = visit_data(
        world, occurrence="", agency=visit.agency_id, venue=world["library"].pk, submission_key=""
    )
    response = client.post(f"/staff/visits/{visit.pk}/edit/", data)
    assert response.status_code == 200 and "venue" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.venue == world["kalmar_occurrence"].slot.venue
    assert not VisitChange.objects.filter(municipality=world["mjolby"]).exists()


def test_a_coordinator_who_also_staffs_a_national_agency_logs_only_in_their_municipality(
    client, amir, world, skatteverket_in_kalmar
):
    tax, _karin, _visit = skatteverket_in_kalmar
    Membership.objects.create(user=amir, role=Role.STAFF, agency=tax)
    mjolby_tax = factories.slot(tax, world["library"], **_all_day())
    client.force_login(amir)
    form = client.get("/staff/visits/new/").context["form"]
    assert world["library"] not in set(form.fields["venue"].queryset)
    mjolby_occurrence = mjolby_tax.occurrences.get(date=timezone.localdate())
    assert mjolby_occurrence not in set(form.fields["occurrence"].queryset)
    response = log(client, amir, world, occurrence="", agency=tax.pk, venue=world["library"].pk)
    assert "venue" in response.context["form"].errors
    assert not Visit.objects.filter(venue=world["library"]).exists()


def test_staff_of_a_national_agency_log_wherever_it_works(client, world, skatteverket_in_kalmar):
    tax, karin, _visit = skatteverket_in_kalmar
    response = log(client, karin, world, occurrence="", agency=tax.pk, venue=world["library"].pk)
    assert response.status_code == 302
    assert Visit.objects.filter(venue=world["library"], logged_by=karin).exists()


def _all_day():
    today = timezone.localdate()
    return {"weekday": today.weekday(), "first_date": today, "start_time": datetime.time(0),
            "end_time": datetime.time(23, 59)}  # fmt: skip


def test_a_visit_cannot_point_at_an_occurrence_it_did_not_happen_at(client, sofia, world):
    """Editing a visit of 18 November to point at a session of 1 December is refused."""
    visit = _logged_visit(client, sofia, world)
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    Visit.objects.filter(pk=visit.pk).update(started_at=two_days_ago, occurrence=None)
    client.force_login(sofia)
    data = visit_data(
        world, submission_key="", started_at=timezone.localtime(two_days_ago).strftime("%Y-%m-%dT%H:%M")
    )
    response = client.post(f"/staff/visits/{visit.pk}/edit/", data)
    assert response.status_code == 200
    assert "started_at" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.occurrence is None


@pytest.mark.parametrize(
    ("minutes", "accepted"), [(-31, False), (-30, True), (0, True), (30, True), (31, False)]
)
def test_a_visit_starts_within_its_occurrence_give_or_take_half_an_hour(world, sofia, minutes, accepted):
    occurrence = world["occurrence"]
    visit = Visit(
        occurrence=occurrence, agency=occurrence.slot.agency, venue=occurrence.slot.venue, logged_by=sofia,
        duration_minutes=10, submission_key=uuid.uuid4(),
    )  # fmt: skip
    edge = occurrence.starts_at if minutes <= 0 else occurrence.ends_at
    visit.started_at = edge + datetime.timedelta(minutes=minutes)
    if accepted:
        visit.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            visit.full_clean()
        assert "started_at" in refused.value.error_dict


def test_a_visit_names_the_agency_and_venue_of_its_occurrence(world, sofia):
    occurrence = world["occurrence"]
    visit = Visit(
        occurrence=occurrence, agency=world["kalmar_books"], venue=occurrence.slot.venue, logged_by=sofia,
        duration_minutes=10, submission_key=uuid.uuid4(), started_at=occurrence.starts_at,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        visit.full_clean()
    assert "occurrence" in refused.value.error_dict


def test_staff_of_one_agency_at_one_venue_find_both_preselected(client, sofia, world):
    client.force_login(sofia)
    form = client.get("/staff/visits/new/").context["form"]
    assert form["agency"].value() == world["childcare"].pk
    assert form["venue"].value() == world["library"].pk


def test_errors_outside_a_scheduled_time_are_summarised_at_the_top_with_links(client, amir, world):
    """Amir (a coordinator who also staffs two agencies) must choose; the
    errors are listed first, linked to fields that are not hidden in the
    closed "more details"."""
    Membership.objects.create(user=amir, role=Role.STAFF, agency=world["kalmar_books"])
    Membership.objects.create(
        user=amir,
        role=Role.STAFF,
        agency=factories.agency("Kalmar medborgarservice", municipality=world["kalmar"]),
    )
    factories.venue(world["kalmar"])
    response = log(client, amir, world, occurrence="", agency="", venue="")
    page = response.content.decode()
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    assert 'href="#id_agency"' in summary and 'href="#id_venue"' in summary
    assert page.index('id="error-summary"') < page.index('class="staff-form"')
    details = page[page.index("<details") : page.index("</details>")]
    assert 'id="id_agency"' not in details and 'id="id_venue"' not in details
    assert '<details class="more-details">' in page  # stays closed: no error inside


def test_an_error_inside_more_details_opens_it(client, sofia, world):
    page = log(client, sofia, world, people="0").content.decode()
    assert '<details class="more-details" open>' in page
    assert 'href="#id_people"' in page


def test_the_language_is_a_quick_choice_with_the_sessions_languages_first(client, sofia, world):
    slot = world["occurrence"].slot
    slot.languages = "ar,en"
    slot.save()
    client.force_login(sofia)
    form = client.get(f"/staff/visits/new/?occurrence={world['occurrence'].pk}").context["form"]
    assert [code for code, _label in form.fields["language"].widget.choices] == ["ar", "en", "sv", "other"]
    assert form["language"].value() == "ar"
    log(client, sofia, world, language="ar")
    log(client, sofia, world, language="other", language_other="so")
    assert sorted(Visit.objects.values_list("language", flat=True)) == ["ar", "so"]


def test_other_language_needs_a_language(client, sofia, world):
    response = log(client, sofia, world, language="other", language_other="")
    assert "language_other" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_my_day_in_a_week_without_sessions_shows_the_next_ones(client, world):
    """The childcare office staffs one hour a month: Sofia sees when it is next."""
    monthly = factories.agency("Barnomsorg Kalmar", municipality=world["kalmar"])
    next_month = timezone.localdate() + datetime.timedelta(days=40)
    factories.slot(
        monthly, world["kalmar_occurrence"].slot.venue, recurrence="once", first_date=next_month,
        weekday=next_month.weekday(),
    )  # fmt: skip
    ulla = _user("ulla", Role.STAFF, agency=monthly)
    client.force_login(ulla)
    response = client.get("/staff/")
    assert [o.date for o in response.context["next_weeks"]] == [next_month]
    page = response.content.decode()
    assert "Nästa" in page and "Barnomsorg Kalmar" in page


def test_a_visit_whose_time_was_just_removed_gets_a_message_not_a_500(client, sofia, world, monkeypatch):
    """A series edit removed the occurrence between the form's check and
    the save: the staff member is told to choose another time."""
    from visitors import views

    real_record = views.record_visit

    def removed_meanwhile(form, user):
        Occurrence.objects.filter(pk=world["occurrence"].pk).delete()
        return real_record(form, user)

    monkeypatch.setattr(views, "record_visit", removed_meanwhile)
    response = log(client, sofia, world)
    assert response.status_code == 200
    assert "occurrence" in response.context["form"].errors
    assert not Visit.objects.exists() and not VisitChange.objects.exists()
