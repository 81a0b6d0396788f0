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

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date
from django.utils.translation import get_language

VERSION_KEY = "schedule-version"
# A safety net only: pages are replaced as soon as the version changes.
PAGE_SECONDS = 600
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Content-Disposition", "Cache-Control", "Vary")


def schedule_version(request=None):
    """The current version; read once per request when given the request."""
    if request is not None:
        if not hasattr(request, "schedule_version"):
            request.schedule_version = schedule_version()
        return request.schedule_version
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


def _key(view, request, minutes):
    moment = timezone.localtime()
    # Pages that show "next times" go stale with the clock, not only with
    # the schedule: their key changes every ``minutes``.
    clock = f"{moment:%Y-%m-%d}" if minutes is None else f"{moment:%Y-%m-%d %H}:{moment.minute // minutes}"
    # Host and scheme too: the poster's QR code holds the page's own address.
    parts = [
        view.__name__,
        str(schedule_version(request)),
        get_language(),
        clock,
        request.build_absolute_uri(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _from_cache(request, cached):
    content, headers = cached
    etag, last_modified = headers.get("ETag"), headers.get("Last-Modified")
    if etag or last_modified:
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=last_modified and parse_http_date(last_modified)
        )
        if not_modified is not None:
            return not_modified
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response


def cache_public_page(view=None, *, minutes=None):
    """Serve the view's 200 responses from the page cache for anonymous
    visitors, with their content type and validators (ETag, Last-Modified),
    answering 304 where the client's copy is current. The view must not
    render per-visitor content (no CSRF token)."""
    if view is None:
        return functools.partial(cache_public_page, minutes=minutes)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or _is_personal(request):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = _key(view, request, minutes)
        cached = pages.get(key)
        if cached is not None:
            return _from_cache(request, cached)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies:
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            pages.set(key, (response.content, headers), PAGE_SECONDS)
        return response

    return wrapper
