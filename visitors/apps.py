from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = _("Visitors")

    def ready(self):
        # Whatever path cancels an occurrence, the one cancel service sends
        # this signal after commit: everyone booked on it is told.
        from sessions.schedule import occurrences_cancelled
        from visitors.booking import notify_occurrences_cancelled

        occurrences_cancelled.connect(notify_occurrences_cancelled, dispatch_uid="booking-notify-cancelled")

        from visitors.rollup import connect_signals

        connect_signals()
