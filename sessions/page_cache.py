"""A cache for the public schedule pages.

Anonymous visitors far outnumber staff, and the week page is the same for
all of them, so whole rendered pages are kept per process (local memory)
under a key that includes the *schedule version*. Any change to the
schedule stores a new version in the shared database cache, so every app
server stops using its old pages at once; nothing is ever served stale.

The version is written through the database cache inside the same
transaction as the change, so it becomes visible exactly when the change
does (and disappears with a rollback).
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

VERSION_KEY = "schedule-version"
# A safety net only: pages are replaced as soon as the version changes.
PAGE_SECONDS = 600


def schedule_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def schedule_changed(*args, **kwargs):
    """Signal receiver and plain function: the schedule changed."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def _is_personal(request):
    # Logged-in staff see their own menu; a pending message is for one person.
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def _key(view, request):
    parts = [view.__name__, str(schedule_version()), get_language(), timezone.localdate().isoformat()]
    return "page:" + hashlib.sha256("|".join(parts + [request.get_full_path()]).encode()).hexdigest()


def cache_public_page(view):
    """Serve the view's 200 responses from the page cache for anonymous
    visitors. The view must not render per-visitor content (no CSRF token)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or _is_personal(request):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = _key(view, request)
        cached = pages.get(key)
        if cached is not None:
            content, content_type = cached
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies:
            pages.set(key, (response.content, response["Content-Type"]), PAGE_SECONDS)
        return response

    return wrapper
