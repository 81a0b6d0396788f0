"""Accessibility reports: the rate limit per client address, the e-mail to
the venue's municipality (sent by a background task), and deleting old
reports.

The DOS law asks every public website for a way to report accessibility
problems. A report is stored for coordinators (the admin) and e-mailed to the
municipality that runs the workshop the resident chose.
"""

import dataclasses
import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import REPORT_RETENTION_DAYS, AccessibilityReport
from eserviceverkstad.client_ip import client_ip
from eserviceverkstad.mail import send_mail_later
from eserviceverkstad.rate_limit import RateLimit

logger = logging.getLogger(__name__)

__all__ = ["REPORT_RETENTION_DAYS", "STATEMENT", "file_report", "is_rate_limited", "purge_expired_reports"]


@dataclasses.dataclass(frozen=True)
class Statement:
    """Facts the accessibility and privacy statements show. Update
    ``reviewed`` whenever the statement's content is checked again."""

    reviewed: datetime.date
    # The supervisory authority's form for complaints about how a public
    # body handled an accessibility report (DOS law, 2018:1937).
    digg_url: str = "https://www.digg.se/tdosanmalan"
    # The Swedish data protection authority, for complaints under the GDPR.
    imy_url: str = "https://www.imy.se"
    wcag_url: str = "https://www.w3.org/TR/WCAG21/"


STATEMENT = Statement(reviewed=datetime.date(2026, 11, 25))

# At most REPORTS_PER_WINDOW reports per client address per RATE_WINDOW seconds.
REPORTS_PER_WINDOW = 5
RATE_WINDOW = 3600
REPORTS_PER_CLIENT = RateLimit("a11y-report", REPORTS_PER_WINDOW, RATE_WINDOW)
# Staff read the e-mail in Swedish, whatever language the resident used.
MAIL_LANGUAGE = "sv"


def is_rate_limited(request):
    return REPORTS_PER_CLIENT.is_reached(client_ip(request) or "unknown")


def count_report(request):
    REPORTS_PER_CLIENT.count(client_ip(request) or "unknown")


def _mail_body(report):
    venue = report.venue
    lines = [
        _("A resident reported an accessibility problem on the e-service workshop's website."),
        "",
        _("Workshop: %(venue)s") % {"venue": venue.name if venue else "–"},
        _("Page or place: %(page)s") % {"page": report.page or "–"},
        _("Language of the page: %(language)s") % {"language": report.language or "–"},
        _("Sent: %(moment)s") % {"moment": f"{timezone.localtime(report.created_at):%Y-%m-%d %H:%M}"},
        "",
        report.description,
        "",
    ]
    if report.reply_to:
        lines.append(_("The resident would like an answer at %(email)s.") % {"email": report.reply_to})
    else:
        lines.append(_("The resident left no e-mail address, so they do not expect an answer."))
    lines.append(_("The report is also stored in the admin, under Accessibility reports."))
    return "\n".join(lines)


def build_report_mail(report_id):
    """The e-mail of report ``report_id`` to its venue's municipality, or
    None when there is no address (the report stays stored either way, and
    the admin shows it was not e-mailed). Runs in the mail task."""
    report = AccessibilityReport.objects.select_related("venue__municipality").filter(pk=report_id).first()
    if report is None:  # deleted before the task ran
        return None
    venue = report.venue
    to = venue.municipality.contact_email if venue else ""
    if not to:
        logger.warning("Accessibility report %s: the municipality has no contact e-mail.", report.pk)
        return None
    with translation.override(MAIL_LANGUAGE):
        return EmailMessage(
            subject=_("Accessibility report: %(venue)s") % {"venue": venue.name},
            body=_mail_body(report),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            reply_to=[report.reply_to] if report.reply_to else None,
        )


def record_emailed(report_id, message):
    AccessibilityReport.objects.filter(pk=report_id).update(emailed_to=message.to[0])


def file_report(form, request):
    """Store the valid ``form``'s report, count it against the sender's
    address, queue its e-mail, and delete reports older than the retention
    time."""
    report = form.save(commit=False)
    report.language = translation.get_language() or ""
    report.save()
    count_report(request)
    send_mail_later(
        "agencies.accessibility.build_report_mail", report.pk, on_sent="agencies.accessibility.record_emailed"
    )
    purge_expired_reports()
    return report


def purge_expired_reports():
    """Delete reports past the retention time; the nightly task runs this too."""
    deleted, _per_model = AccessibilityReport.objects.expired().delete()
    return deleted
