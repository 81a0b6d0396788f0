"""The first path segments the site itself uses (``admin``, ``schedule``,
``book``, ``staff`` …), read from the URLconf, so that a municipality's
page ``/<slug>/`` can never take one of them: a path added to any urls.py
later is reserved from then on without a list to keep up to date.

Only Django's URL resolver is read; nothing of the project is imported, so
every app may use this."""

import functools

from django.conf import settings
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

# Characters that end the literal start of a regular expression.
REGEX_SPECIAL = set(".^$*+?{}[]|()")


def _literal_start_of_route(route):
    # "schedule/<slug:x>/" -> "schedule"; "<slug:municipality>/" -> "".
    segment = route.split("/", 1)[0]
    return "" if "<" in segment else segment


def _literal_start_of_regex(regex):
    # r"^open-data/(?P<month>\d{4}-\d{2})\.csv$" -> "open-data".
    text, literal, index = regex.removeprefix("^"), [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and not text[index + 1].isalnum():
            literal.append(text[index + 1])
            index += 2
            continue
        if char == "/":
            return "".join(literal)
        if char == "$" and index == len(text) - 1:
            break
        if char in REGEX_SPECIAL or char == "\\":
            # The segment goes on with a pattern ("foo(?P<x>..)"): no whole
            # literal segment to reserve.
            return ""
        literal.append(char)
        index += 1
    return "".join(literal)


def _first_segment(pattern):
    if isinstance(pattern, RoutePattern):
        return _literal_start_of_route(str(pattern))
    if isinstance(pattern, RegexPattern):
        return _literal_start_of_regex(pattern.regex.pattern)
    return ""


def _segments(patterns):
    for entry in patterns:
        segment = _first_segment(entry.pattern)
        if segment:
            yield segment
        elif isinstance(entry, URLResolver):
            # An include() without a prefix: its own paths are the site's.
            yield from _segments(entry.url_patterns)


def _url_prefix_segment(url):
    # STATIC_URL "static/" or "/static/" -> "static"; a full URL on another
    # host reserves nothing here.
    if not url or "://" in url:
        return ""
    return url.strip("/").split("/", 1)[0]


@functools.lru_cache(maxsize=8)
def _reserved_for(resolver):
    reserved = {segment.lower() for segment in _segments(resolver.url_patterns)}
    for url in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", "")):
        if _url_prefix_segment(url):
            reserved.add(_url_prefix_segment(url).lower())
    return frozenset(reserved)


def reserved_path_segments(urlconf=None):
    """The first path segments of the site's own URLs, lower-cased. Keyed on
    the resolver, which Django makes anew when ROOT_URLCONF changes."""
    return _reserved_for(get_resolver(urlconf))


def is_reserved(segment, urlconf=None):
    return segment.lower() in reserved_path_segments(urlconf)
