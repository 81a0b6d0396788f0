from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "schedule"
    verbose_name = _("Schedule")

    def ready(self):
        # Every model a public schedule page shows: a change to any of them
        # retires the cached pages that show it (sessions/page_cache.py and
        # sessions/cache_scope.py). Bulk updates in sessions/schedule.py
        # name what they changed themselves.
        from sessions import cache_scope

        cache_scope.connect()
