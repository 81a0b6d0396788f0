"""Staff pages: "my day", the visit log form, my logs and the change log.
One view per action; permissions through ``staff_required`` and the rules
in ``agencies.permissions`` and ``visitors.services``."""

import datetime
import tempfile
import uuid
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseNotFound,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.permissions import agencies_for, coordinated_municipalities, is_project_lead, is_staff_member
from eserviceverkstad.db_routing import reads_statistics
from eserviceverkstad.fields import is_id
from sessions.models import Occurrence, by_local_day, wall_clock
from sessions.page_cache import cache_public_page, query_filters
from visitors import open_data
from visitors.booking import bookings_for, call_list, offers_to_call
from visitors.charts import charts_for
from visitors.export_jobs import download_name, export_storage, start_export
from visitors.exports import XLSX_TYPE as XLSX
from visitors.exports import csv_chunks, visits_for_export, write_workbook
from visitors.forms import CLOCK_SKEW, TallySaveForm, VisitForm
from visitors.models import (
    EDIT_WINDOW,
    MODE_FOR_FORMAT,
    OCCURRENCE_MARGIN,
    BookingStatus,
    ExportJob,
    Mode,
    TallyCount,
    VisitChange,
)
from visitors.services import (
    EditRule,
    OccurrenceRemoved,
    delete_visit,
    record_visit,
    save_tally,
    tap,
    update_visit,
    visits_for,
)
from visitors.statistics import Period, Scope, StatsFilter, build_report

LATEST_LOGS = 10
NEXT_COUNT = 3
LOGS_PER_PAGE = 50
# Project leads report on every municipality: their statistics.
PROJECT_LEAD_START = "visitors:stats"


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def json_refusal(request):
    """401 or 403 as JSON for a script, which would read the login page
    that a redirect leads to as success; None when the user may go on."""
    if not request.user.is_authenticated:
        message = _("You are logged out. Log in again, and what waits is sent.")
        return JsonResponse({"error": "login_required", "message": message}, status=401)
    if not is_staff_member(request.user):
        message = _("Only staff can log visits.")
        return JsonResponse({"error": "forbidden", "message": message}, status=403)
    return None


def staff_required(view):
    """Login first; then only staff, coordinators and superusers (403).
    A script (Accept: application/json) gets 401 or 403 as JSON instead.
    The staff pages are the offline web app: they link the manifest, and
    tell the service worker whose copy of the page it may keep."""

    page = _staff_page(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if wants_json(request) and (refusal := json_refusal(request)):
            return refusal
        return page(request, *args, **kwargs)

    return wrapper


def _staff_page(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied
        # Staff and coordinators see statistics: the menu need not ask again.
        request.user._may_see_statistics = True
        request.is_staff_app = True
        response = view(request, *args, **kwargs)
        response["X-Staff-User"] = str(request.user.pk)
        return response

    return wrapper


@require_safe
@login_required
def start(request):
    """Where a login lands: each role at the page it works from."""
    if is_staff_member(request.user):
        return redirect("visitors:my_day")
    if is_project_lead(request.user):
        return redirect(PROJECT_LEAD_START)
    return render(request, "visitors/no_role.html", status=403)


@require_safe
@staff_required
def my_day(request):
    # Queries: session, user, staff check; my agencies' occurrences from
    # today to the end of the week with series, agency and venue; their
    # bookings I may see, with topic; the next ones after this week; the
    # call list (bookings on cancelled sessions without e-mail); the open
    # waiting-list offers to phone-only residents; my latest logs with
    # agency and venue, and their topics.
    today = timezone.localdate()
    sunday_night = wall_clock(today + datetime.timedelta(days=7 - today.weekday()), datetime.time())
    mine = Occurrence.objects.filter(slot__agency__in=agencies_for(request.user)).select_related(
        "slot__agency", "slot__venue__municipality"
    )
    bookings = Prefetch(
        "bookings",
        queryset=bookings_for(request.user).exclude(status=BookingStatus.CANCELLED).select_related("topic"),
        to_attr="visible_bookings",
    )
    occurrences = list(
        mine.between(wall_clock(today, datetime.time()), sunday_night)
        .prefetch_related(bookings)
        .order_by("starts_at")
    )
    tally_opens = timezone.now() + OCCURRENCE_MARGIN
    for occurrence in occurrences:
        occurrence.can_tally = occurrence.starts_at <= tally_opens
    days = by_local_day(occurrences)
    context = {
        "today": days.pop(today, []),
        "later": [occurrence for entries in days.values() for occurrence in entries],
        # Without this, a week without sessions would say only "nothing".
        "next_weeks": mine.scheduled()
        .filter(starts_at__gte=sunday_night)
        .prefetch_related(bookings)
        .order_by("starts_at")[:NEXT_COUNT],
        "latest": visits_for(request.user).filter(logged_by=request.user).for_list()[:LATEST_LOGS],
        "call_list": list(call_list(request.user)),
        "offers_to_call": list(offers_to_call(request.user)),
    }
    return render(request, "visitors/my_day.html", context)


def _occurrence_from_query(request, form):
    raw = request.GET.get("occurrence", "")
    if not is_id(raw):
        return None
    return form.fields["occurrence"].queryset.filter(pk=int(raw)).first()


def _prefill_from_booking(request, form, occurrence):
    """ "Log a visit" from a booking: the help was booked, about its topic,
    in the language the resident asked for."""
    raw = request.GET.get("booking", "")
    if not is_id(raw):
        return
    booking = bookings_for(request.user).filter(pk=int(raw), occurrence=occurrence).first()
    if booking is None:
        return
    form.initial["mode"] = Mode.BOOKED
    if booking.topic_id:
        form.initial["topics"] = [booking.topic_id]
    if booking.language and booking.language in dict(form.fields["language"].choices):
        form.initial["language"] = booking.language


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def visit_new(request):
    if request.method == "POST":
        form = VisitForm(request.POST, user=request.user)
        visit, created = save_visit_form(form, request.user)
        if visit is not None:
            return redirect(after_saving(request, visit, created))
    else:
        form = VisitForm(user=request.user)
        occurrence = _occurrence_from_query(request, form)
        if occurrence is not None:
            form.prefill_for(occurrence)
            _prefill_from_booking(request, form, occurrence)
        form.initial.setdefault("started_at", timezone.localtime().replace(second=0, microsecond=0))
    return render(request, "visitors/visit_form.html", {"form": form, "is_new": True})


def save_visit_form(form, user):
    """(visit, created) from the log form, or (None, False) with the form's
    errors, among them a scheduled time removed while it was filled in."""
    if not form.is_valid():
        return None, False
    try:
        return record_visit(form, user)
    except OccurrenceRemoved:
        form.add_error("occurrence", _("This time was just removed from the schedule. Choose another."))
        return None, False


def after_saving(request, visit, created):
    """Say that the visit is saved (or was already) and where to go next:
    the form again for "save and log another", else "my day"."""
    if created:
        messages.success(request, _("The visit is saved."))
    else:
        messages.info(request, _("This visit was already saved."))
    if "another" in request.POST and visit.occurrence_id:
        return f"{reverse('visitors:visit_new')}?occurrence={visit.occurrence_id}"
    return reverse("visitors:my_day")


@require_safe
@staff_required
def visit_list(request):
    # Queries: session, user, staff check, count for the pager, the page's
    # visits with agency, venue, referral and occurrence, their topics,
    # their e-services, and the coordinated municipalities for "may correct".
    visits = visits_for(request.user).for_list()
    page = Paginator(visits, LOGS_PER_PAGE).get_page(request.GET.get("page"))
    rule = EditRule(request.user)
    rows = [(visit, rule.allows(visit)) for visit in page]
    return render(request, "visitors/visit_list.html", {"page": page, "rows": rows})


def _editable_visit_or_403(request, pk):
    visit = get_object_or_404(visits_for(request.user).select_related("venue"), pk=pk)
    if not EditRule(request.user).allows(visit):
        raise PermissionDenied
    return visit


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def visit_edit(request, pk):
    visit = _editable_visit_or_403(request, pk)
    form = VisitForm(request.POST or None, instance=visit, user=request.user)
    if request.method == "POST" and form.is_valid():
        update_visit(form, request.user)
        messages.success(request, _("The changes are saved."))
        return redirect("visitors:visit_list")
    return render(request, "visitors/visit_form.html", {"form": form, "visit": visit})


@require_POST
@staff_required
def visit_delete(request, pk):
    visit = _editable_visit_or_403(request, pk)
    delete_visit(visit, request.user)
    messages.success(request, _("The visit is deleted."))
    return redirect("visitors:visit_list")


@require_safe
@staff_required
def change_log(request):
    """Every change to visit logs in the coordinator's municipalities."""
    municipalities = coordinated_municipalities(request.user)
    changes = VisitChange.objects.select_related("user", "municipality")
    if municipalities is not None:
        if not municipalities.exists():
            raise PermissionDenied
        changes = changes.filter(municipality__in=municipalities)
    page = Paginator(changes, LOGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "visitors/change_log.html", {"page": page})


def _tally_occurrence_or_404(request, pk):
    """An occurrence of the user's agencies in the past 14 days, not
    cancelled, that has begun (give or take the margin a visit may start
    before it): a tally taps help as it happens."""
    now = timezone.now()
    return get_object_or_404(
        Occurrence.objects.scheduled()
        .filter(slot__agency__in=agencies_for(request.user))
        .between(now - EDIT_WINDOW, now + OCCURRENCE_MARGIN)
        .select_related("slot__agency", "slot__venue"),
        pk=pk,
    )


@require_safe
@staff_required
def tally(request, pk):
    occurrence = _tally_occurrence_or_404(request, pk)
    counts = {
        c.topic_id: c.count for c in TallyCount.objects.filter(occurrence=occurrence, user=request.user)
    }
    counters = [(topic, counts.get(topic.pk, 0)) for topic in occurrence.slot.topics.all()]
    context = {
        "occurrence": occurrence,
        "counters": counters,
        "other": counts.get(None, 0),
        "total": sum(counts.values()),
        "form": TallySaveForm(occurrence=occurrence),
    }
    return render(request, "visitors/tally.html", context)


@require_POST
@staff_required
def tally_tap(request, pk):
    occurrence = _tally_occurrence_or_404(request, pk)
    raw_topic, step = request.POST.get("topic", ""), -1 if request.POST.get("step") == "-1" else 1
    topic = None
    if raw_topic != "other":
        topic = get_object_or_404(occurrence.slot.topics.all(), pk=raw_topic) if is_id(raw_topic) else None
        if topic is None:
            raise Http404("No such counter")
    try:
        key, tapped_at = tap_key_and_time(request.POST, occurrence)
    except ValidationError as error:
        return JsonResponse({"error": "invalid", "message": error.messages[0]}, status=400)
    count = tap(occurrence, request.user, topic, step, now=tapped_at, key=key)
    if wants_json(request):
        # The page's script taps without a reload, so the total stays in view.
        total = sum(
            TallyCount.objects.filter(occurrence=occurrence, user=request.user).values_list(
                "count", flat=True
            )
        )
        return JsonResponse({"count": count, "total": total})
    return redirect(f"{reverse('visitors:tally', args=[occurrence.pk])}#counter-{raw_topic}")


def tap_key_and_time(data, occurrence, now=None):
    """A tap sent later from the tablet's queue carries its one-time key
    and when it happened: not before the tally opened (the session's start
    less the margin), not ahead of the server beyond a phone's clock skew
    (a little ahead is taken as now)."""
    now = now or timezone.now()
    raw_key, raw_time = data.get("tap_key", ""), data.get("tapped_at", "")
    try:
        key = uuid.UUID(raw_key) if raw_key else None
    except ValueError:
        raise ValidationError(_("The tap's key is not valid.")) from None
    if not raw_time:
        return key, None
    try:
        tapped_at = parse_datetime(raw_time)
    except ValueError:
        tapped_at = None
    if tapped_at is None or timezone.is_naive(tapped_at):
        raise ValidationError(_("The time of the tap is not valid."))
    if tapped_at > now + CLOCK_SKEW or tapped_at < occurrence.starts_at - OCCURRENCE_MARGIN:
        raise ValidationError(_("The time of the tap is outside the session's time."))
    return key, min(tapped_at, now)


@require_POST
@staff_required
def tally_save(request, pk):
    occurrence = _tally_occurrence_or_404(request, pk)
    form = TallySaveForm(request.POST, occurrence=occurrence)
    if not form.is_valid():
        messages.error(
            request, _("Choose how long the visits took, their outcome and language, then save again.")
        )
        return redirect("visitors:tally", pk=occurrence.pk)
    mode = MODE_FOR_FORMAT.get(occurrence.slot.format)
    saved = save_tally(occurrence, request.user, mode=mode, **form.cleaned_data)
    messages.success(
        request,
        ngettext("%(count)s visit is saved.", "%(count)s visits are saved.", saved) % {"count": saved},
    )
    return redirect("visitors:my_day")


def _stats_query(period, filters, publication):
    """The page's GET parameters for ``period`` and ``filters`` (bookmarkable)."""
    params = {**period.query(), **filters.query(), **({"publication": "on"} if publication else {})}
    return urlencode(params)


@require_safe
@login_required
# Innermost: the login (session and user) is read on the primary first.
@reads_statistics
def statistics(request):
    """Visit statistics for the user's scope. Queries (23, whatever the
    number of visits): session, user (on the primary); the user's
    memberships (scope); the municipalities, venues and agencies in scope
    (the filter form); then the 17 of ``build_report``: headline counts,
    nine breakdowns, staffed hours per series, visits per series, the
    heatmap's visits and scheduled hours, the referral matrix, the 12-month
    trend and the bookings per series. All but the first two on the read
    replica, when there is one."""
    scope = Scope.for_user(request.user)
    request.user._may_see_statistics = True
    form = StatsFilter(request.GET, scope=scope)
    if not form.is_valid():
        if form.out_of_scope:
            raise Http404("Outside the user's scope")
        return render(request, "visitors/statistics.html", {"form": form}, status=400)
    report = build_report(scope, form.period, form.filters, form.publication)
    args = (form.filters, form.publication)
    context = {
        "form": form,
        "report": report,
        "charts": charts_for(report),
        "previous_query": _stats_query(form.period.previous(), *args),
        "next_query": _stats_query(form.period.next(), *args),
        "publication_query": _stats_query(form.period, form.filters, not form.publication),
        "this_query": _stats_query(form.period, *args),
    }
    return render(request, "visitors/statistics.html", context)


def _stats_form(request):
    """(scope, valid form, None) or (scope, form, the page with its errors);
    404 for a choice outside the user's scope, 403 without a role."""
    scope = Scope.for_user(request.user)
    form = StatsFilter(request.GET, scope=scope)
    if form.is_valid():
        return scope, form, None
    if form.out_of_scope:
        raise Http404("Outside the user's scope")
    return scope, form, render(request, "visitors/statistics.html", {"form": form}, status=400)


def _export_name(form, extension):
    suffix = "-publication" if form.publication else ""
    return f"e-serviceverkstad-{form.period.code()}{suffix}.{extension}"


@require_safe
@login_required
def statistics_export_csv(request):
    """The visit-level rows of the page's period and filters, streamed.
    Publication mode has none: 404 with a message pointing to the workbook,
    whose tables are the published figures."""
    scope, form, error = _stats_form(request)
    if error:
        return error
    if form.publication:
        return HttpResponseNotFound(
            _(
                "For publication there are no visit-level rows. Download the workbook instead: "
                "it has the published tables."
            ),
            content_type="text/plain; charset=utf-8",
        )
    visits = visits_for_export(scope, form.period, form.filters)
    response = StreamingHttpResponse(csv_chunks(visits), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _export_name(form, "csv"))
    return response


@require_safe
@login_required
def statistics_export_xlsx(request):
    """The workbook of the page's period and filters. Above
    STATS_EXPORT_ASYNC_ROWS visit rows a background task builds it and the
    user is sent to the page where it can be downloaded."""
    scope, form, error = _stats_form(request)
    if error:
        return error
    visits = None if form.publication else visits_for_export(scope, form.period, form.filters)
    if visits is not None and visits.count() > settings.STATS_EXPORT_ASYNC_ROWS:
        query = _stats_query(form.period, form.filters, form.publication)
        job = start_export(request.user, query, translation.get_language())
        return redirect("visitors:stats_export_job", pk=job.pk)
    report = build_report(scope, form.period, form.filters, form.publication)
    # Closed (and so deleted) by the response once it has been sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    write_workbook(report, target, visits)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=_export_name(form, "xlsx"), content_type=XLSX)


def _own_job_or_404(request, pk):
    # Another user's job is a 404, as if it did not exist.
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@require_safe
@login_required
def stats_export_job(request, pk):
    job = _own_job_or_404(request, pk)
    return render(request, "visitors/export_job.html", {"job": job, "Status": ExportJob.Status})


@require_safe
@login_required
def stats_export_download(request, pk):
    job = _own_job_or_404(request, pk)
    if job.status != ExportJob.Status.READY:
        raise Http404("Not ready")
    storage = export_storage()
    if not storage.exists(job.file_name):
        raise Http404("Deleted")
    return FileResponse(
        storage.open(job.file_name, "rb"), as_attachment=True, filename=download_name(job), content_type=XLSX
    )


# --- Open data (public) ------------------------------------------------------


def _closed_month_or_404(code):
    try:
        period = Period.parse(code)
    except ValueError:
        raise Http404("No such month") from None
    if period.kind != "month" or not open_data.is_closed(period):
        raise Http404("Not published")
    return period


@require_safe
@cache_public_page(filters=query_filters("month"))
def open_data_page(request):
    """The published figures of one closed month (?month=2026-10, default
    the latest) per municipality, and links to every month's CSV and JSON.
    Queries: the first visit (the list of months), the municipalities, then
    build_report's for each municipality."""
    months = open_data.closed_months()
    period = _closed_month_or_404(request.GET["month"]) if request.GET.get("month") else None
    if period is None and months:
        period = months[0]
    context = {
        "months": months,
        "period": period,
        "municipalities": open_data.month_figures(period) if period else [],
        "licence_url": open_data.LICENCE_URL,
    }
    return render(request, "visitors/open_data.html", context)


@require_safe
@cache_public_page
def open_data_month(request, month, extension):
    period = _closed_month_or_404(month)
    if extension == "json":
        response = JsonResponse(open_data.as_json(period), json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(open_data.as_csv(period), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        False, f"e-serviceverkstad-{month}.{extension}"
    )
    return response
