"""Pages that answer "who helps me with this, and where": the help finder,
the agencies, the venues, the "try" part, and the accessibility and privacy
statements. One view per page; matching lives in ``help_search``, reports in
``accessibility``."""

import datetime

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from agencies import accessibility as reports
from agencies.forms import AccessibilityReportForm
from agencies.help_search import NEXT_WINDOW, next_times_by_agency, normalise, search
from agencies.models import Agency, AgencyLevel, EService, Municipality, Topic, TryItem, Venue
from sessions.models import Format, Occurrence, wall_clock
from sessions.page_cache import cache_public_page, query_filters

# How many coming sessions an agency's page lists per venue, and the "try"
# page per venue.
NEXT_PER_VENUE = 3


def _by_display_name(objects):
    # Sorted in Python: the same order on every database and in both languages.
    return sorted(objects, key=lambda obj: normalise(obj.display_name))


@require_GET
@cache_public_page(minutes=5, filters=query_filters("q"))
def help_finder(request):
    # Queries, with a search that finds something: topics, agencies,
    # e-services, e-service topics, the topics each agency's series cover,
    # the answers' next times. Without a search (or with one we cannot use):
    # only the topics.
    result = search(request.GET.get("q", ""))
    return render(request, "agencies/help.html", {"result": result, "query": result.query})


@require_GET
@cache_public_page(minutes=5)
def agency_list(request):
    # Queries: agencies with their municipality; their e-services; the next
    # time of each.
    agencies = _by_display_name(
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
    municipal = [{"name": name, "agencies": groups[name]} for name in sorted(groups, key=normalise) if name]
    return render(
        request, "agencies/agency_list.html", {"municipal": municipal, "national": groups.get("", [])}
    )


def _next_per_venue(occurrences):
    venues = {}
    for occurrence in occurrences:
        venue = occurrence.slot.venue
        venues.setdefault(venue.pk, {"venue": venue, "times": []})["times"].append(occurrence)
    return sorted(venues.values(), key=lambda row: (normalise(row["venue"].name), row["venue"].pk))


@require_GET
@cache_public_page(minutes=5)
def agency_detail(request, slug):
    # Queries: the agency with its municipality; its e-services; their
    # topics; the topics its series cover; its next times in each venue.
    agency = get_object_or_404(Agency.objects.select_related("municipality"), slug=slug)
    eservices = _by_display_name(agency.eservices.prefetch_related("topics"))
    topics = _by_display_name(Topic.objects.filter(slots__agency=agency).distinct())
    now = timezone.now()
    upcoming = (
        Occurrence.objects.scheduled()
        .filter(slot__agency=agency)
        .between(now, now + NEXT_WINDOW)
        .first_per("slot__venue_id", NEXT_PER_VENUE)
        .select_related("slot__venue__municipality", "slot__agency")
        .order_by("starts_at", "pk")
    )
    context = {
        "agency": agency,
        "eservices": eservices,
        "topics": topics,
        "venues": _next_per_venue(upcoming),
    }
    return render(request, "agencies/agency_detail.html", context)


@require_GET
@cache_public_page(minutes=5)
def venue_detail(request, slug):
    # Queries: the venue with its municipality; the coming week's sessions
    # there with series and agency; their topics; the things to try there.
    venue = get_object_or_404(Venue.objects.select_related("municipality"), slug=slug)
    today = timezone.localdate()
    start = wall_clock(today, datetime.time())
    week = Occurrence.objects.filter(slot__venue=venue).between(start, start + datetime.timedelta(days=7))
    days = {today + datetime.timedelta(days=n): [] for n in range(7)}
    for occurrence in week.for_schedule():
        days.setdefault(occurrence.local_start.date(), []).append(occurrence)
    context = {
        "venue": venue,
        "days": [{"date": day, "entries": found, "is_today": day == today} for day, found in days.items()],
        "try_items": _by_display_name(venue.try_items.all()),
    }
    return render(request, "agencies/venue_detail.html", context)


@require_GET
@cache_public_page(minutes=5)
def try_page(request):
    # Queries: the things to try with their venue and municipality; the next
    # "try new technology" times in each venue.
    now = timezone.now()
    upcoming = (
        Occurrence.objects.scheduled()
        .filter(slot__format=Format.TRY)
        .between(now, now + NEXT_WINDOW)
        .first_per("slot__venue_id", NEXT_PER_VENUE)
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
        row["items"] = _by_display_name(row["items"])
    venues = sorted(
        rows.values(),
        key=lambda row: (normalise(row["venue"].municipality.name), normalise(row["venue"].name)),
    )
    return render(request, "agencies/try.html", {"venues": venues})


@require_http_methods(["GET", "POST"])
def accessibility(request):
    # Queries on GET: the municipalities (their contact addresses); the
    # venues for the report form.
    status = 200
    limited = False
    form = AccessibilityReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if reports.is_rate_limited(request):
            limited, status = True, 429
        elif form.is_valid():
            reports.file_report(form, request)
            messages.success(request, _("Thank you. We have received your report and sent it on."))
            return redirect(reverse("agencies:accessibility") + "#report")
    context = {
        "form": form,
        "limited": limited,
        "municipalities": list(Municipality.objects.all()),
        "statement": reports.STATEMENT,
    }
    return render(request, "agencies/accessibility.html", context, status=status)


@require_GET
def privacy(request):
    # Queries: the municipalities (who to ask).
    context = {
        "municipalities": list(Municipality.objects.all()),
        "statement": reports.STATEMENT,
        "retention_days": reports.REPORT_RETENTION_DAYS,
        "rate_window_minutes": reports.RATE_WINDOW // 60,
    }
    return render(request, "agencies/privacy.html", context)
