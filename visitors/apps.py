from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = _("Visitors")

    def ready(self):
        # Whatever path cancels an occurrence, the one cancel service sends
        # this signal after commit: everyone booked on it is told.
        from sessions.schedule import occurrences_cancelled, occurrences_moved
        from visitors.booking import move_with_occurrences, notify_occurrences_cancelled

        occurrences_cancelled.connect(notify_occurrences_cancelled, dispatch_uid="booking-notify-cancelled")
        # A series edit or a coordinator moves a session: its bookings move with it.
        occurrences_moved.connect(move_with_occurrences, dispatch_uid="booking-move-with-occurrences")

        from visitors.rollup import connect_signals

        connect_signals()
