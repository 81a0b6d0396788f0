"""The daily rollup: the one place that writes ``VisitDailyCount``,
``VisitDailyTopic``, ``VisitDailyEService`` and ``VisitMonthlyCount``.

``refresh_days(days, venue_ids)`` recomputes the (Stockholm day, venue)
cells from the raw visits, in the caller's transaction: deleting a cell's
rows and inserting its aggregates again (``INSERT … SELECT … GROUP BY``,
three statements) is simpler than counting +1/-1 and always right, whatever
changed. Signals (``connect_signals``) call it whenever a visit is saved,
deleted or its topics or e-services change; bulk writes (tally, demo) call
it themselves, and seeding calls ``replace_days``, which sets the rollup's
keys and indexes aside on PostgreSQL. ``rebuild()`` recomputes everything
(``manage.py rebuild_visit_rollup``).
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Count, F, Q, Sum, Value
from django.db.models.functions import Cast, ExtractHour, TruncDate, TruncMonth
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from agencies.models import EService, Topic, Venue
from sessions.models import STOCKHOLM, wall_clock
from visitors import bulk_load
from visitors.models import (
    RollupBreakdown,
    Visit,
    VisitDailyCount,
    VisitDailyEService,
    VisitDailyTopic,
    VisitMonthlyCount,
)

ROLLUPS = (VisitDailyCount, VisitDailyTopic, VisitDailyEService)
ROLLUP_TABLES = [model._meta.db_table for model in (*ROLLUPS, VisitMonthlyCount)]
KEY = ["day", "venue_id", "agency_id", "occurrence_id"]
CHOICE_FIELDS = {
    RollupBreakdown.OUTCOME: "outcome",
    RollupBreakdown.MODE: "mode",
    RollupBreakdown.LANGUAGE: "language",
    RollupBreakdown.DEVICE: "device",
    RollupBreakdown.AGE_BAND: "age_band",
    RollupBreakdown.FIRST_VISIT: "first_visit",
}


def local_day(started_at):
    return started_at.astimezone(STOCKHOLM).date()


def _day_ranges(days):
    """Sorted days as (first, last + 1) runs of consecutive days."""
    runs = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1][1] = day + datetime.timedelta(days=1)
        else:
            runs.append([day, day + datetime.timedelta(days=1)])
    return runs


def _visits_in(days, venue_ids):
    visits = Visit.objects.all()
    if days is not None:
        started = Q(pk__in=[])
        for first, end in _day_ranges(days):
            started |= Q(
                started_at__gte=wall_clock(first, datetime.time()),
                started_at__lt=wall_clock(end, datetime.time()),
            )
        visits = visits.filter(started)
    if venue_ids is not None:
        visits = visits.filter(venue_id__in=venue_ids)
    return visits.annotate(day=TruncDate("started_at", tzinfo=STOCKHOLM))


def _grouped(visits, **dimensions):
    """``KEY`` and ``dimensions`` (in this order), visits and people."""
    return (
        visits.annotate(**dimensions)
        .values(*KEY, *dimensions)
        .annotate(n_visits=Count("pk"), n_people=Sum("people"))
        .order_by()
    )


def _count_rows(visits):
    # Typed, so that PostgreSQL can unite it with the referral rows' agency ids.
    no_agency = Cast(Value(None), BigIntegerField())
    parts = [
        _grouped(visits, r_breakdown=Value(RollupBreakdown.TOTAL), r_value=Value(""), r_ref=no_agency),
        _grouped(
            visits,
            r_breakdown=Value(RollupBreakdown.HOUR),
            r_value=Cast(ExtractHour("started_at", tzinfo=STOCKHOLM), CharField()),
            r_ref=no_agency,
        ),
        _grouped(
            visits.filter(referred_to__isnull=False),
            r_breakdown=Value(RollupBreakdown.REFERRAL),
            r_value=Value(""),
            r_ref=F("referred_to_id"),
        ),
    ]
    parts += [
        _grouped(visits, r_breakdown=Value(breakdown), r_value=F(field), r_ref=no_agency)
        for breakdown, field in CHOICE_FIELDS.items()
    ]
    return parts[0].union(*parts[1:], all=True), ["breakdown", "value", "referred_to_id"]


def _insert(model, queryset, columns):
    """INSERT … SELECT of ``queryset``'s rows into ``model``'s ``columns``,
    in the order the SELECT gives them."""
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)


def _insert_cells(model, queryset, columns):
    _insert(model, queryset, KEY + columns + ["visits", "people"])


def refresh_days(days, venue_ids=None):
    """Recompute the rollup of ``days`` (Stockholm dates) at ``venue_ids``
    (None: every venue) from the visits, and their months from the days,
    in the current transaction. Queries: the venues' lock, a delete and an
    insert per daily rollup table, and for the months."""
    days = sorted(set(days))
    if not days:
        return
    with transaction.atomic():
        cells = Q(day__in=days)
        if venue_ids is not None:
            venue_ids = sorted(set(venue_ids))
            # Two changes at one venue refresh one after the other, so the
            # second sees the first's visits and rows. NO KEY: a visit's own
            # foreign-key check on its venue must not wait for this.
            list(
                Venue.objects.select_for_update(no_key=True)
                .filter(pk__in=venue_ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            cells &= Q(venue_id__in=venue_ids)
        _replace(cells, _visits_in(days, venue_ids))
        _replace_months(_months_of(days), venue_ids)


def replace_days(days):
    """Recompute the rollup of ``days`` at every venue, after a bulk load
    (seeding). On PostgreSQL the rollup's keys and indexes are set aside
    meanwhile, which locks the rollup tables until the transaction ends."""
    days = sorted(set(days))
    with transaction.atomic(), bulk_load.keys_and_indexes_set_aside(ROLLUP_TABLES):
        _replace(Q(day__in=days), _visits_in(days, None))
        _replace_months(_months_of(days), None)


def rebuild():
    """Recompute the whole rollup from every visit (locks as replace_days)."""
    with transaction.atomic(), bulk_load.keys_and_indexes_set_aside(ROLLUP_TABLES):
        _replace(Q(), _visits_in(None, None))
        _replace_months(None, None)


def _replace(cells, visits):
    for model in ROLLUPS:
        model.objects.filter(cells).delete()
    _insert_cells(VisitDailyCount, *_count_rows(visits))
    _insert_cells(VisitDailyTopic, _grouped(visits, r_topic=F("topics")), ["topic_id"])
    _insert_cells(VisitDailyEService, _grouped(visits, r_eservice=F("eservices")), ["eservice_id"])


def _months_of(days):
    return sorted({day.replace(day=1) for day in days})


MONTH_COLUMNS = ["venue_id", "agency_id", "breakdown", "value", "referred_to_id"]


def _replace_months(months, venue_ids):
    """Recompute the (month, venue) cells of ``months`` (first days; None:
    every month) at ``venue_ids`` (None: every venue) from the daily rows
    just written: a delete and one ``INSERT … SELECT … GROUP BY``."""
    cells, days = Q(), VisitDailyCount.objects.all()
    if months is not None:
        cells = Q(month__in=months)
        # Starts as no row: no months must select no days (Q() is every row).
        spans = Q(pk__in=[])
        for first in months:
            spans |= Q(day__gte=first, day__lt=first + relativedelta(months=1))
        days = days.filter(spans)
    if venue_ids is not None:
        cells &= Q(venue_id__in=venue_ids)
        days = days.filter(venue_id__in=venue_ids)
    VisitMonthlyCount.objects.filter(cells).delete()
    # Selected in this order: the fields, then the annotations.
    sums = (
        days.annotate(r_month=TruncMonth("day"))
        .values(*MONTH_COLUMNS, "r_month")
        .annotate(n_visits=Sum("visits"), n_people=Sum("people"))
        .order_by()
    )
    _insert(VisitMonthlyCount, sums, [*MONTH_COLUMNS, "month", "visits", "people"])


def refresh_visits(visits):
    """Refresh the cells of ``visits`` (objects with started_at and venue_id)."""
    visits = list(visits)
    if visits:
        refresh_days({local_day(v.started_at) for v in visits}, {v.venue_id for v in visits})


# --- Signals: every save, delete and link change of a visit ----------------


def _before_save(sender, instance, raw=False, **kwargs):
    # The cell the visit leaves, when a correction moves it.
    instance._rollup_before = None
    if instance.pk and not raw:
        instance._rollup_before = (
            Visit.objects.filter(pk=instance.pk).values("started_at", "venue_id").first()
        )


def _after_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    days, venues = {local_day(instance.started_at)}, {instance.venue_id}
    before = getattr(instance, "_rollup_before", None)
    if before:
        days.add(local_day(before["started_at"]))
        venues.add(before["venue_id"])
    refresh_days(days, venues)


def _after_delete(sender, instance, **kwargs):
    refresh_visits([instance])


def _links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if isinstance(instance, Visit):
        if action.startswith("post_"):
            refresh_visits([instance])
        return
    # From the topic's (or e-service's) side: the visits linked or unlinked.
    if action in ("pre_add", "pre_remove"):
        instance._rollup_visits = list(Visit.objects.filter(pk__in=pk_set or ()).only("started_at", "venue"))
    elif action == "pre_clear":
        instance._rollup_visits = list(instance.visits.only("started_at", "venue"))
    elif action.startswith("post_"):
        refresh_visits(getattr(instance, "_rollup_visits", []))


def _before_link_target_delete(sender, instance, **kwargs):
    # Deleting a topic or e-service drops its links without m2m signals.
    instance._rollup_visits = list(instance.visits.only("started_at", "venue"))


def _after_link_target_delete(sender, instance, **kwargs):
    refresh_visits(getattr(instance, "_rollup_visits", []))


def connect_signals():
    post_save.connect(_after_save, sender=Visit, dispatch_uid="rollup-visit-saved")
    pre_save.connect(_before_save, sender=Visit, dispatch_uid="rollup-visit-saving")
    post_delete.connect(_after_delete, sender=Visit, dispatch_uid="rollup-visit-deleted")
    for through in (Visit.topics.through, Visit.eservices.through):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"rollup-links-{through.__name__}")
    for model in (Topic, EService):
        pre_delete.connect(
            _before_link_target_delete, sender=model, dispatch_uid=f"rollup-{model.__name__}-del"
        )
        post_delete.connect(
            _after_link_target_delete, sender=model, dispatch_uid=f"rollup-{model.__name__}-gone"
        )
