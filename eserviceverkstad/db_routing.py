"""The statistics page's reads on a read replica (docs/deployment.md §11).

With ``STATISTICS_DATABASE_URL`` set, the settings add the database alias
``statistics`` and turn ``STATISTICS_READ_REPLICA`` on. Then every read made
while the statistics page is built goes there, and nothing else: the
staff's log, bookings and the public pages read their own writes, which a
replica may not have yet (its lag is seconds, harmless for monthly
figures). Writes always go to the primary, and migrations never run on the
replica. The exports and the monthly report stay on the primary: the CSV
streams through the primary's connection (COPY).
"""

import contextvars
import functools

from django.conf import settings

REPLICA = "statistics"
_reading_statistics = contextvars.ContextVar("reading_statistics", default=False)


def reads_statistics(view):
    """Route the view's reads to the replica, when there is one."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = _reading_statistics.set(True)
        try:
            return view(request, *args, **kwargs)
        finally:
            _reading_statistics.reset(token)

    return wrapper


class StatisticsReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading_statistics.get() and settings.STATISTICS_READ_REPLICA:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may
        # refer to one read from the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
