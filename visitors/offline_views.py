"""The staff pages as an offline web app: the JSON endpoint the tablet's
queue sends visits to, a fresh CSRF token for it, the service worker, the
manifest.
How it fits together: docs/architecture.md, "Offline"."""

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from visitors.forms import VisitForm
from visitors.views import after_saving, json_refusal, save_visit_form, staff_required

SERVICE_WORKER = "js/service-worker.js"
# Shown offline for a staff page this tablet has not kept for the user
# (or when nobody is logged in): a static page in both languages.
OFFLINE_PAGE = "offline.html"
# What every staff page needs to show offline, kept in one shared cache:
# the same bytes for everyone, and nothing in them about a user.
APP_SHELL = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/site.css",
    "js/forms.js",
    "js/offline.js",
    "js/tally.js",
    "favicon.svg",
    "icons/staff-app.svg",
    "icons/staff-app-192.png",
    "icons/staff-app-512.png",
    OFFLINE_PAGE,
]


def _field_errors(form):
    """Each error with its field's label, in the request's language."""
    errors = []
    for name, messages in form.errors.items():
        label = str(form[name].label) if name in form.fields else ""
        errors.extend({"field": name, "label": label, "message": str(message)} for message in messages)
    return errors


@require_POST
def visit_sync(request):
    """One visit from the log form's script or the tablet's queue, checked
    by the same form as the page. 201 saved, 200 already saved (the same
    one-time key), 400 with the errors, 401/403 as JSON; a stale CSRF token
    is a JSON 403 too (eserviceverkstad.views.csrf_failure)."""
    if refusal := json_refusal(request):
        return refusal
    owner = request.POST.get("queued_by", "")
    if owner and owner != str(request.user.pk):
        # A queue left on a shared tablet waits for the one who logged it.
        message = _("These visits were logged by someone else on this device. They wait for them.")
        return JsonResponse({"error": "other_user", "message": message}, status=403)
    form = VisitForm(request.POST, user=request.user)
    visit, created = save_visit_form(form, request.user)
    if visit is None:
        message, errors = _("Nothing was saved. Correct this:"), _field_errors(form)
        return JsonResponse({"error": "invalid", "message": message, "errors": errors}, status=400)
    body = {"status": "created" if created else "already_saved"}
    if "interactive" in request.POST:
        # The form's own save: the next page says so, as without a script.
        body["next"] = after_saving(request, visit, created)
    return JsonResponse(body, status=201 if created else 200)


@require_safe
@never_cache
@staff_required
def csrf_token(request):
    """A fresh token for the queue, and whose session it is: a page kept
    offline carries the token of a session that may have ended since."""
    return JsonResponse({"token": get_token(request), "user": request.user.pk})


@cache
def _shell_and_version():
    urls = [static(name) for name in APP_SHELL] + [reverse("schedule:agency_colours")]
    digest = hashlib.sha256()
    for name in [SERVICE_WORKER, *APP_SHELL]:
        with open(finders.find(name), "rb") as handle:
            digest.update(handle.read())
    # Hashed file names (the manifest storage) change the list, too.
    digest.update("\n".join(urls).encode())
    return urls, digest.hexdigest()[:16]


@require_safe
def service_worker(request):
    """The service worker from static/, served under /staff/ so its scope
    is the staff pages, never re-used from a cache (a deploy changes the
    version, and the browser installs the new worker)."""
    shell, version = _shell_and_version()
    config = {
        "version": version,
        "shell": shell,
        "staticPrefix": static(""),
        "offlinePage": static(OFFLINE_PAGE),
        "logout": reverse("logout"),
        "login": reverse("login"),
    }
    with open(finders.find(SERVICE_WORKER), encoding="utf-8") as handle:
        source = handle.read()
    body = f"self.OFFLINE_CONFIG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("visitors:my_day")
    return response


@require_safe
def manifest(request):
    """The web app manifest. Browsers fetch it without cookies, so the
    language comes as ?lang= from the page that links it."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        body = {
            "name": _("E-service workshop for staff"),
            "short_name": _("E-service workshop"),
            "description": _("Log visits, also when the network is down."),
            "lang": language,
            "start_url": reverse("visitors:my_day"),
            "scope": reverse("visitors:my_day"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0f2d48",
            "icons": [
                {"src": static("icons/staff-app.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": static("icons/staff-app-192.png"), "sizes": "192x192", "type": "image/png"},
                {
                    "src": static("icons/staff-app-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any maskable",
                },
            ],
        }
    return JsonResponse(body, content_type="application/manifest+json")
