"""A fresh installation without demo data, as docs/deployment.md leads the
municipality's IT administrator through it: an empty database, the first
admin from ``createsuperuser``, the places and agencies added in the admin,
then ``manage.py grant`` for each role. The coordinator (who chose her own
password from the printed link) adds a series in the admin, the project
lead adds a topic, and the staff member logs a visit.

The cast: Ingrid is the IT administrator (superuser), Lena coordinates
Mjölby, Anna is the project lead, Sofia works for Mjölby's childcare, and
Olle has an account but no role and must still be refused the admin."""

import datetime
import re
import uuid
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from agencies.models import Agency, Membership, Municipality, Role, Topic
from agencies.permissions import COORDINATORS_GROUP, PROJECT_LEADS_GROUP
from sessions.models import StaffedSlot
from tests.test_admin import ADD_URL, form_data, new_series_data
from visitors.models import Visit

pytestmark = pytest.mark.django_db

SITE = "https://eservice.mjolby.example"


def grant(*args):
    out = StringIO()
    call_command("grant", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def add_in_admin(client, model, **fields):
    """Post the admin's add form as a browser would: its own defaults (the
    inlines' management forms among them) with ``fields`` filled in."""
    url = f"/admin/agencies/{model}/add/"
    data = {**form_data(client.get(url), f"{model}_form"), **fields, "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def set_password_from_link(client, output, password):
    link = re.search(rf"{re.escape(SITE)}(/accounts/reset/\S+/)", output).group(1)
    form_page = client.get(link)  # Django moves the token out of the URL first
    assert form_page.status_code == 302
    done = client.post(form_page["Location"], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"


def log_in(client, username, password):
    client.logout()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, f"{username} could not log in"


@pytest.fixture
def fresh_installation(client, monkeypatch):
    """createsuperuser, then Mjölby, its library and its childcare office,
    added by the superuser in the admin."""
    assert not get_user_model().objects.exists() and not Municipality.objects.exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Ingrids-eget-lösenord-42")
    call_command(
        "createsuperuser", "--noinput", username="ingrid", email="it@mjolby.example", stdout=StringIO()
    )
    log_in(client, "ingrid", "Ingrids-eget-lösenord-42")
    add_in_admin(client, "municipality", name="Mjölby", formal_name_sv="Mjölby kommun", slug="mjolby")
    town = Municipality.objects.get(slug="mjolby")
    add_in_admin(
        client, "venue", municipality=town.pk, name_sv="Mjölby bibliotek", slug="mjolby-bibliotek",
        address="Burensköldsvägen 21", language="sv",
    )  # fmt: skip
    add_in_admin(
        client, "agency", name_sv="Barnomsorg", slug="mjolby-barnomsorg", kind="childcare", level="municipal",
        municipality=town.pk, colour="#1f5f8b",
    )  # fmt: skip
    client.logout()
    return town


def test_from_an_empty_database_every_role_can_do_its_work(client, fresh_installation):
    town = fresh_installation
    childcare = Agency.objects.get(slug="mjolby-barnomsorg")

    output = grant(
        "coordinator", "lena", "mjolby", "--create", "--email", "lena@mjolby.example", "--site-url", SITE
    )
    assert "lena is now coordinator of Mjölby" in output
    set_password_from_link(client, output, "Lenas-lösenord-2026")
    log_in(client, "lena", "Lenas-lösenord-2026")
    response = client.post(ADD_URL, new_series_data(childcare, town.venues.get(), languages=["sv"]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert StaffedSlot.objects.get().agency == childcare

    grant("project-lead", "anna", "--create", "--email", "anna@region.example", "--site-url", SITE)
    anna = get_user_model().objects.get(username="anna")
    client.force_login(anna)
    response = client.post(
        "/admin/agencies/topic/add/", {"name_sv": "Förskoleplats", "slug": "forskoleplats", "_save": "Save"}
    )
    assert response.status_code == 302
    topic = Topic.objects.get()

    grant("staff", "sofia", "mjolby-barnomsorg", "--create")
    client.force_login(get_user_model().objects.get(username="sofia"))
    started = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    response = client.post(
        "/staff/visits/new/",
        {
            "submission_key": str(uuid.uuid4()), "agency": childcare.pk, "venue": town.venues.get().pk,
            "started_at": started.strftime("%Y-%m-%dT%H:%M"), "duration": "15", "topics": [topic.pk],
            "outcome": "solved", "mode": "drop_in", "people": "1", "language": "sv", "first_visit": "yes",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    assert Visit.objects.get().logged_by.username == "sofia"


def test_each_role_gets_exactly_what_it_needs(fresh_installation):
    grant("coordinator", "lena", "mjolby", "--create")
    grant("project-lead", "anna", "--create")
    grant("staff", "sofia", "mjolby-barnomsorg", "--create")
    users = {user.username: user for user in get_user_model().objects.prefetch_related("groups")}
    groups = {name: [group.name for group in user.groups.all()] for name, user in users.items()}
    assert (users["lena"].is_staff, groups["lena"]) == (True, [COORDINATORS_GROUP])
    assert (users["anna"].is_staff, groups["anna"]) == (True, [PROJECT_LEADS_GROUP])
    # Staff use /staff/, never the admin.
    assert (users["sofia"].is_staff, groups["sofia"]) == (False, [])
    assert not any(user.has_usable_password() for name, user in users.items() if name != "ingrid")
    memberships = set(
        Membership.objects.values_list("user__username", "role", "municipality__slug", "agency__slug")
    )
    assert memberships == {
        ("lena", Role.COORDINATOR, "mjolby", None),
        ("anna", Role.PROJECT_LEAD, None, None),
        ("sofia", Role.STAFF, None, "mjolby-barnomsorg"),
    }


def test_granting_again_changes_nothing(fresh_installation):
    grant("coordinator", "lena", "mjolby", "--create")
    again = grant("coordinator", "lena", "mjolby", "--create")
    assert "lena already was coordinator of Mjölby; nothing changed." in again
    assert Membership.objects.count() == 1
    assert get_user_model().objects.filter(username="lena").count() == 1


def test_without_a_link_address_the_command_says_how_to_set_a_password(fresh_installation, settings):
    settings.CSRF_TRUSTED_ORIGINS = []
    output = grant("staff", "sofia", "mjolby-barnomsorg", "--create")
    assert "python manage.py changepassword sofia" in output


def test_an_existing_user_keeps_their_password_and_gets_the_role(client, fresh_installation):
    olle = get_user_model().objects.create_user("olle", password="Olles-lösenord-77")
    client.force_login(olle)
    assert client.get("/admin/").status_code == 302  # no role: sent to the admin's login
    output = grant("coordinator", "olle", "mjolby")
    assert "no password yet" not in output
    olle.refresh_from_db()
    assert olle.check_password("Olles-lösenord-77")
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("coordinator", "nobody", "mjolby"), "No user 'nobody'. Check the spelling, or add --create"),
        (("coordinator", "ingrid", "boxholm"), "No municipality with the slug 'boxholm' (known: mjolby)"),
        (
            ("staff", "ingrid", "skatteverket"),
            "No agency with the slug 'skatteverket' (known: mjolby-barnomsorg)",
        ),
        (("staff", "ingrid"), "Name the agency: manage.py grant staff USER AGENCY-SLUG"),
        (
            ("project-lead", "ingrid", "mjolby", "kalmar"),
            "No municipality with the slug 'kalmar'. Check the spelling",
        ),
        (("coordinator", "ingrid", "mjolby", "mjolby"), "A coordinator belongs to one municipality"),
        (
            ("coordinator", "new", "mjolby", "--create", "--email", "not-an-address"),
            "is not an e-mail address",
        ),
    ],
)
def test_mistakes_get_a_clear_error_and_change_nothing(fresh_installation, args, message):
    before = (get_user_model().objects.count(), Membership.objects.count(), Group.objects.count())
    with pytest.raises(CommandError, match=re.escape(message)):
        grant(*args)
    assert (get_user_model().objects.count(), Membership.objects.count(), Group.objects.count()) == before


def test_a_project_lead_of_a_region_is_granted_its_municipalities_once(fresh_installation):
    Municipality.objects.create(name="Kalmar", formal_name="Kalmar kommun", slug="kalmar")
    first = grant("project-lead", "kristina", "kalmar", "mjolby", "--create")
    assert "kristina is now project-lead of Kalmar, Mjölby" in first
    assert "municipality Kalmar" in first and "municipality Mjölby" in first
    again = grant("project-lead", "kristina", "mjolby", "kalmar")
    assert "kristina already was project-lead of Kalmar, Mjölby; nothing changed." in again
    membership = Membership.objects.get(user__username="kristina")
    assert membership.role == Role.PROJECT_LEAD
    assert sorted(membership.municipalities.values_list("slug", flat=True)) == ["kalmar", "mjolby"]
    assert "anna is now project-lead of every municipality" in grant("project-lead", "anna", "--create")
