"""``seed_demo`` loads a believable demo and can run again without changing it,
and refuses to run without DEBUG unless told ``--force``."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from agencies.models import Agency, AgencyKind, EService, Membership, Municipality, Role, Topic, Venue
from sessions.models import Format, Occurrence, OccurrenceStatus, Recurrence, StaffedSlot
from visitors.models import Visit, VisitChange

pytestmark = pytest.mark.django_db

DEMO_LOGINS = ["admin", "koordinator.mjolby", "koordinator.kalmar", "personal.mjolby", "projektledare"]


def seed(force=True):
    """Run seed_demo; forced by default, since the test settings have DEBUG off."""
    out = io.StringIO()
    call_command("seed_demo", force=force, stdout=out)
    return out.getvalue()


def row_counts():
    models = (
        Municipality,
        Venue,
        Agency,
        Topic,
        EService,
        StaffedSlot,
        Occurrence,
        Membership,
        get_user_model(),
        Visit,
        VisitChange,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_running_seed_demo_twice_adds_and_changes_nothing(settings):
    settings.DEBUG = True
    seed(force=False)  # with DEBUG on, no --force is needed
    counts = row_counts()
    occurrences = list(Occurrence.objects.order_by("pk").values())
    seed(force=False)
    assert row_counts() == counts
    assert list(Occurrence.objects.order_by("pk").values()) == occurrences


def test_demo_has_both_pilot_municipalities_and_at_least_six_agencies():
    seed()
    assert set(Municipality.objects.values_list("name", flat=True)) == {"Mjölby", "Kalmar"}
    assert Agency.objects.count() >= 6
    assert Agency.objects.filter(kind=AgencyKind.TAX_AGENCY, municipality__isnull=True).exists()
    for agency in Agency.objects.all():
        agency.full_clean()  # every colour passes the contrast validator


def test_every_agency_and_topic_has_an_english_name_and_every_eservice_says_what_to_bring():
    seed()
    assert not Agency.objects.filter(name_en="").exists()
    assert not Topic.objects.filter(name_en="").exists()
    assert not EService.objects.filter(what_to_bring="").exists()
    assert not EService.objects.filter(what_to_bring_en="").exists()


def test_demo_schedule_has_the_series_the_brief_describes():
    seed()
    slots = StaffedSlot.objects.select_related("agency")
    childcare = slots.get(agency__kind=AgencyKind.CHILDCARE)
    assert (childcare.recurrence, childcare.week_of_month, childcare.weekday) == (Recurrence.MONTHLY, 2, 3)
    assert (childcare.start_time, childcare.end_time) == (datetime.time(14), datetime.time(15))
    counsellor = slots.get(agency__kind=AgencyKind.EDUCATION)
    assert (counsellor.recurrence, counsellor.weekday) == (Recurrence.WEEKLY, 1)
    mjolby_drop_in = slots.filter(agency__slug="mjolby-bibliotek", format=Format.DROP_IN)
    assert sorted(mjolby_drop_in.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert slots.filter(agency__kind=AgencyKind.TAX_AGENCY, recurrence=Recurrence.MONTHLY).exists()
    assert slots.filter(format=Format.LECTURE, capacity__gt=0).exists()
    assert slots.filter(format=Format.TRY).exists()
    assert slots.filter(format=Format.BOOKED, capacity__gt=0).exists()
    assert slots.filter(languages__contains="ar").exists()


def test_demo_series_started_weeks_ago_and_run_on():
    seed()
    today = timezone.localdate()
    assert not StaffedSlot.objects.filter(first_date__gte=today).exists()
    assert Occurrence.objects.filter(date__lt=today).exists()
    assert Occurrence.objects.filter(date__gt=today + datetime.timedelta(days=300)).exists()


def test_demo_has_exactly_one_cancelled_occurrence_ahead_with_a_public_reason():
    seed()
    seed()
    cancelled = Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED)
    assert cancelled.count() == 1
    occurrence = cancelled.get()
    assert occurrence.cancellation_reason
    assert occurrence.is_exception
    assert occurrence.sequence == 1
    assert occurrence.date > timezone.localdate()


def test_demo_logins_are_created_only_with_debug_on(settings):
    settings.DEBUG = False
    output = seed()
    assert not get_user_model().objects.filter(username__in=DEMO_LOGINS).exists()
    assert "no demo logins" in output

    settings.DEBUG = True
    output = seed()
    users = get_user_model().objects.filter(username__in=DEMO_LOGINS)
    assert sorted(users.values_list("username", flat=True)) == sorted(DEMO_LOGINS)
    assert all(user.check_password("demo") for user in users)
    for username in DEMO_LOGINS:
        assert username in output


def test_demo_logins_have_one_role_each_and_only_admin_users_reach_the_admin(settings):
    settings.DEBUG = True
    seed()
    users = {user.username: user for user in get_user_model().objects.all()}
    assert users["admin"].is_superuser
    assert users["koordinator.mjolby"].memberships.get().municipality.slug == "mjolby"
    assert users["koordinator.kalmar"].memberships.get().municipality.slug == "kalmar"
    assert users["personal.mjolby"].memberships.get().agency.municipality.slug == "mjolby"
    assert users["projektledare"].memberships.get().role == Role.PROJECT_LEAD
    staff = {name for name, user in users.items() if user.is_staff}
    assert staff == {"admin", "koordinator.mjolby", "koordinator.kalmar", "projektledare"}
    assert users["koordinator.mjolby"].has_perm("schedule.change_staffedslot")
    assert not users["personal.mjolby"].has_perm("schedule.change_staffedslot")
    assert all(user.first_name and user.last_name for user in users.values())


def test_demo_has_hundreds_of_anonymous_visits_spread_over_past_months(settings):
    settings.DEBUG = True
    seed()
    visits = Visit.objects.all()
    assert 300 <= visits.count() <= 3000
    months = {(v.year, v.month) for v in visits.dates("started_at", "month")}
    assert len(months) >= 3
    assert not visits.filter(started_at__gte=timezone.now()).exists()
    assert not visits.exclude(note="").exists()  # demo logs carry no free text at all
    assert VisitChange.objects.filter(action=VisitChange.Action.CREATED).count() == visits.count()
    # Visits per staffed hour differ as in the brief: the library's drop-in
    # draws several, the childcare office's monthly hour about one.
    library = visits.filter(agency__kind=AgencyKind.LIBRARY, mode="drop_in").count()
    childcare = visits.filter(agency__kind=AgencyKind.CHILDCARE).count()
    assert library > 10 * childcare > 0


def test_without_debug_there_are_no_demo_visits(settings):
    settings.DEBUG = False
    seed()
    assert not Visit.objects.exists()


def test_without_debug_seed_demo_refuses_to_run_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed(force=False)
    assert not Municipality.objects.exists()
    seed(force=True)
    assert Municipality.objects.count() == 2


def test_the_refusal_is_a_clear_message_and_a_failing_exit_status(tmp_path):
    # Production settings and an empty database file: the command must stop
    # before it reads or writes anything.
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="eserviceverkstad.settings",
        DEBUG="false",
        SECRET_KEY="refusal-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "DEBUG is off" in done.stderr
    assert "--force" in done.stderr
    assert "Demo data loaded" not in done.stdout


def test_the_demo_texts_read_as_an_editor_asked():
    seed()
    cancelled = Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED).get()
    # The page prints "Inställt:" before the reason.
    assert not cancelled.cancellation_reason.lower().startswith("inställt")
    assert cancelled.cancellation_reason_en
    notes = list(StaffedSlot.objects.values_list("note", flat=True))
    assert not [note for note in notes if "Ingen tidsbokning" in note]
    assert any(note.startswith("Du behöver inte boka tid.") for note in notes)
    booked = StaffedSlot.objects.get(format=Format.BOOKED)
    assert "Ring 070-174 06 50" in booked.note and "Call 070-174 06 50" in booked.note_en
    bring = EService.objects.get(slug="mjolby-ekonomiskt-bistand").what_to_bring
    assert "Papper som visar dina inkomster" in bring and "Underlag" not in bring
