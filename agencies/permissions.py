"""Who may see what in the admin.

A coordinator works for one municipality (sometimes several) and sees only
its venues, series and occurrences. A project lead sees the municipalities
of their project (``Membership.municipalities``: a region's project lead
sees the region, not the country); a project lead whose membership names
none sees every municipality, as every project lead did before memberships
named any, so existing installations keep working and a national project
has no list of 290 to keep. Superusers see everything. The rule lives here,
once, so every admin and every later view asks the same question the same
way.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, Q

from agencies.models import Agency, AgencyLevel, Membership, Municipality, Role, Venue

COORDINATORS_GROUP = "Koordinatorer"
PROJECT_LEADS_GROUP = "Projektledare"

# What a coordinator needs to keep the schedule: series and occurrences in
# full (deleting a series deletes its occurrences, so that needs both), the
# municipality's venues, and read access to what series point at. Topics are
# shared by every municipality, so only the project lead edits them.
COORDINATOR_PERMISSIONS = [
    "agencies.view_municipality",
    "agencies.view_venue",
    "agencies.add_venue",
    "agencies.change_venue",
    "agencies.view_agency",
    "agencies.view_topic",
    "agencies.view_eservice",
    "agencies.view_tryitem",
    "agencies.add_tryitem",
    "agencies.change_tryitem",
    "agencies.delete_tryitem",
    "agencies.view_accessibilityreport",
    "agencies.change_accessibilityreport",
    "schedule.view_staffedslot",
    "schedule.add_staffedslot",
    "schedule.change_staffedslot",
    "schedule.delete_staffedslot",
    "schedule.view_occurrence",
    "schedule.change_occurrence",
    "schedule.delete_occurrence",
    "visitors.view_visit",
    "visitors.view_visitchange",
    "visitors.view_booking",
    "visitors.view_waitinglistentry",
    "visitors.view_smsmessage",
]

# The project lead also looks after the shared catalogue: agencies, their
# e-services and the topics serve every municipality.
PROJECT_LEAD_PERMISSIONS = COORDINATOR_PERMISSIONS + [
    "agencies.change_municipality",
    "agencies.add_topic",
    "agencies.change_topic",
    "agencies.add_agency",
    "agencies.change_agency",
    "agencies.add_eservice",
    "agencies.change_eservice",
    "agencies.delete_eservice",
]

ROLE_GROUPS = {
    COORDINATORS_GROUP: COORDINATOR_PERMISSIONS,
    PROJECT_LEADS_GROUP: PROJECT_LEAD_PERMISSIONS,
}


def led_municipality_ids(user):
    """The municipalities of ``user``'s project as a set of ids, ``None``
    for the whole installation, or an empty set when they lead no project.
    One query."""
    rows = list(
        Membership.objects.filter(user=user, role=Role.PROJECT_LEAD).values_list("municipalities", flat=True)
    )
    if not rows:
        return set()
    named = set(rows) - {None}
    return named or None


def municipalities_for(user):
    """The municipalities whose schedule ``user`` may see and edit, as a
    queryset, or ``None`` for all of them."""
    if not (user.is_authenticated and user.is_active):
        return Municipality.objects.none()
    if user.is_superuser:
        return None
    led = led_municipality_ids(user)
    if led is None:
        return None
    coordinated = Q(memberships__user=user, memberships__role=Role.COORDINATOR)
    return Municipality.objects.filter(coordinated | Q(pk__in=led)).distinct()


def limit_to_municipalities(queryset, user, path, *, include_national=False):
    """``queryset`` narrowed to rows whose ``path`` lookup is one of the
    user's municipalities. ``include_national`` keeps rows where ``path`` is
    empty: national agencies such as Skatteverket serve every municipality."""
    allowed = municipalities_for(user)
    if allowed is None:
        return queryset
    condition = Q(**{f"{path}__in": allowed})
    if include_national:
        condition |= Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


def _permissions(names, using):
    wanted = {tuple(name.split(".")) for name in names}
    found = [
        permission
        for permission in Permission.objects.using(using)
        .select_related("content_type")
        .filter(
            content_type__app_label__in={app for app, _codename in wanted},
            codename__in={codename for _app, codename in wanted},
        )
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    if len(found) != len(wanted):
        # Permissions are created by migrate; without them the groups would
        # silently grant less than they should.
        raise RuntimeError("Some permissions are missing. Run `python manage.py migrate` first.")
    return found


def ensure_role_groups(using=DEFAULT_DB_ALIAS):
    """Create or update the coordinator and project lead groups, with
    exactly the permissions listed above; returns them by name."""
    groups = {}
    for name, permission_names in ROLE_GROUPS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(_permissions(permission_names, using))
        groups[name] = group
    return groups


def create_role_groups_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """post_migrate handler: every installation has the role groups, as
    the code lists them, without running seed_demo. Django creates each
    app's permissions in that app's own post_migrate, which may come after
    this one, so the permissions of every app the roles use are created
    first (create_permissions does nothing for those that exist)."""
    try:
        apps.get_model("auth", "Group")
    except LookupError:  # auth itself is being unmigrated
        return
    labels = {name.split(".")[0] for names in ROLE_GROUPS.values() for name in names}
    for label in sorted(labels):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    ensure_role_groups(using)


# Staff pages (the visit log). The same questions, asked of memberships.


def is_staff_member(user):
    """May use the staff pages: belongs to an agency or coordinates a
    municipality, or is a superuser."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.memberships.filter(role__in=[Role.STAFF, Role.COORDINATOR]).exists()


def is_project_lead(user):
    return (
        user.is_authenticated and user.is_active and user.memberships.filter(role=Role.PROJECT_LEAD).exists()
    )


def agencies_for(user):
    """The agencies ``user`` may log visits for: those they staff. A
    superuser may log for every agency."""
    if user.is_superuser:
        return Agency.objects.all()
    # distinct: staff of a national agency have a membership per municipality they serve.
    return Agency.objects.filter(memberships__user=user, memberships__role=Role.STAFF).distinct()


def coordinated_municipalities(user):
    """Municipalities whose visit logs ``user`` may read and correct as a
    coordinator (None: all, for superusers)."""
    if user.is_superuser:
        return None
    return Municipality.objects.filter(memberships__user=user, memberships__role=Role.COORDINATOR)


def venues_for_logging(user):
    """The venues ``user`` may log visits at or move a log to. A
    coordinator works for their own municipalities only, for new and
    corrected logs alike, whatever agency they also staff; staff work where
    their agencies do (a national agency, such as Skatteverket, anywhere).
    One query expression, so the log form's query count stays fixed."""
    if user.is_superuser:
        return Venue.objects.all()
    coordinating = Membership.objects.filter(user=user, role=Role.COORDINATOR)
    staffed = agencies_for(user)
    staff_venues = Q(municipality__in=staffed.values("municipality")) | Q(
        Exists(staffed.filter(municipality__isnull=True))
    )
    return Venue.objects.filter(
        Q(municipality__in=coordinating.values("municipality")) | (~Q(Exists(coordinating)) & staff_venues)
    )


# Statistics. Who may see whose figures, as plain ids, so the statistics
# module can narrow visits and occurrences with them.


@dataclass(frozen=True)
class StatisticsScope:
    """The figures a user may see: ``everything`` (project leads and
    superusers), or the visits at ``municipality_ids``' venues (coordinators)
    together with the visits of ``agency_ids`` (staff). A staff member's
    agencies work in ``agency_municipality_ids``, or in every municipality
    when one of them is national (``national_staff``, e.g. Skatteverket)."""

    everything: bool = False
    municipality_ids: frozenset = frozenset()
    agency_ids: frozenset = frozenset()
    agency_municipality_ids: frozenset = frozenset()
    national_staff: bool = False


def statistics_scope(user):
    """Whose statistics ``user`` may see, or ``None`` when they may see none
    (no role): superusers and project leads of the whole installation all
    municipalities, project leads of a region and coordinators their
    municipalities, staff their agencies. One query (a project lead's row
    comes once per municipality of the project)."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return StatisticsScope(everything=True)
    memberships = list(
        user.memberships.values(
            "role",
            "municipality_id",
            "agency_id",
            "agency__municipality_id",
            "agency__level",
            "municipalities",
        )
    )
    led = [m["municipalities"] for m in memberships if m["role"] == Role.PROJECT_LEAD]
    if led and None in led:
        return StatisticsScope(everything=True)
    if not memberships:
        return None
    staff = [m for m in memberships if m["role"] == Role.STAFF]
    return StatisticsScope(
        municipality_ids=frozenset(m["municipality_id"] for m in memberships if m["role"] == Role.COORDINATOR)
        | frozenset(led),
        agency_ids=frozenset(m["agency_id"] for m in staff),
        agency_municipality_ids=frozenset(m["agency__municipality_id"] for m in staff) - {None},
        national_staff=any(m["agency__level"] == AgencyLevel.NATIONAL for m in staff),
    )


def may_see_statistics(user):
    """For the staff menu; remembered on the user object so a page asks once."""
    if not hasattr(user, "_may_see_statistics"):
        user._may_see_statistics = statistics_scope(user) is not None
    return user._may_see_statistics
