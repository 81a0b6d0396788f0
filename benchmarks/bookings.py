"""`make bench`, bookings part, on PostgreSQL, printed in one run:

- bookings per second through the real booking form: gunicorn, real HTTP
  (GET the form for its CSRF cookie and token, then POST /book/<id>/),
  each POST a new resident (own e-mail, own client address behind the one
  trusted proxy, so the per-address rate limit is not what is measured);
  at most BENCH_BOOKINGS bookings or BENCH_SECONDS seconds;
- the week page's requests per second alone, and while bookings arrive
  (the page cache is invalidated only when an occurrence's state changes,
  so bookings should barely slow it);
- the 20-way races (tests/test_booking_race.py and
  tests/test_waiting_list_race.py, with their controls without the lock),
  run with pytest against the same cluster: each test asserts the exact
  outcome (one of twenty booked with the lock; all twenty without).

Without DATABASE_URL it runs itself under tests/with_postgres.py.

    python -m benchmarks.bookings
"""

import http.client
import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.run import SECONDS, Gunicorn, measure, production_env, rerun_on_postgres, schedule_path

ROOT = Path(__file__).resolve().parent.parent
# At most 500: the largest capacity a series may have, all at one time.
MAX_BOOKINGS = min(int(os.environ.get("BENCH_BOOKINGS", "300")), 500)
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
RACE_TESTS = ["tests/test_booking_race.py", "tests/test_waiting_list_race.py"]


def progress(message):
    print(f"bench (bookings): {message} ...", flush=True)


def main():
    if (rerun := rerun_on_postgres("benchmarks.bookings")) is not None:
        return rerun
    env = production_env(TRUSTED_PROXY_COUNT="1", PYTHONPATH=str(ROOT))
    progress("Preparing PostgreSQL with production settings and a bookable series")
    for args in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput"],
        ["seed_demo", "--force"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    occurrence_id = int(
        subprocess.run(
            [sys.executable, "-m", "benchmarks.bookings", "--setup"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.split()[-1]
    )  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as workdir, Gunicorn(env, Path(workdir) / "gunicorn.log") as server:
        week = schedule_path()
        progress(f"Measuring {week} alone, {SECONDS:g} s")
        alone = measure(server.port, week)
        progress(f"Booking through the form (at most {MAX_BOOKINGS}, {SECONDS:g} s) beside {week}")
        booker = Booker(server.port, occurrence_id)
        thread = threading.Thread(target=booker.run)
        thread.start()
        beside = measure(server.port, week)
        thread.join()
        rows += [
            (
                "bookings/s through the form",
                booker.rate(),
                f"{booker.booked} booked, {booker.refused} refused",
            ),
            (f"{week} alone, req/s", alone, ""),
            (f"{week} while bookings arrive, req/s", beside, f"ratio {beside / alone:.2f}" if alone else ""),
        ]
    progress("Running the 20-way races and their controls")
    race = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *RACE_TESTS],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True, text=True,
    )  # fmt: skip
    summary = race.stdout.strip().splitlines()[-1] if race.stdout.strip() else race.stderr[-300:]
    print(f"\n{'measure':<52} {'value':>9}  note")
    for label, value, note in rows:
        print(f"{label:<52} {value:>9.1f}  {note}")
    verdict = "as asserted" if race.returncode == 0 else "FAILED"
    print(
        f"20-way races ({verdict}): with the lock exactly 1 of 20 gets the last place (guidance time, "
        f"lecture seat, late waiting-list offer against 19 new bookings); controls without the lock "
        f"book all 20. pytest: {summary}"
    )
    return race.returncode


class Booker:
    """BOOKING_CLIENTS clients posting the real form, each request a new
    resident, until MAX_BOOKINGS answers or SECONDS pass."""

    CLIENTS = 2

    def __init__(self, port, occurrence_id):
        self.port, self.path = port, f"/book/{occurrence_id}/"
        self.numbers = itertools.count()
        self.lock = threading.Lock()
        self.booked = self.refused = 0
        self.seconds = 0.0

    def rate(self):
        return self.booked / self.seconds if self.seconds else 0.0

    def run(self):
        started = time.monotonic()
        deadline = started + SECONDS
        threads = [threading.Thread(target=self._client, args=(deadline,)) for _ in range(self.CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.seconds = time.monotonic() - started

    def _client(self, deadline):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            cookie, token = self._form(connection)
            while time.monotonic() < deadline:
                with self.lock:
                    n = next(self.numbers)
                if n >= MAX_BOOKINGS:
                    return
                self._book(connection, n, cookie, token)
        finally:
            connection.close()

    def _form(self, connection):
        connection.request("GET", self.path, headers={"X-Forwarded-For": "10.9.0.1"})
        response = connection.getresponse()
        body = response.read()
        cookie = next(
            part.split(";")[0]
            for part in response.headers.get_all("Set-Cookie")
            if part.startswith("csrftoken=")
        )
        return cookie, TOKEN.search(body).group(1).decode()

    def _book(self, connection, n, cookie, token):
        form = {
            "csrfmiddlewaretoken": token, "time": "10:00", "name": f"Boende {n}", "phone": "",
            "email": f"bench{n}@example.se", "topic": "", "need": "", "language": "sv", "website": "",
        }  # fmt: skip
        body = urlencode(form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": f"10.{8 + n // 65536}.{n // 256 % 256}.{n % 256}",
        }
        connection.request("POST", self.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        with self.lock:
            if response.status == 302:
                self.booked += 1
            else:
                self.refused += 1


def setup():
    """A booked-guidance series next Wednesday at 10–12 with room for every
    booking of the run, in a town of its own beside the demo data."""
    import datetime

    import django

    django.setup()
    from sessions.models import Format, Weekday
    from tests import factories
    from tests.booking_fixture import next_weekday

    town = factories.municipality("Benchby")
    library = factories.venue(town, name="Benchby bibliotek", slug="benchby-bibliotek")
    agency = factories.agency("Benchby bibliotek", municipality=town, slug="benchby-bibliotek")
    wednesday = next_weekday(Weekday.WEDNESDAY)
    guidance = factories.slot(
        agency, library, format=Format.BOOKED, weekday=Weekday.WEDNESDAY, start_time=datetime.time(10),
        end_time=datetime.time(12), first_date=wednesday, capacity=500, booking_minutes=30,
        languages="sv", title="Boka en halvtimme",
    )  # fmt: skip
    print(guidance.occurrences.get(date=wednesday).pk)


if __name__ == "__main__":
    if sys.argv[1:] == ["--setup"]:
        setup()
    else:
        sys.exit(main())
