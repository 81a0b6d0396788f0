"""Visit logs in the admin: read-only oversight for coordinators, scoped to
their municipalities. Corrections go through the staff pages, which keep
the audit trail."""

from django.contrib import admin

from agencies.admin import ScopedAdmin
from visitors.models import Booking, SmsMessage, Visit, VisitChange, WaitingListEntry


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


@admin.register(Booking)
class BookingAdmin(ReadOnlyScopedAdmin):
    """Coordinators see their municipality's bookings; staff work with them
    on "my day" (mark who came, book at the desk, print a slip)."""

    municipality_path = "occurrence__slot__venue__municipality"
    list_display = (
        "starts_at",
        "reference",
        "occurrence",
        "status",
        "needs_interpreter",
        "needs_accessibility",
    )
    list_filter = ("status", "needs_interpreter", "needs_accessibility")
    date_hierarchy = "starts_at"
    list_select_related = ("occurrence__slot__agency",)
    search_fields = ("reference",)


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(ReadOnlyScopedAdmin):
    """Who waits for which full time, and how their offers went. Offers are
    made, passed on and taken by the booking service (visitors/booking.py),
    never by hand, so that the lock and the count stay in one place."""

    municipality_path = "occurrence__slot__venue__municipality"
    list_display = ("starts_at", "occurrence", "status", "offer_ends_at", "created_at")
    list_filter = ("status",)
    date_hierarchy = "starts_at"
    list_select_related = ("occurrence__slot__agency",)


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyScopedAdmin):
    municipality_path = "booking__occurrence__slot__venue__municipality"
    list_display = ("created_at", "phone", "sent_at")
    date_hierarchy = "created_at"
