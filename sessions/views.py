"""Public pages that show times: the home page, the week, the feed, the
poster and the lobby screen, and the pages about who helps where (the help
finder, the agencies, the venues, the "try" part). One view per page; the
rules live in the models, ``sessions.weeks``, the filter form and
``help_search``."""

import datetime
import re

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from agencies.models import Agency, AgencyLevel, EService, Topic, TryItem, Venue
from eserviceverkstad.i18n import format_day, sort_key
from eserviceverkstad.language_link import link_language
from sessions.calendar_feed import build_calendar, feed_etag, feed_window
from sessions.forms import ScheduleFilterForm
from sessions.help_search import next_times_by_agency, search
from sessions.models import Format, Occurrence, by_local_day, wall_clock
from sessions.page_cache import cache_public_page, not_for_others, query_filters, schedule_version
from sessions.poster import poster_pages
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


@require_safe
@cache_public_page(minutes=1)
def home(request):
    # Queries: venues with municipality; occurrences happening now; the next
    # sessions per venue.
    now = timezone.now()
    venues = list(Venue.objects.select_related("municipality"))
    here_now = {}
    for occurrence in Occurrence.objects.happening_at(now).select_related(
        "slot__agency", "slot__venue__municipality"
    ):
        here_now.setdefault(occurrence.slot.venue_id, []).append(occurrence)
    upcoming = _by_venue_id(
        Occurrence.objects.next_per("slot__venue_id", NEXT_PER_VENUE, now)
        .select_related("slot__agency", "slot__venue__municipality")
        .order_by("starts_at", "pk")
    )
    rows = [
        {"venue": venue, "here_now": here_now.get(venue.pk, []), "next": upcoming.get(venue.pk, [])}
        for venue in venues
    ]
    return render(
        request,
        "sessions/home.html",
        {"rows": rows, "this_week": IsoWeek.containing(timezone.localdate()), "today": format_day(now)},
    )


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
def help_finder(request):
    # Queries, with a search that finds something: topics, agencies,
    # e-services, e-service topics, the topics each agency's series cover,
    # the answers' next times. Without a search (or with one we cannot use):
    # only the topics.
    result = search(request.GET.get("q", ""))
    return render(request, "sessions/help.html", {"result": result, "query": result.query})


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
@cache_public_page(minutes=5)
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


def _days(week, occurrences, filtered=False):
    today = timezone.localdate()
    # Weekends only appear when something happens on them; a filtered week
    # shows only its days with sessions, so on a phone the first one is in
    # view rather than below a column of empty days.
    return [
        {"date": day, "entries": entries, "is_today": day == today}
        for day, entries in by_local_day(occurrences, week.days()).items()
        if entries or (day.weekday() < 5 and not filtered)
    ]


@require_safe
@cache_public_page(filters=SCHEDULE_FILTERS)
def week(request, week=None):
    # Queries: the filter's choices (municipalities, venues, agencies,
    # topics, languages), one per filled-in filter to validate it, the
    # week's occurrences with series, agency and venue, and their topics.
    week = _week_or_404(week)
    form = ScheduleFilterForm(request.GET)
    occurrences, next_time = [], None
    if form.is_valid():
        occurrences = list(form.apply(Occurrence.objects.in_week(week.year, week.week)).for_schedule())
        if all(occurrence.is_cancelled for occurrence in occurrences):
            next_time = _next_time_after(form, week)
    else:
        not_for_others(request)
    context = {
        "week": week,
        "form": form,
        "active_filters": form.active_filters(),
        "days": _days(week, occurrences, filtered=form.is_filtered()),
        "count": len(occurrences),
        "cancelled": sum(1 for occurrence in occurrences if occurrence.is_cancelled),
        "next_time": next_time,
        "next_week": next_time and IsoWeek.containing(next_time.local_start.date()),
        "query": request.GET.urlencode(),
        # Calendar programs send no cookie: the feed link names its language.
        "feed_query": _with_language(request.GET),
        "is_current": week == IsoWeek.containing(timezone.localdate()),
    }
    return render(request, "sessions/week.html", context)


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
    rules += [f".agency-border-{a.pk}{{border-left-color:{a.colour}!important}}" for a in agencies]
    return HttpResponse("\n".join(rules), content_type="text/css; charset=utf-8")


@require_safe
@cache_public_page(filters=SCHEDULE_FILTERS)
def calendar_feed(request):
    # Queries: the schedule version (cache key and ETag); when not cached,
    # the filter's choices and chosen values, and (unless the client's copy
    # is current) the occurrences with series, agency and venue, and their
    # topics. Calendar clients poll: most requests end at the version.
    form = ScheduleFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Unknown filter in the address. Copy the calendar link from the schedule page again."),
            content_type="text/plain; charset=utf-8",
        )
    occurrences = form.apply(Occurrence.objects.between(*feed_window()))
    version = schedule_version(request)
    etag = quote_etag(feed_etag(version, request.GET.urlencode(), get_language()))
    last_modified = version // 1_000_000_000
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
    response.content = build_calendar(occurrences, _("E-service workshop"))
    response["Content-Disposition"] = 'inline; filename="eserviceverkstad.ics"'
    return response


@require_safe
@cache_public_page(filters=query_filters("venue"))
def poster(request, week=None):
    # Queries: the venues with their municipality; the week's sessions with
    # series, agency and venue. (?venue=<slug> prints one venue.)
    week = _week_or_404(week)
    venues = Venue.objects.select_related("municipality")
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
    context = {"week": week, "pages": poster_pages(request, week, venues, occurrences)}
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
