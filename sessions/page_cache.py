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

There is one version per municipality and per venue (their series,
sessions, things to try, booking states, addresses), one for "any
municipality" and one *catalogue* version for what every page shows
(national and municipal agencies, topics, e-services, the filter's lists of
municipalities, venues and languages). A page's key holds the catalogue
version and the version of what it shows: its venue's when its filter or
address names a venue, its municipality's when it names a municipality,
"any municipality" otherwise (the home page, the unfiltered week). A change
in Kalmar bumps Kalmar's, its venue's and "any municipality", so Mjölby's
pages stay. The versions are keyed by slug (a slug change bumps the
catalogue), so reading them is one query (``get_many``) whatever the page,
and no app server keeps anything but its pages. Which models bump which
version: sessions/cache_scope.py.

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
import re
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
MUNICIPALITY_VERSION_KEY = "schedule-version:municipality:{}"
VENUE_VERSION_KEY = "schedule-version:venue:{}"
ANY_MUNICIPALITY_KEY = "schedule-version:any-municipality"
# Only a slug names a version key; anything else a visitor types reads "any".
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")
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


def _read_versions(keys):
    """The versions under ``keys``, in one query; a missing one (a new
    municipality, an emptied cache) is created first, with add(), so that
    two servers agree on it."""
    global _version_read_at
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, time.time_ns(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    _version_read_at = time.monotonic()
    return tuple(found[key] for key in keys)


def schedule_version(request=None):
    """The catalogue version, which every page's key holds; read once per
    request when given the request."""
    if request is not None:
        if not hasattr(request, "schedule_version"):
            request.schedule_version = schedule_version()
        return request.schedule_version
    return _read_versions([VERSION_KEY])[0]


def schedule_changed(*args, **kwargs):
    """Signal receiver and plain function: something every page may show
    changed (or no one knows what did), so every page is rendered anew."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def places_changed(places):
    """The schedule changed at these places, (venue slug, municipality slug)
    pairs, either may be None: only the pages that show them are rendered
    anew. Keys in a fixed order, so two transactions lock them in the same
    order."""
    keys = set()
    for venue, municipality in places:
        if venue:
            keys.add(VENUE_VERSION_KEY.format(venue))
        if municipality:
            keys.add(MUNICIPALITY_VERSION_KEY.format(municipality))
    if keys:
        keys.add(ANY_MUNICIPALITY_KEY)
        version = time.time_ns()
        for key in sorted(keys):
            cache.set(key, version, timeout=None)


# ?area=region on a municipality's week page: its whole region (sessions/forms.py).
WHOLE_REGION = "region"


def place_key(municipality_slug=None, venue_slug=None):
    """The version key of what a page shows: one venue, one municipality, or
    any of them."""
    if venue_slug and SLUG.fullmatch(venue_slug):
        return VENUE_VERSION_KEY.format(venue_slug)
    if municipality_slug and SLUG.fullmatch(municipality_slug):
        return MUNICIPALITY_VERSION_KEY.format(municipality_slug)
    return ANY_MUNICIPALITY_KEY


def place_version(municipality_slug=None, venue_slug=None):
    return _read_versions([place_key(municipality_slug, venue_slug)])[0]


def schedule_versions(request, filters):
    """The versions of what a page shows, from its filters (``venue`` or
    ``municipality``) or, failing those, the ``venue`` or ``municipality``
    part of its address. Read once per request and place."""
    named = dict(filters)
    kwargs = request.resolver_match.kwargs if getattr(request, "resolver_match", None) else {}
    municipality = named.get("municipality") or kwargs.get("municipality")
    if named.get("area") == WHOLE_REGION:
        # A municipality's whole region (sessions/forms.py): any of them.
        municipality = None
    key = place_key(municipality, named.get("venue") or kwargs.get("venue"))
    return _memoised(request, key)


def venue_page_versions(request, filters):
    """A venue's own page (its slug in the address as ``slug``)."""
    return _memoised(request, place_key(venue_slug=request.resolver_match.kwargs.get("slug")))


def _memoised(request, key):
    read_for = request.__dict__.setdefault("_schedule_versions", {})
    if key not in read_for:
        read_for[key] = _read_versions([VERSION_KEY, key])
    return read_for[key]


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
