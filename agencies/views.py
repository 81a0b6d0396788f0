"""The accessibility statement (with its report form) and the privacy
page: pages without times. The pages about agencies and venues show their
next times, so they live with the schedule (``sessions.views``). Reports
are filed in ``accessibility``."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agencies import accessibility as reports
from agencies.forms import AccessibilityReportForm
from agencies.models import Municipality


@require_http_methods(["GET", "HEAD", "POST"])
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


@require_safe
def privacy(request):
    # Queries: the municipalities (who to ask).
    context = {
        "municipalities": list(Municipality.objects.all()),
        "statement": reports.STATEMENT,
        "retention_days": reports.REPORT_RETENTION_DAYS,
        "rate_window_minutes": reports.RATE_WINDOW // 60,
    }
    return render(request, "agencies/privacy.html", context)
