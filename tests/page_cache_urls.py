"""Test-only pages behind the page cache that a real public page must never
be: one with a CSRF token, one that shows a message, one that writes the
session. The site's own URLs follow, so the pages render with base.html."""

from django.contrib import messages
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from sessions.page_cache import cache_public_page

# How often each page was rendered rather than served from the cache.
RENDERS = []

FORM = engines["django"].from_string('<form method="post">{% csrf_token %}<button>Skicka</button></form>')
MESSAGES = engines["django"].from_string("{% for message in messages %}<p>{{ message }}</p>{% endfor %}")


@cache_public_page
def form_page(request):
    RENDERS.append("form")
    return HttpResponse(FORM.render({}, request))


@cache_public_page
def message_page(request):
    RENDERS.append("message")
    messages.info(request, f"Tack, {request.headers.get('X-Visitor', 'okänd')}")
    return HttpResponse(MESSAGES.render({}, request))


@cache_public_page
def unread_message_page(request):
    RENDERS.append("unread message")
    messages.info(request, "Visas på nästa sida")
    return HttpResponse("Inget meddelande här")


@cache_public_page
def session_page(request):
    RENDERS.append("session")
    request.session["has_visited"] = True
    return HttpResponse("Välkommen")


urlpatterns = [
    path("test/form/", form_page),
    path("test/message/", message_page),
    path("test/unread-message/", unread_message_page),
    path("test/session/", session_page),
    path("", include("eserviceverkstad.urls")),
]
