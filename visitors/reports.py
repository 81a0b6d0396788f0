"""The monthly report: the statistics workbook of last month, e-mailed to
each project lead and coordinator for their scope, in their own language.

Two django-q2 schedules (made by migration 0005) run
``send_monthly_reports``: on the 1st at 06:00 Stockholm time with
"preliminary" figures (staff may still correct a log for 14 days,
``EDIT_WINDOW``) and on the 15th with the "final" ones. Each recipient's
report is claimed by a ``SentReport`` row, unique per (user, month, kind),
before its mail is queued, so a task that runs twice sends nothing twice.
The mail task carries that row's id only (``eserviceverkstad.mail``).

``python manage.py monthly_report 2026-11`` writes the same workbook to a
file.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Role
from eserviceverkstad.i18n import format_long_date
from eserviceverkstad.mail import send_mail_later
from visitors.exports import XLSX_TYPE, visits_for_export, workbook_bytes
from visitors.models import EDIT_WINDOW, ReportKind, SentReport
from visitors.statistics import Filters, Period, Scope, build_report

REPORT_ROLES = (Role.PROJECT_LEAD, Role.COORDINATOR)


def last_correction_day(period):
    """The last day a log of ``period`` may be corrected by the staff who made it."""
    return period.end + EDIT_WINDOW - datetime.timedelta(days=1)


def is_final(period, today=None):
    """Past the correction window: the figures no longer change."""
    return (today or timezone.localdate()) > last_correction_day(period)


def status_line(period, today=None):
    """(label, text) for the workbook's summary: preliminary or final."""
    if is_final(period, today):
        return _("Figures"), _("Final: the correction period has ended.")
    return _("Figures"), _("Preliminary: logs can be corrected until %(day)s.") % {
        "day": format_long_date(last_correction_day(period))
    }


def previous_month(today=None):
    first = (today or timezone.localdate()).replace(day=1)
    last_month = first - datetime.timedelta(days=1)
    return Period.month(last_month.year, last_month.month)


def recipients():
    """Active project leads and coordinators who have an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__role__in=REPORT_ROLES)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def send_monthly_reports(kind, today=None):
    """The scheduled task: queue last month's report for every recipient
    that has not had this kind of report for that month. Returns how many
    were queued."""
    period = previous_month(today)
    queued = 0
    for user_id in recipients().values_list("pk", flat=True):
        try:
            with transaction.atomic():
                sent = SentReport.objects.create(user_id=user_id, month=period.start, kind=kind)
        except IntegrityError:
            continue  # already sent (or being sent) by an earlier run
        send_mail_later("visitors.reports.build_report_mail", sent.pk, on_sent="visitors.reports.mark_sent")
        queued += 1
    return queued


def mark_sent(sent_id, message=None):
    SentReport.objects.filter(pk=sent_id).update(sent_at=timezone.now())


def language_of(user):
    membership = user.memberships.filter(role__in=REPORT_ROLES).order_by("pk").first()
    return membership.language if membership else translation.get_language()


def monthly_workbook(scope, period, publication=False, today=None):
    """(report, workbook bytes) of ``period`` for ``scope``: visit rows
    unless for publication, and a line saying whether the figures are final."""
    report = build_report(scope, period, Filters(), publication)
    visits = None if publication else visits_for_export(scope, period, Filters())
    return report, workbook_bytes(report, visits, lines=[status_line(period, today)])


def build_report_mail(sent_id):
    """The e-mail of one ``SentReport``, in its recipient's language, or
    None when the recipient no longer has a role with statistics."""
    sent = SentReport.objects.select_related("user").get(pk=sent_id)
    user = sent.user
    with translation.override(language_of(user)):
        try:
            scope = Scope.for_user(user)
        except PermissionDenied:
            return None
        period = Period.month(sent.month.year, sent.month.month)
        report, workbook = monthly_workbook(scope, period)
        message = EmailMessage(_subject(sent, period), _body(user, sent, period, report), to=[user.email])
        message.attach(f"e-serviceverkstad-{period.code()}.xlsx", workbook, XLSX_TYPE)
    return message


def _subject(sent, period):
    if sent.kind == ReportKind.FINAL:
        return _("Visit statistics for %(month)s: final figures") % {"month": period.label()}
    return _("Visit statistics for %(month)s: preliminary figures") % {"month": period.label()}


def _body(user, sent, period, report):
    lines = [_("Hello %(name)s,") % {"name": user.first_name or user.get_username()}, ""]
    lines.append(_("Here are the visit statistics for %(month)s.") % {"month": period.label()})
    if sent.kind == ReportKind.FINAL:
        lines.append(_("These are the final figures: the correction period has ended."))
    else:
        text = _("The figures are preliminary: logs can be corrected until %(day)s.")
        lines.append(text % {"day": format_long_date(last_correction_day(period))})
        lines.append(_("The final figures come on the 15th."))
    lines.append("")
    for figure in report.figures:
        lines.append(f"{figure.label}: {_number(figure.value)}")
        if figure.previous is not None:
            lines.append("  " + _("the month before: %(value)s") % {"value": _number(figure.previous)})
    lines += ["", _("The attached workbook has the tables and every visit, without notes or names."), ""]
    return "\n".join(lines)


def _number(value):
    if value is None:
        return "–"
    if translation.get_language().startswith("sv"):
        return str(value).replace(".", ",")
    return str(value)
