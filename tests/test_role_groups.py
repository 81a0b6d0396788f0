"""Every installation has the staff roles' groups, with exactly the
permissions the code lists, after `migrate` alone (no seed_demo); and what
the roles may do with the catalogue every municipality shares."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Membership, Role
from agencies.permissions import (
    COORDINATOR_PERMISSIONS,
    COORDINATORS_GROUP,
    PROJECT_LEAD_PERMISSIONS,
    PROJECT_LEADS_GROUP,
)
from tests import factories

pytestmark = pytest.mark.django_db


def permission_names(group):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_a_freshly_migrated_database_has_both_role_groups_with_exactly_their_permissions():
    assert permission_names(Group.objects.get(name=COORDINATORS_GROUP)) == set(COORDINATOR_PERMISSIONS)
    assert permission_names(Group.objects.get(name=PROJECT_LEADS_GROUP)) == set(PROJECT_LEAD_PERMISSIONS)


def test_migrate_puts_a_hand_changed_group_back_to_the_listed_permissions():
    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    coordinators.permissions.add(Permission.objects.get(codename="delete_municipality"))
    coordinators.permissions.remove(Permission.objects.get(codename="view_visit"))
    Group.objects.filter(name=PROJECT_LEADS_GROUP).delete()
    call_command("migrate", verbosity=0)
    assert permission_names(Group.objects.get(name=COORDINATORS_GROUP)) == set(COORDINATOR_PERMISSIONS)
    assert permission_names(Group.objects.get(name=PROJECT_LEADS_GROUP)) == set(PROJECT_LEAD_PERMISSIONS)


def staff_user(username, role, group_name, town=None):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    Membership.objects.create(user=user, role=role, municipality=town)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def preschool():
    return factories.topic("Förskoleplats", name_en="Preschool place", slug="forskoleplats")


def topic_form(topic, **changes):
    # The admin shows each language's column (modeltranslation): name_sv, name_en, ...
    return {
        "name_sv": topic.name_sv,
        "name_en": topic.name_en or "",
        "slug": topic.slug,
        "keywords_sv": "",
        "keywords_en": "",
        **{f"{field}_sv": value for field, value in changes.items()},
    }


def test_a_coordinator_may_read_but_not_change_the_topics_every_municipality_shares(client, preschool):
    kalmar_coordinator = staff_user(
        "karin", Role.COORDINATOR, COORDINATORS_GROUP, town=factories.municipality("Kalmar")
    )
    client.force_login(kalmar_coordinator)
    change_url = reverse("admin:agencies_topic_change", args=[preschool.pk])
    assert client.get(change_url).status_code == 200  # read-only, for choosing topics
    assert client.post(change_url, topic_form(preschool, name="Förskola i Kalmar")).status_code == 403
    assert client.get(reverse("admin:agencies_topic_add")).status_code == 403
    preschool.refresh_from_db()
    assert preschool.name == "Förskoleplats"


def test_the_project_lead_changes_the_shared_topics(client, preschool):
    project_lead = staff_user("petra", Role.PROJECT_LEAD, PROJECT_LEADS_GROUP)
    client.force_login(project_lead)
    change_url = reverse("admin:agencies_topic_change", args=[preschool.pk])
    response = client.post(change_url, topic_form(preschool, name="Förskoleplats och fritids"))
    assert response.status_code == 302
    preschool.refresh_from_db()
    assert preschool.name == "Förskoleplats och fritids"
    assert client.get(reverse("admin:agencies_topic_add")).status_code == 200
