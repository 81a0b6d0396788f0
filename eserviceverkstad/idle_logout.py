"""A login ends after STAFF_IDLE_MINUTES without a request: the tablet in
the workshop is shared, and the next person's visits must never be logged
under the previous one's name.

The time of the last request is kept in the session, written at most once
a minute, so a busy page does not write the session on every request."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

LAST_SEEN = "last_seen"
WRITE_EVERY_SECONDS = 60


@receiver(user_logged_in)
def note_login_time(sender, request, user, **kwargs):
    # So the first request after logging in need not write the session.
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class IdleLogoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idle_seconds = settings.STAFF_IDLE_MINUTES * 60
        # Without a session cookie there is no login (and no need to touch
        # the session, which would make public responses vary on it).
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if idle_seconds > 0 and has_session and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > idle_seconds:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_MINUTES},
                )
            elif self._is_due(last_seen, now) and not request.headers.get("X-Background-Sync"):
                # A queue sending by itself (static/js/offline.js) is not
                # somebody at the tablet.
                request.session[LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _is_due(last_seen, now):
        return last_seen is None or now - last_seen >= WRITE_EVERY_SECONDS
