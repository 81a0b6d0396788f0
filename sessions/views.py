"""Public pages that show times: the home page, the week, the feed, the
poster and the lobby screen, and the pages about who helps where (the help
finder, the agencies, the venues, the "try" part). One view per page; the
rules live in the models, ``sessions.weeks``, the filter form and
``help_search``."""

import datetime
import re

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from agencies.models import Agency, AgencyLevel, EService, Municipality, Topic, TryItem, Venue
from eserviceverkstad.i18n import format_day, sort_key
from eserviceverkstad.language_link import link_language
from sessions.calendar_feed import build_calendar, feed_etag, feed_window
from sessions.forms import ScheduleFilterForm
from sessions.help_search import next_times_by_agency, search
from sessions.models import Format, Occurrence, by_local_day, wall_clock
from sessions.municipalities import (
    all_slugs,
    by_region,
    chosen_page_redirect,
    matching,
    remember,
    scoped_redirect,
)
from sessions.page_cache import (
    cache_public_page,
    not_for_others,
    query_filters,
    schedule_versions,
    venue_page_versions,
)
from sessions.poster import poster_pages
from sessions.week_entries import WeekEntries, by_day, day_html, filter_fields
from sessions.weeks import IsoWeek

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")
# How many coming sessions the home page, an agency's page (per venue) and
# the "try" page (per venue) list.
NEXT_PER_VENUE = 3
# The GET parameters the week page and the feed read; the page cache keys
# on them alone and the views see no others.
SCHEDULE_FILTERS = query_filters(*ScheduleFilterForm.base_fields)


def _by_venue_id(occurrences):
    by_venue = {}
    for occurrence in occurrences:
        by_venue.setdefault(occurrence.slot.venue_id, []).append(occurrence)
    return by_venue


def _venue_now_rows(venues, occurrences):
    # Queries: occurrences happening now; the next sessions per venue.
    now = timezone.now()
    here_now = _by_venue_id(
        occurrences.happening_at(now).select_related("slot__agency", "slot__venue__municipality")
    )
    upcoming = _by_venue_id(
        occurrences.next_per("slot__venue_id", NEXT_PER_VENUE, now)
        .select_related("slot__agency", "slot__venue__municipality")
        .order_by("starts_at", "pk")
    )
    return [
        {"venue": venue, "here_now": here_now.get(venue.pk, []), "next": upcoming.get(venue.pk, [])}
        for venue in venues
    ]


@require_safe
def home(request):
    """``/``: with one municipality, who is here now and next at every
    venue; with several, "Where do you live?", or straight to the page of
    the municipality the resident chose before."""
    chosen = chosen_page_redirect(request)
    if chosen is not None:
        patch_vary_headers(chosen, ["Cookie"])
        return chosen
    response = _front_page(request)
    patch_vary_headers(response, ["Cookie"])
    return response


@cache_public_page(minutes=1, filters=query_filters("q"))
def _front_page(request):
    # Queries: the municipalities. With one: venues with municipality;
    # occurrences happening now; the next sessions per venue.
    municipalities = list(Municipality.objects.all())
    if len(municipalities) > 1:
        return _municipality_chooser(request, municipalities)
    venues = list(Venue.objects.select_related("municipality"))
    return render(request, "sessions/home.html", _here_now(venues, Occurrence.objects.all()))


def _here_now(venues, occurrences):
    """The start pages' context: each venue's here now and next, today."""
    return {
        "rows": _venue_now_rows(venues, occurrences),
        "this_week": IsoWeek.containing(timezone.localdate()),
        "today": format_day(timezone.now()),
    }


def _municipality_chooser(request, municipalities):
    query = request.GET.get("q", "").strip()[:100]
    shown = matching(municipalities, query) if query else municipalities
    context = {"query": query, "regions": by_region(shown), "count": len(shown), "total": len(municipalities)}
    return render(request, "sessions/municipality_chooser.html", context)


def _municipality_or_404(slug):
    return get_object_or_404(Municipality, slug=slug)


@require_safe
@cache_public_page(minutes=1)
def municipality_home(request, municipality):
    # Queries: the municipality; its venues; occurrences happening now
    # there; the next sessions per venue.
    place = _municipality_or_404(municipality)
    venues = list(place.venues.all())
    for venue in venues:
        venue.municipality = place
    context = _here_now(venues, Occurrence.objects.filter(slot__venue__municipality=place))
    return render(request, "sessions/municipality_home.html", {**context, "page_municipality": place})


@require_safe
def choose_municipality(request, municipality):
    """A link on "Where do you live?": remember the choice, go to its page.
    Never cached: it sets a cookie."""
    place = _municipality_or_404(municipality)
    return remember(HttpResponseRedirect(reverse("municipality:home", args=[place.slug])), place)


def _without(query, name):
    query = query.copy()
    query.pop(name, None)
    return query


def _with_language(query):
    if language := link_language():
        query = query.copy()
        query["lang"] = language
    return query.urlencode()


def _by_name(objects):
    # Sorted in Python by ICU: the same order on every database, each
    # language's own (å, ä, ö last in Swedish).
    return sorted(objects, key=lambda obj: sort_key(obj.name))


@require_safe
@cache_public_page(minutes=5, filters=query_filters("q"))
def help_finder(request, municipality=None):
    # Queries, with a search that finds something: topics, agencies,
    # e-services, e-service topics, the topics each agency's series cover,
    # the answers' next times. Without a search (or with one we cannot use):
    # only the topics. Plus one: the municipality of /<municipality>/help/,
    # or at /help/ the number of municipalities (with several, the resident
    # is sent to their municipality's help finder).
    if municipality is None:
        place = None
        redirect = scoped_redirect(request, "help", all_slugs())
        if redirect is not None:
            return redirect
    else:
        place = _municipality_or_404(municipality)
    result = search(request.GET.get("q", ""), municipality=place)
    return render(
        request, "sessions/help.html", {"result": result, "query": result.query, "page_municipality": place}
    )


@require_safe
@cache_public_page(minutes=5)
def agency_list(request):
    # Queries: agencies with their municipality; their e-services; the next
    # time of each.
    agencies = _by_name(
        Agency.objects.select_related("municipality").prefetch_related(
            Prefetch("eservices", queryset=EService.objects.order_by("name"))
        )
    )
    upcoming = next_times_by_agency([agency.pk for agency in agencies], per_agency=1)
    groups = {}
    for agency in agencies:
        agency.next_time = (upcoming.get(agency.pk) or [None])[0]
        key = agency.municipality.name if agency.level == AgencyLevel.MUNICIPAL else ""
        groups.setdefault(key, []).append(agency)
    municipal = [{"name": name, "agencies": groups[name]} for name in sorted(groups, key=sort_key) if name]
    return render(
        request, "sessions/agency_list.html", {"municipal": municipal, "national": groups.get("", [])}
    )


def _venue_rows(occurrences):
    rows = [{"venue": times[0].slot.venue, "times": times} for times in _by_venue_id(occurrences).values()]
    return sorted(rows, key=lambda row: (sort_key(row["venue"].name), row["venue"].pk))


@require_safe
@cache_public_page(minutes=5)
def agency_detail(request, slug):
    # Queries: the agency with its municipality; its e-services; their
    # topics; the topics its series cover; its next times in each venue.
    agency = get_object_or_404(Agency.objects.select_related("municipality"), slug=slug)
    eservices = _by_name(agency.eservices.prefetch_related("topics"))
    topics = _by_name(Topic.objects.filter(slots__agency=agency).distinct())
    upcoming = (
        Occurrence.objects.filter(slot__agency=agency)
        .next_per("slot__venue_id", NEXT_PER_VENUE)
        .select_related("slot__venue__municipality", "slot__agency")
        .order_by("starts_at", "pk")
    )
    context = {
        "agency": agency,
        "eservices": eservices,
        "topics": topics,
        "venues": _venue_rows(upcoming),
    }
    return render(request, "sessions/agency_detail.html", context)


@require_safe
@cache_public_page(minutes=5, versions=venue_page_versions)
def venue_detail(request, slug):
    # Queries: the venue with its municipality; the coming week's sessions
    # there with series and agency; their topics; each agency's next
    # session there; the things to try there.
    venue = get_object_or_404(Venue.objects.select_related("municipality"), slug=slug)
    today = timezone.localdate()
    start = wall_clock(today, datetime.time())
    week_end = wall_clock(today + datetime.timedelta(days=7), datetime.time())
    week = Occurrence.objects.filter(slot__venue=venue).between(start, week_end).for_schedule()
    days = by_local_day(week, [today + datetime.timedelta(days=n) for n in range(7)])
    # Agencies that come less often than weekly (a monthly hour) are still
    # on the page, with the next time they are here.
    next_by_agency = (
        Occurrence.objects.filter(slot__venue=venue)
        .next_per("slot__agency_id", 1)
        .select_related("slot__agency")
        .order_by("starts_at", "pk")
    )
    context = {
        "venue": venue,
        "days": [{"date": day, "entries": found, "is_today": day == today} for day, found in days.items()],
        "further_ahead": [occurrence for occurrence in next_by_agency if occurrence.starts_at >= week_end],
        "try_items": _by_name(venue.try_items.all()),
    }
    return render(request, "sessions/venue_detail.html", context)


@require_safe
@cache_public_page(minutes=5)
def try_page(request):
    # Queries: the things to try with their venue and municipality; the next
    # "try new technology" times in each venue.
    upcoming = (
        Occurrence.objects.filter(slot__format=Format.TRY)
        .next_per("slot__venue_id", NEXT_PER_VENUE)
        .select_related("slot__agency", "slot__venue__municipality")
        .order_by("starts_at", "pk")
    )
    rows = {}
    for item in TryItem.objects.select_related("venue__municipality"):
        rows.setdefault(item.venue_id, {"venue": item.venue, "items": [], "times": []})["items"].append(item)
    for occurrence in upcoming:
        venue = occurrence.slot.venue
        rows.setdefault(venue.pk, {"venue": venue, "items": [], "times": []})["times"].append(occurrence)
    for row in rows.values():
        row["items"] = _by_name(row["items"])
    venues = sorted(
        rows.values(),
        key=lambda row: (sort_key(row["venue"].municipality.name), sort_key(row["venue"].name)),
    )
    return render(request, "sessions/try.html", {"venues": venues})


def _week_or_404(text):
    if text is None:
        return IsoWeek.containing(timezone.localdate())
    try:
        week = IsoWeek.parse(text)
    except ValueError:
        raise Http404("No such week") from None
    if not week.is_near(timezone.localdate()):
        raise Http404("Week too far away")
    return week


@require_safe
@cache_public_page(filters=SCHEDULE_FILTERS)
def week(request, week=None, municipality=None):
    # Queries: the filter's choices (municipalities, venues, agencies,
    # topics, languages), one per filled-in filter to validate it, the
    # week's sessions as plain rows with series, agency and venue, and their
    # topics. What each entry shows is made here (sessions/week_entries.py),
    # so the template follows no relation and asks nothing more.
    # On /<municipality>/schedule/: the municipality instead of the
    # municipalities' choices.
    week = _week_or_404(week)
    place = municipality and _municipality_or_404(municipality)
    form = ScheduleFilterForm(request.GET, municipality=place, whole_region_on_request=True)
    redirect = (
        None if place else scoped_redirect(request, "week", form.municipality_slugs(), *_week_arg(week))
    )
    if redirect is not None:
        return redirect
    entries, next_time = [], None
    if form.is_valid():
        entries = WeekEntries().entries(form.apply(Occurrence.objects.in_week(week.year, week.week)))
        if all(entry["cancelled"] for entry in entries):
            next_time = _next_time_after(form, week)
    else:
        not_for_others(request)
    context = {
        "week": week,
        "form": form,
        "filter_fields": filter_fields(form),
        "active_filters": form.active_filters(),
        "days": _days(week, entries, filtered=form.is_filtered()),
        "count": len(entries),
        "cancelled": sum(1 for entry in entries if entry["cancelled"]),
        "next_time": next_time,
        "next_week": next_time and IsoWeek.containing(next_time.local_start.date()),
        "query": request.GET.urlencode(),
        # Calendar programs send no cookie: the feed link names its language.
        # A feed is one municipality's, as the poster.
        "feed_query": _with_language(_without(request.GET, "area")),
        "is_current": week == IsoWeek.containing(timezone.localdate()),
        "page_municipality": place,
    }
    return render(request, "sessions/week.html", context)


def _week_arg(week):
    # /schedule/ (this week) redirects to /<municipality>/schedule/, a
    # named week to the same week there.
    return [] if week == IsoWeek.containing(timezone.localdate()) else [str(week)]


def _days(week, entries, filtered=False):
    today = timezone.localdate()
    return [
        {"date": day, "entries": day_html(found) if found else "", "is_today": day == today}
        for day, found in by_day(entries, week.days()).items()
        if found or (day.weekday() < 5 and not filtered)
    ]


def _next_time_after(form, week):
    """The next session the filters find after a week without any (an
    agency that comes once a month), so the page can lead to its week. One
    query: each agency's next session, of which the earliest is the next of
    all. From now on for a past week, so it never leads back in time."""
    after = max(timezone.now(), wall_clock(week.sunday + datetime.timedelta(days=1), datetime.time()))
    upcoming = form.apply(Occurrence.objects.all()).next_per("slot__agency_id", 1, after)
    return upcoming.order_by("starts_at", "pk").first()


@require_safe
@cache_control(max_age=300, public=True)
def agency_colours(request):
    """The agencies' schedule colours as classes, because the
    Content-Security-Policy forbids inline styles."""
    agencies = Agency.objects.only("pk", "colour")
    rules = [f".agency-{a.pk}{{background-color:{a.colour};color:{a.text_colour}}}" for a in agencies]
    # The week page's badges are links: hovered, they keep their colours.
    rules += [f"a.agency-{a.pk}:hover{{color:{a.text_colour}}}" for a in agencies]
    rules += [f".agency-border-{a.pk}{{border-left-color:{a.colour}!important}}" for a in agencies]
    return HttpResponse("\n".join(rules), content_type="text/css; charset=utf-8")


@require_safe
@cache_public_page(filters=SCHEDULE_FILTERS)
def calendar_feed(request, municipality=None):
    # Queries: the schedule versions (cache key and ETag); when not cached,
    # the filter's choices and chosen values, and (unless the client's copy
    # is current) the occurrences with series, agency and venue, and their
    # topics. Calendar clients poll: most requests end at the version.
    # /<municipality>/schedule.ics: the municipality instead of the
    # municipalities' choices. The site-wide feed with several
    # municipalities: one more, counting the events it would list.
    place = municipality and _municipality_or_404(municipality)
    form = ScheduleFilterForm(request.GET, municipality=place)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Unknown filter in the address. Copy the calendar link from the schedule page again."),
            content_type="text/plain; charset=utf-8",
        )
    occurrences = form.apply(Occurrence.objects.between(*feed_window()))
    if place is None and len(form.municipality_slugs()) > 1:
        too_wide = _site_wide_feed_refused(request, form, occurrences)
        if too_wide is not None:
            return too_wide
    versions = schedule_versions(request, SCHEDULE_FILTERS(request))
    etag = quote_etag(feed_etag(versions, request.GET.urlencode(), get_language()))
    last_modified = max(versions) // 1_000_000_000
    # A 304 keeps the validators and Cache-Control, as RFC 9110 asks, so
    # the client keeps its copy fresh and can ask again.
    response = HttpResponse(content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, max-age=900"
    # The language may come from the cookie as well as Accept-Language.
    patch_vary_headers(response, ["Cookie"])
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
    if conditional is not response:
        return conditional  # 304, or 412 for a failed If-Match
    name = (
        _("E-service workshop")
        if place is None
        else _("E-service workshop, %(municipality)s") % {"municipality": place.name}
    )
    response.content = build_calendar(occurrences, name)
    response["Content-Disposition"] = 'inline; filename="eserviceverkstad.ics"'
    return response


# The most events a site-wide feed of several municipalities lists; more is
# a whole region's year, which no calendar app shows usefully.
SITE_WIDE_FEED_LIMIT = 5000


def _site_wide_feed_refused(request, form, occurrences):
    """The 400 for a site-wide feed in an installation with several
    municipalities: without a municipality, or with more events than
    SITE_WIDE_FEED_LIMIT. Lists the municipality feeds instead."""
    if form.cleaned_data.get("municipality") and occurrences.count() <= SITE_WIDE_FEED_LIMIT:
        return None
    feeds = "\n".join(
        f"{m.name}: {request.build_absolute_uri(reverse('municipality:calendar_feed', args=[m.slug]))}"
        for m in sorted(Municipality.objects.all(), key=lambda m: sort_key(m.name))
    )
    message = _(
        "This calendar would hold the times of every municipality. "
        "Subscribe to your municipality's calendar instead:"
    )
    return HttpResponseBadRequest(f"{message}\n\n{feeds}\n", content_type="text/plain; charset=utf-8")


@require_safe
@cache_public_page(filters=query_filters("venue"))
def poster(request, week=None, municipality=None):
    # Queries: the venues with their municipality; the week's sessions with
    # series, agency and venue. (?venue=<slug> prints one venue.) Plus one:
    # the municipality of /<municipality>/schedule/print/, or at
    # /schedule/print/ the municipalities (with several, the resident is
    # sent to their municipality's poster).
    week = _week_or_404(week)
    if municipality is None:
        place = None
        redirect = scoped_redirect(request, "poster", all_slugs(), *_week_arg(week))
        if redirect is not None:
            return redirect
    else:
        place = _municipality_or_404(municipality)
    venues = Venue.objects.select_related("municipality")
    if place is not None:
        venues = venues.filter(municipality=place)
    if "venue" in request.GET:
        slug = request.GET["venue"]
        # Only a slug reaches the database (a NUL byte is a DataError there).
        if not SLUG.fullmatch(slug):
            raise Http404("No such venue")
        venues = venues.filter(slug=slug)
    venues = list(venues)
    if not venues and "venue" in request.GET:
        raise Http404("No such venue")
    occurrences = (
        Occurrence.objects.in_week(week.year, week.week)
        .filter(slot__venue__in=[venue.pk for venue in venues])
        .select_related("slot__agency", "slot__venue")
        .order_by("starts_at", "slot__agency__name")
    )
    context = {
        "week": week,
        "pages": poster_pages(request, week, venues, occurrences),
        "page_municipality": place,
    }
    return render(request, "sessions/poster.html", context)


# The lobby screen reloads itself this often (a static script; see screen.js).
SCREEN_REFRESH_SECONDS = 60
# "Later today" shows this many sessions; more would not fit the screen.
SCREEN_LATER_SHOWN = 4


@require_safe
def screen(request, venue):
    # Queries: the venue; today's sessions there with series and agency; the
    # next session after today.
    venue = get_object_or_404(Venue.objects.select_related("municipality"), slug=venue)
    # The venue's language first; ?second=en adds a line in another.
    primary = venue.language
    second = request.GET.get("second", "")
    if second == primary or second not in dict(settings.LANGUAGES):
        second = ""
    now = timezone.now()
    today = timezone.localdate()
    at_venue = Occurrence.objects.filter(slot__venue=venue).select_related("slot__agency", "slot__venue")
    todays = list(at_venue.on_day(today).order_by("starts_at", "slot__agency__name"))
    tomorrow = wall_clock(today + datetime.timedelta(days=1), datetime.time())
    context = {
        "venue": venue,
        "now": now,
        "today": today,
        "second": second,
        # A second line in Arabic beside Swedish runs right to left by itself.
        "second_rtl": bool(second) and translation.get_language_info(second)["bidi"],
        "refresh_seconds": SCREEN_REFRESH_SECONDS,
        "here_now": [o for o in todays if not o.is_cancelled and o.starts_at <= now < o.ends_at],
        "later": [o for o in todays if o.starts_at > now][:SCREEN_LATER_SHOWN],
        "next_day": at_venue.scheduled().filter(starts_at__gte=tomorrow).order_by("starts_at").first(),
    }
    with translation.override(primary):
        response = render(request, "sessions/screen.html", context)
    response["Content-Language"] = primary
    return response
