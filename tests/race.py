"""The harness the booking races share (tests/test_booking_race.py,
tests/test_waiting_list_race.py): THREADS threads, released together, each
posting once through its own test client and database connection.

The test-only hook right after the count (``visitors.booking.after_count``)
makes each thread wait at a barrier until all have counted, for at most
HOLD seconds. With the row lock only one thread can be there at a time, so
the barrier breaks after HOLD and the others come through one by one."""

import contextlib
import threading

from django.db import connection
from django.test import Client

from sessions.models import Occurrence
from visitors import booking as service

THREADS = 20
HOLD = 5  # seconds a thread waits at the barrier after its count
WAIT = 60  # only reached when something is broken


def unlocked_read(occurrence_id):
    """What a check-then-insert without the lock would read (the control run)."""
    return Occurrence.objects.select_related("slot__agency", "slot__venue").get(pk=occurrence_id)


class PostingRace:
    """Subclasses say what thread ``n`` posts: ``post(n, client)`` returns
    that thread's result."""

    address_prefix = "10.0.0"

    def __init__(self):
        self.start = threading.Barrier(THREADS)
        self.counted = threading.Barrier(THREADS)
        self.counts_seen = []
        self.results = [None] * THREADS

    def post(self, n, client):
        raise NotImplementedError

    def after_count(self, occurrence, taken):
        self.counts_seen.append(taken)
        # A broken barrier: the lock held the others back, so go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            self.counted.wait(HOLD)

    def _thread(self, n):
        client = Client(REMOTE_ADDR=f"{self.address_prefix}.{n + 1}")
        try:
            self.start.wait(WAIT)
            self.results[n] = self.post(n, client)
        except Exception as error:  # reported in the test's thread
            self.results[n] = error
        finally:
            connection.close()

    def run(self, monkeypatch):
        monkeypatch.setattr(service, "after_count", self.after_count)
        threads = [threading.Thread(target=self._thread, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert not any(thread.is_alive() for thread in threads)
        errors = [result for result in self.results if isinstance(result, Exception)]
        assert not errors, errors
        return self.results
