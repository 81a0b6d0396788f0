"""A cache for the public schedule pages.

Anonymous visitors far outnumber staff, and the week page is the same for
all of them, so whole rendered pages are kept per process (local memory)
under a key that includes the *schedule version*. Any change to the
schedule stores a new version in the shared database cache, so every app
server stops using its old pages at once; nothing is ever served stale
(except while the database cannot be reached, see below).

The version is written through the database cache inside the same
transaction as the change, so it becomes visible exactly when the change
does (and disappears with a rollback).

How a page gets in and out:

- ``cache_public_page`` wraps a view. It answers a hit from the cache and,
  on a miss, runs the view on the *canonical* request (only the filters the
  page declares, one value each, in a fixed order) and marks the request.
- ``PageCacheMiddleware``, first in ``MIDDLEWARE``, stores a marked
  response once every other middleware has processed it: only then are the
  CSRF, session and messages cookies on it (a check inside the decorator
  would run before them and cache another visitor's CSRF token).

While the database cannot be reached (a PostgreSQL restart takes seconds),
the version cannot be read, so no key can be made. Then the *last good*
copy of the page is served. A page is stored once, under a key without the
version and the clock (its last good copy); the full key holds only when it
was stored, so a hit finds the copy and checks it is that one. The copy
stands in for at most LAST_GOOD_SECONDS after this process last read the
version, marked ``Cache-Control: max-age=0, must-revalidate`` with its
``Age``, so neither the browser nor a proxy keeps it. A page without such
a copy fails as any page does without its database (the friendly 503 of
eserviceverkstad/views.py).
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.cache import cc_delim_re, get_conditional_response
from django.utils.http import parse_http_date
from django.utils.translation import get_language

from eserviceverkstad.outage import DATABASE_UNREACHABLE

VERSION_KEY = "schedule-version"
# A safety net only: pages are replaced as soon as the version changes.
PAGE_SECONDS = 600
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Content-Disposition", "Cache-Control", "Vary")
# What a stored page may vary on. The key holds the language (chosen from
# Accept-Language or the language cookie); Cookie is covered because pages
# are only stored for, and served to, visitors without a session or a
# message, and a page that sets or uses any cookie is never stored. A page
# that varies on anything else is not stored.
ACCOUNTED_VARY = {"accept-language", "cookie"}
# The request attribute that marks a miss for PageCacheMiddleware.
PENDING = "_page_cache_pending"
# How long after the database was last reached a page's last good copy may
# stand in for it: a restart, not an outage that someone must notice.
LAST_GOOD_SECONDS = 600
STALE_CACHE_CONTROL = "max-age=0, must-revalidate"

logger = logging.getLogger(__name__)
# When this process last read the schedule version (time.monotonic()).
_version_read_at = None


def schedule_version(request=None):
    """The current version; read once per request when given the request."""
    if request is not None:
        if not hasattr(request, "schedule_version"):
            request.schedule_version = schedule_version()
        return request.schedule_version
    global _version_read_at
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    _version_read_at = time.monotonic()
    return version


def schedule_changed(*args, **kwargs):
    """Signal receiver and plain function: the schedule changed."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def schedule_versions(request, filters):
    """The versions of what a page shows, for its cache key. Today one
    version covers the whole schedule; this is the seam where a version per
    municipality (chosen from ``filters``) can go."""
    return (schedule_version(request),)


def query_filters(*names):
    """The page's filters as the cache sees them: the GET parameters
    ``names`` that the request has, the last value of each, sorted. Every
    other parameter is ignored, so ``?x=1`` finds the page without it and
    cannot make a new cache entry."""

    def filters(request):
        return tuple(sorted((name, request.GET[name]) for name in names if name in request.GET))

    return filters


no_filters = query_filters()


def not_for_others(request):
    """Called by a view whose filters turned out invalid: its page is not
    stored, so made-up filter values cannot fill the cache."""
    setattr(request, PENDING, None)


def _is_personal(request):
    # Logged-in staff see their own menu; a pending message is for one person.
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def _page_parts(view, request, filters):
    return [
        f"{view.__module__}.{view.__qualname__}",
        repr(filters),
        get_language(),
        # Host and scheme too: the poster's QR code holds the page's own address.
        request.scheme,
        request.get_host(),
        request.path,
    ]


def _key(view, request, filters, versions, minutes):
    moment = timezone.localtime()
    # Pages that show "next times" go stale with the clock, not only with
    # the schedule: their key changes every ``minutes``.
    clock = f"{moment:%Y-%m-%d}" if minutes is None else f"{moment:%Y-%m-%d %H}:{moment.minute // minutes}"
    parts = [*_page_parts(view, request, filters), clock, repr(versions(request, filters))]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _last_good_key(view, request, filters):
    # The same page whatever the version and the clock: the last one stored.
    return (
        "page-last-good:" + hashlib.sha256("|".join(_page_parts(view, request, filters)).encode()).hexdigest()
    )


def _stored_page(key, last_good_key):
    pages = caches["pages"]
    stored_at = pages.get(key)
    if stored_at is None:
        return None
    stored = pages.get(last_good_key)
    # Another version or clock bucket of the page may have replaced the copy.
    if stored is None or stored[2] != stored_at:
        return None
    content, headers, _stored_at = stored
    return content, headers


def _database_lately_reached():
    return _version_read_at is not None and time.monotonic() - _version_read_at <= LAST_GOOD_SECONDS


def _last_good_page(request, last_good_key):
    """The page's last good copy while the database is unreachable, marked
    so that no one keeps it; None when there is none (or the outage has
    lasted too long for it)."""
    stored = caches["pages"].get(last_good_key) if _database_lately_reached() else None
    if stored is None:
        return None
    content, headers, stored_at = stored
    headers = {
        **headers,
        "Cache-Control": STALE_CACHE_CONTROL,
        "Age": str(max(0, int(time.time() - stored_at))),
    }
    return _from_cache(request, (content, headers))


def _canonical(request, filters):
    # The view (and the templates: the language switch's "next", the week
    # page's links) sees only what the key holds, so a stored page never
    # carries the first visitor's extra parameters to the next one.
    query = QueryDict(mutable=True)
    for name, value in filters:
        query[name] = value
    query_string = query.urlencode()
    request.GET = QueryDict(query_string)
    request.META = {**request.META, "QUERY_STRING": query_string}


def _from_cache(request, cached):
    content, headers = cached
    # HEAD is the cached GET without its body, with the GET's length.
    response = HttpResponse(b"" if request.method == "HEAD" else content)
    for name, value in headers.items():
        response[name] = value
    if request.method == "HEAD":
        response["Content-Length"] = str(len(content))
    last_modified = headers.get("Last-Modified")
    # Given the response, Django's 304 keeps its ETag, Cache-Control,
    # Last-Modified and Vary, so the client can keep revalidating; without a
    # condition in the request it is the response itself.
    return get_conditional_response(
        request,
        etag=headers.get("ETag"),
        last_modified=last_modified and parse_http_date(last_modified),
        response=response,
    )


def cache_public_page(view=None, *, minutes=None, filters=no_filters, versions=schedule_versions):
    """Serve the view's 200 responses to GET and HEAD from the page cache
    for anonymous visitors, with their content type and validators (ETag,
    Last-Modified), answering 304 where the client's copy is current.

    ``filters(request)`` says which GET parameters the page reads (see
    ``query_filters``); the view sees no others. A view that finds them
    invalid calls ``not_for_others(request)``. ``versions(request,
    filters)`` gives the versions of what the page shows. Responses that
    set or use a cookie are never stored (see PageCacheMiddleware)."""
    if view is None:
        return functools.partial(cache_public_page, minutes=minutes, filters=filters, versions=versions)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or _is_personal(request):
            return view(request, *args, **kwargs)
        chosen = filters(request)
        last_good_key = _last_good_key(view, request, chosen)
        try:
            key = _key(view, request, chosen, versions, minutes)
        except DATABASE_UNREACHABLE:
            stale = _last_good_page(request, last_good_key)
            if stale is None:
                raise
            logger.warning("The database cannot be reached: served the last good copy of %s.", request.path)
            return stale
        cached = _stored_page(key, last_good_key)
        if cached is not None:
            return _from_cache(request, cached)
        _canonical(request, chosen)
        setattr(request, PENDING, (key, last_good_key))
        response = view(request, *args, **kwargs)
        # The CSRF middleware clears this flag once it has set the cookie,
        # so look now as well: a page with a token is one visitor's.
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            not_for_others(request)
        return response

    return wrapper


def _messages_used(request):
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or storage.added_new)


def _session_changed(request):
    session = getattr(request, "session", None)
    return session is not None and session.modified


def _is_storable(request, response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if _messages_used(request) or _session_changed(request):
        return False
    vary = {header.strip().lower() for header in cc_delim_re.split(response.get("Vary", "")) if header}
    return vary <= ACCOUNTED_VARY


class PageCacheMiddleware:
    """Stores the pages that ``cache_public_page`` missed, after every other
    middleware. It must come first in MIDDLEWARE: middleware sees the
    response in reverse order, so only the first one sees the cookies and
    Vary headers that the session, CSRF, messages and locale middleware add.
    Without it nothing is stored, which is slow but never wrong."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        keys = getattr(request, PENDING, None)
        if keys is not None and _is_storable(request, response):
            key, last_good_key = keys
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            pages, stored_at = caches["pages"], time.time()
            pages.set(last_good_key, (response.content, headers, stored_at), PAGE_SECONDS + LAST_GOOD_SECONDS)
            pages.set(key, stored_at, PAGE_SECONDS)
        return response
