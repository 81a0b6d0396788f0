"""When the database cannot be reached: a PostgreSQL restart or failover
takes seconds, and a page that needs the database then says so kindly, in
the visitor's language, with a 503 (try again) instead of a 500 (a bug).

The page is rendered without the request's context processors, because
they would read the session and the user from the database that is gone.
"""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

# What a lost connection raises: OperationalError while connecting or when
# the server goes away mid-query, InterfaceError for a kept connection that
# broke. Other database errors are bugs, and stay 500s.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60


def database_unavailable(request):
    response = HttpResponse(render_to_string("503.html", {"request": request}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # A proxy must not keep the apology once the database is back.
    response["Cache-Control"] = "no-store"
    return response
