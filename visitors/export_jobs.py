"""Workbooks too large for a request: a django-q2 task builds them.

A year of visit-level rows takes longer to write than a request may last,
so above ``settings.STATS_EXPORT_ASYNC_ROWS`` rows the export view makes an
``ExportJob`` and queues ``build_export(job id)``: the task carries the id
only and reads the rest (the user, the page's GET parameters, the
language) from the row. The user's scope is worked out again when the task
runs, so a role taken away meanwhile also takes the file away.

Files live in ``settings.STATS_EXPORT_ROOT`` for ``KEEP`` and are then
deleted with their job, whenever another export is asked for or built.
"""

import datetime
import logging
import os

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django_q.tasks import async_task

from visitors.exports import visits_for_export, write_workbook
from visitors.models import ExportJob
from visitors.statistics import Scope, StatsFilter, build_report

logger = logging.getLogger(__name__)

KEEP = datetime.timedelta(days=1)
# A year's workbook takes minutes; the queue's own timeout is for nightly chores.
TASK_TIMEOUT = 1800


def export_storage():
    return FileSystemStorage(location=settings.STATS_EXPORT_ROOT)


def delete_old(now=None):
    """Delete the jobs (and files) older than KEEP; returns how many."""
    old = ExportJob.objects.filter(created_at__lt=(now or timezone.now()) - KEEP)
    storage = export_storage()
    for name in old.exclude(file_name="").values_list("file_name", flat=True):
        storage.delete(name)
    return old.delete()[0]


def start_export(user, query, language):
    """Queue a workbook for ``user``; returns the job."""
    delete_old()
    job = ExportJob.objects.create(user=user, query=query, language=language)
    async_task(
        "visitors.export_jobs.build_export", job.pk, task_name=f"export {job.pk}", timeout=TASK_TIMEOUT
    )
    return job


def _claim(job_id):
    """The job, marked running, or None when another delivery of the same
    task has it (the queue may hand a long task out twice)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ExportJob.Status.PENDING:
            return None
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status"])
    return job


def build_export(job_id):
    """The task: write the job's workbook to the export storage."""
    job = _claim(job_id)
    if job is None:
        return False
    try:
        with translation.override(job.language):
            rows, name = _write(job)
    except (PermissionDenied, ValueError):
        logger.exception("Statistics export %s failed.", job_id)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, finished_at=timezone.now())
        return False
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.READY, file_name=name, rows=rows, finished_at=timezone.now()
    )
    delete_old()
    return True


def _write(job):
    scope = Scope.for_user(job.user)
    form = StatsFilter(QueryDict(job.query), scope=scope)
    if not form.is_valid():
        raise ValueError(f"The export's parameters are no longer valid: {form.errors.as_json()}")
    report = build_report(scope, form.period, form.filters, form.publication)
    visits = None if form.publication else visits_for_export(scope, form.period, form.filters)
    storage = export_storage()
    name = f"{job.user_id}/{job.pk}-{form.period.code()}.xlsx"
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rows = write_workbook(report, path, visits)
    return rows, name


def download_name(job):
    """'e-serviceverkstad-2026.xlsx' for the stored '7/31-2026.xlsx'."""
    return "e-serviceverkstad-" + job.file_name.rsplit("/", 1)[-1].split("-", 1)[-1]
