from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "schedule"
    verbose_name = _("Schedule")

    def ready(self):
        # Every model a public schedule page shows: a change to any of them
        # retires the cached pages (sessions/page_cache.py). Bulk updates in
        # sessions/schedule.py call schedule_changed() themselves.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from agencies.models import Agency, EService, Municipality, Topic, TryItem, Venue
        from sessions.models import Occurrence, StaffedSlot
        from sessions.page_cache import schedule_changed

        for model in (Municipality, Venue, Agency, Topic, EService, TryItem, StaffedSlot, Occurrence):
            post_save.connect(
                schedule_changed, sender=model, dispatch_uid=f"schedule-changed-save-{model.__name__}"
            )
            post_delete.connect(
                schedule_changed, sender=model, dispatch_uid=f"schedule-changed-del-{model.__name__}"
            )
        m2m_changed.connect(
            schedule_changed, sender=StaffedSlot.topics.through, dispatch_uid="schedule-changed-m2m"
        )
