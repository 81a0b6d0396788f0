"""Giving someone a role: the membership, the admin flag and the group
that role needs, in one place (the ``grant`` command uses it; the admin
does the same by hand, see docs/deployment.md).

What each role needs:

- staff: a membership of their agency. The staff pages (/staff/) need
  nothing else; staff do not use the admin.
- coordinator: a membership of their municipality, ``is_staff`` (the admin
  lets only staff users in) and the "Koordinatorer" group (its permissions).
- project lead: a membership of their project (the municipalities it
  names; none: the whole installation), ``is_staff`` and the
  "Projektledare" group.

Every function is idempotent and says what it changed.
"""

from django.contrib.auth.models import Group
from django.db import transaction

from agencies.models import Membership, Role
from agencies.permissions import COORDINATORS_GROUP, PROJECT_LEADS_GROUP, ensure_role_groups


def _role_group(name):
    group = Group.objects.filter(name=name).first()
    # migrate creates the groups; a database restored from before that
    # gets them here.
    return group or ensure_role_groups()[name]


def _grant(user, *, role, group_name=None, municipalities=(), **scope):
    """Returns the list of what changed, empty when the user had it all."""
    changes = []
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, role=role, **scope)
        if created:
            changes.append("membership")
        named = set(membership.municipalities.values_list("pk", flat=True))
        for municipality in municipalities:
            if municipality.pk not in named:
                membership.municipalities.add(municipality)
                changes.append(f"municipality {municipality.name}")
        if group_name:
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
                changes.append("is_staff")
            group = _role_group(group_name)
            if not user.groups.filter(pk=group.pk).exists():
                user.groups.add(group)
                changes.append(f"group {group.name}")
    return changes


def grant_staff(user, agency, municipality=None):
    """Staff of ``agency``; for a national agency, serving ``municipality``
    (they see bookings there only)."""
    if municipality is not None and agency.municipality_id:
        raise ValueError("Only staff of a national agency name a municipality they serve.")
    return _grant(user, role=Role.STAFF, agency=agency, municipality=municipality)


def grant_coordinator(user, municipality):
    return _grant(user, role=Role.COORDINATOR, group_name=COORDINATORS_GROUP, municipality=municipality)


def grant_project_lead(user, municipalities=()):
    """Project lead of the whole installation, or, naming ``municipalities``,
    of a project of those (added to any the membership names already)."""
    return _grant(user, role=Role.PROJECT_LEAD, group_name=PROJECT_LEADS_GROUP, municipalities=municipalities)


def project_municipalities(user):
    """The names of the municipalities of ``user``'s project; empty for the
    whole installation."""
    return list(
        Membership.objects.filter(user=user, role=Role.PROJECT_LEAD)
        .exclude(municipalities=None)
        .order_by("municipalities__name")
        .values_list("municipalities__name", flat=True)
    )
