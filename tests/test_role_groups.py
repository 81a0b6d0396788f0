"""Every installation has the staff roles' groups, with exactly the
permissions the code lists, after `migrate` alone (no seed_demo)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from agencies.permissions import (
    COORDINATOR_PERMISSIONS,
    COORDINATORS_GROUP,
    PROJECT_LEAD_PERMISSIONS,
    PROJECT_LEADS_GROUP,
)

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
