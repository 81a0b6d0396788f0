"""Site-wide endpoints that belong to no part of the domain."""

import datetime
import logging
import sys
import time

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_safe
from django_q.brokers import get_broker
from django_q.models import OrmQ, Success
from django_q.status import Stat

from eserviceverkstad.client_ip import client_ip
from eserviceverkstad.mail import send_mail_later
from eserviceverkstad.outage import DATABASE_UNREACHABLE, database_unavailable
from eserviceverkstad.rate_limit import RateLimit

logger = logging.getLogger(__name__)

# Password-reset mails: a few per hour for one address (a forgotten password
# needs one), more per client address (a shared library connection).
RESETS_PER_EMAIL = RateLimit("password-reset-email", 3, 3600)
RESETS_PER_CLIENT = RateLimit("password-reset-client", 10, 3600)


@require_safe
def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /admin/\nDisallow: /staff/\n", content_type="text/plain")


def _task_status():
    clusters = Stat.get_all(get_broker())
    last = Success.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    return {
        "clusters": [{"id": str(c.cluster_id), "status": str(c.status)} for c in clusters],
        "queued": OrmQ.objects.count(),
        "last_success": last.isoformat() if last else None,
    }


@require_safe
def healthz(request):
    """200 with the database and task-cluster status; 503 when the database
    cannot be reached, so a load balancer takes the server out. Anyone may
    ask, so the error itself (host names, user names) goes only to the log."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        tasks = _task_status()
    except Exception:  # noqa: BLE001 - any database or cache failure means unhealthy
        logger.exception("Health check: the database cannot be reached.")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "tasks": tasks})


# django-q2's cluster writes its status to the cache every half second and
# lets it expire after 3; a monitor asks far less often, so the last time a
# cluster was seen is kept, and only a silence this long counts as dead
# (a restart of the cluster takes seconds).
CLUSTER_SEEN_KEY = "task-cluster-seen"
CLUSTER_SILENCE_SECONDS = 180


def task_cluster_seen(clusters, now):
    """When a task cluster last reported, as a timestamp (None: never),
    remembering ``now`` when one reports at this moment."""
    if clusters:
        cache.set(CLUSTER_SEEN_KEY, now, timeout=None)
        return now
    return cache.get(CLUSTER_SEEN_KEY)


@require_safe
def healthz_tasks(request):
    """For a monitor, not the load balancer: 200 while a task cluster has
    reported within CLUSTER_SILENCE_SECONDS, else 503, so a dead qcluster is
    noticed before the nightly tasks and the mail silently stop. /healthz
    stays database-only: one dead cluster must not take every app server
    out of the load balancer."""
    now = time.time()
    try:
        clusters = Stat.get_all(get_broker())
        seen = task_cluster_seen(clusters, now)
    except Exception:  # noqa: BLE001 - the stats live in the database cache
        logger.exception("Task health check: the database cannot be reached.")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    silent = seen is None or now - seen > CLUSTER_SILENCE_SECONDS
    body = {
        "status": "error" if silent else "ok",
        "clusters": len(clusters),
        "last_report": datetime.datetime.fromtimestamp(seen, datetime.UTC).isoformat() if seen else None,
    }
    return JsonResponse(body, status=503 if silent else 200)


def server_error(request):
    """handler500. A database that cannot be reached (a restart) is no bug
    in the page: the visitor gets the 503 page, "try again in a minute", in
    their language. Django has logged the error either way. Called while
    the exception is being handled, so sys.exc_info() holds it."""
    if isinstance(sys.exc_info()[1], DATABASE_UNREACHABLE):
        return database_unavailable(request)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """The site's own page for a form sent without a valid CSRF token
    (CSRF_FAILURE_VIEW), usually a login form left open on a shared tablet.
    It links back to the page the form came from when that page is on this
    site: the form's own URL may accept only POST. Django logs ``reason``.
    A script (the offline queue, tally taps) gets JSON it can tell apart
    from a refusal: it fetches a fresh token and sends again."""
    if "application/json" in request.headers.get("Accept", ""):
        message = _("The page was open too long. Sending again with a new token.")
        return JsonResponse({"error": "csrf_failed", "message": message}, status=403)
    referer = request.META.get("HTTP_REFERER", "")
    is_ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(request, "403_csrf.html", {"back_url": referer if is_ours else ""}, status=403)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form, whose mail the task cluster builds and sends
    (eserviceverkstad/password_reset.py says why the task carries only the
    user's id). The page answers at once, whatever the mail server does."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        send_mail_later(
            "eserviceverkstad.password_reset.build_reset_mail", context["user"].pk, language=get_language()
        )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with at most RESETS_PER_EMAIL mails for one
    address and RESETS_PER_CLIENT from one client an hour, so the form can
    neither flood a mailbox nor be used to send mail in bulk. Over a limit
    the page says the same as always ("if the address belongs to an
    account..."), so it never reveals whether an address exists."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        client = client_ip(self.request) or "unknown"
        if RESETS_PER_EMAIL.is_reached(email) or RESETS_PER_CLIENT.is_reached(client):
            logger.warning("Password reset: the hourly limit is reached, no mail sent.")
            return HttpResponseRedirect(self.get_success_url())
        RESETS_PER_EMAIL.count(email)
        RESETS_PER_CLIENT.count(client)
        return super().form_valid(form)
