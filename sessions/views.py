"""Public schedule pages. One view per page; the rules live in the models,
``sessions.weeks`` and the filter form."""

import datetime
import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from agencies.models import Agency, Venue
from eserviceverkstad.i18n import format_day
from sessions.calendar_feed import build_calendar, feed_etag, feed_window
from sessions.forms import ScheduleFilterForm
from sessions.models import Occurrence, wall_clock
from sessions.page_cache import cache_public_page, not_for_others, query_filters, schedule_version
from sessions.poster import poster_pages
from sessions.weeks import IsoWeek

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")
# How many coming sessions the home page lists per venue.
NEXT_PER_VENUE = 3
# "Next" looks this far ahead; further is not "next" for a resident.
NEXT_WINDOW = datetime.timedelta(days=31)
# The GET parameters the week page and the feed read; the page cache keys
# on them alone and the views see no others.
SCHEDULE_FILTERS = query_filters(*ScheduleFilterForm.base_fields)


def _next_per_venue(now):
    """Up to NEXT_PER_VENUE coming sessions per venue, in one query."""
    upcoming = (
        Occurrence.objects.scheduled()
        .between(now, now + NEXT_WINDOW)
        .first_per("slot__venue_id", NEXT_PER_VENUE)
        .select_related("slot__agency", "slot__venue__municipality")
        .order_by("starts_at")
    )
    by_venue = {}
    for occurrence in upcoming:
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
    upcoming = _next_per_venue(now)
    rows = [
        {"venue": venue, "here_now": here_now.get(venue.pk, []), "next": upcoming.get(venue.pk, [])}
        for venue in venues
    ]
    return render(
        request,
        "sessions/home.html",
        {"rows": rows, "this_week": IsoWeek.containing(timezone.localdate()), "today": format_day(now)},
    )


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


def _days(week, occurrences):
    by_day = {day: [] for day in week.days()}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.local_start.date(), []).append(occurrence)
    # Weekends only appear when something happens on them.
    return [
        {"date": day, "entries": entries, "is_today": day == timezone.localdate()}
        for day, entries in by_day.items()
        if entries or day.weekday() < 5
    ]


@require_safe
@cache_public_page(filters=SCHEDULE_FILTERS)
def week(request, week=None):
    # Queries: the filter's choices (municipalities, venues, agencies,
    # topics, languages), one per filled-in filter to validate it, the
    # week's occurrences with series, agency and venue, and their topics.
    week = _week_or_404(week)
    form = ScheduleFilterForm(request.GET)
    occurrences = []
    if form.is_valid():
        occurrences = list(form.apply(Occurrence.objects.in_week(week.year, week.week)).for_schedule())
    else:
        not_for_others(request)
    context = {
        "week": week,
        "form": form,
        "days": _days(week, occurrences),
        "count": len(occurrences),
        "query": request.GET.urlencode(),
        "is_current": week == IsoWeek.containing(timezone.localdate()),
    }
    return render(request, "sessions/week.html", context)


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
    context = {"week": week, "pages": poster_pages(request, venues, occurrences)}
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
        "refresh_seconds": SCREEN_REFRESH_SECONDS,
        "here_now": [o for o in todays if not o.is_cancelled and o.starts_at <= now < o.ends_at],
        "later": [o for o in todays if o.starts_at > now][:SCREEN_LATER_SHOWN],
        "next_day": at_venue.scheduled().filter(starts_at__gte=tomorrow).order_by("starts_at").first(),
    }
    with translation.override(primary):
        response = render(request, "sessions/screen.html", context)
    response["Content-Language"] = primary
    return response
