"""Public schedule pages. One view per page; the rules live in the models,
``sessions.weeks`` and the filter form."""

import datetime

from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from agencies.models import Agency, Venue
from eserviceverkstad.i18n import format_day
from sessions.calendar_feed import build_calendar, feed_etag, feed_window
from sessions.forms import ScheduleFilterForm
from sessions.models import Occurrence
from sessions.weeks import IsoWeek

# How many coming sessions the home page lists per venue.
NEXT_PER_VENUE = 3
# "Next" looks this far ahead; further is not "next" for a resident.
NEXT_WINDOW = datetime.timedelta(days=31)


def _next_per_venue(now):
    """Up to NEXT_PER_VENUE coming sessions per venue in one query, numbered
    per venue by a window function."""
    ranked = (
        Occurrence.objects.scheduled()
        .between(now, now + NEXT_WINDOW)
        .annotate(rank=Window(RowNumber(), partition_by=[F("slot__venue_id")], order_by=F("starts_at").asc()))
        .filter(rank__lte=NEXT_PER_VENUE)
        .select_related("slot__agency", "slot__venue__municipality")
    )
    by_venue = {}
    for occurrence in ranked:
        by_venue.setdefault(occurrence.slot.venue_id, []).append(occurrence)
    return by_venue


@require_GET
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


@require_GET
def week(request, week=None):
    # Queries: the filter's choices (municipalities, venues, agencies,
    # topics, languages), one per filled-in filter to validate it, the
    # week's occurrences with series, agency and venue, and their topics.
    week = _week_or_404(week)
    form = ScheduleFilterForm(request.GET)
    occurrences = []
    if form.is_valid():
        occurrences = list(form.apply(Occurrence.objects.in_week(week.year, week.week)).for_schedule())
    context = {
        "week": week,
        "form": form,
        "days": _days(week, occurrences),
        "count": len(occurrences),
        "query": request.GET.urlencode(),
        "is_current": week == IsoWeek.containing(timezone.localdate()),
    }
    return render(request, "sessions/week.html", context)


@require_GET
@cache_control(max_age=300, public=True)
def agency_colours(request):
    """The agencies' schedule colours as classes, because the
    Content-Security-Policy forbids inline styles."""
    agencies = Agency.objects.only("pk", "colour")
    rules = [f".agency-{a.pk}{{background-color:{a.colour};color:{a.text_colour}}}" for a in agencies]
    rules += [f".agency-border-{a.pk}{{border-left-color:{a.colour}!important}}" for a in agencies]
    return HttpResponse("\n".join(rules), content_type="text/css; charset=utf-8")


def _feed_validators(occurrences, request):
    stats = occurrences.aggregate(
        count=Count("pk"), changed=Max("updated_at"), series_changed=Max("slot__updated_at")
    )
    changes = [moment for moment in (stats["changed"], stats["series_changed"]) if moment]
    newest = max(changes) if changes else None
    last_modified = int(newest.timestamp()) if newest else None
    # Microseconds in the ETag: two edits within one second still differ.
    fingerprint = f"{stats['count']}|{newest.isoformat() if newest else ''}"
    return quote_etag(feed_etag(fingerprint, request.GET.urlencode(), get_language())), last_modified


@require_GET
def calendar_feed(request):
    # Queries: the filter's choices and chosen values, one aggregate for the
    # ETag, and (unless the client's copy is current) the occurrences with
    # their series, agency and venue, and their topics.
    form = ScheduleFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Unknown filter in the address. Copy the calendar link from the schedule page again."),
            content_type="text/plain; charset=utf-8",
        )
    occurrences = form.apply(Occurrence.objects.between(*feed_window()))
    etag, last_modified = _feed_validators(occurrences, request)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return not_modified
    body = build_calendar(occurrences.for_schedule(), _("E-service workshop"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    response["Content-Disposition"] = 'inline; filename="eserviceverkstad.ics"'
    response["Cache-Control"] = "public, max-age=900"
    return response
