"""Visit logs in the admin: read-only oversight for coordinators, scoped to
their municipalities. Corrections go through the staff pages, which keep
the audit trail."""

from django.contrib import admin

from agencies.admin import ScopedAdmin
from visitors.models import Visit, VisitChange


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyScopedAdmin):
    municipality_path = "venue__municipality"
    list_display = ("started_at", "agency", "venue", "duration_minutes", "people", "outcome", "logged_by")
    list_filter = ("outcome", "mode", "language", "agency", "venue")
    date_hierarchy = "started_at"
    list_select_related = ("agency", "venue", "logged_by")
    exclude = ("submission_key",)


@admin.register(VisitChange)
class VisitChangeAdmin(ReadOnlyScopedAdmin):
    municipality_path = "municipality"
    list_display = ("at", "action", "visit_ref", "user", "municipality")
    list_filter = ("action", "municipality")
    date_hierarchy = "at"
    list_select_related = ("user", "municipality")
