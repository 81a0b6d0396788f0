"""`make bench`, statistics part: on PostgreSQL with a million seeded visits
(BENCH_VISITS), printed side by side in one run:

- the month page's and the 12-month page's time (median of BENCH_REPEAT
  requests, in process, logged in as a project lead) and SQL queries;
- the 12 months' CSV export downloaded in full over HTTP through gunicorn,
  in rows per second, beside psql's ``\\copy (SELECT …) TO STDOUT WITH CSV``
  of the same SELECT in the same run (row counts checked equal), with the
  gunicorn worker's peak memory (VmHWM), a fresh worker for each range;
- the 12 months' workbook (what the background task builds): time and peak
  memory of a fresh process.

Without DATABASE_URL it runs itself under tests/with_postgres.py, which
makes a throwaway cluster.

    python -m benchmarks.stats
"""

import datetime
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.run import production_env, rerun_on_postgres

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VISITS = int(os.environ.get("BENCH_VISITS", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
# BENCH_STATS_PAGES_ONLY=1: only the pages' times, e.g. over ten million visits
# (BENCH_VISITS=10000000), where the exports would take most of an hour.
PAGES_ONLY = os.environ.get("BENCH_STATS_PAGES_ONLY", "") == "1"
AIMS = {"month page": 0.3, "12-month page": 1.0, "csv ratio": 0.5, "memory MB": 150}


def progress(message):
    print(f"bench (statistics): {message} ...", flush=True)


def main():
    if (rerun := rerun_on_postgres("benchmarks.stats")) is not None:
        return rerun
    env = bench_env()
    os.environ.update(env)
    progress("Preparing PostgreSQL with production settings")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    # The demo logins log the seeded visits; seed_demo makes them only with DEBUG.
    manage({**env, "DEBUG": "true"}, "seed_demo")
    progress(f"Seeding {VISITS:,} visits")
    started = time.monotonic()
    manage(env, "seed_visits", "--count", str(VISITS))
    seed_seconds = time.monotonic() - started
    results = Measurements(env)
    results.run()
    results.print(seed_seconds)
    return 0


def bench_env():
    return production_env(PYTHONPATH=str(ROOT))


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def after_bulk_load():
    """What autovacuum does soon after a bulk load: the planner's figures,
    and the rollup's visibility map, without which PostgreSQL cannot answer
    from its covering indexes alone."""
    from django.db import connection

    from visitors.rollup import ROLLUP_TABLES

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for table in ROLLUP_TABLES:
            cursor.execute(f"VACUUM {table}")


def periods(today):
    """The last full month, and the 12 full months up to it (a range)."""
    first = today.replace(day=1)
    month_end = first - datetime.timedelta(days=1)
    year_start = first.replace(year=first.year - 1)
    return (
        {"period": f"{month_end:%Y-%m}"},
        {"from": year_start.isoformat(), "to": month_end.isoformat()},
    )


class Measurements:
    def __init__(self, env):
        import django

        django.setup()
        self.env = env
        self.rows = []

    def run(self):
        from django.utils import timezone

        after_bulk_load()
        month, year = periods(timezone.localdate())
        self.session = self.login()
        for name, params in (("month page", month), ("12-month page", year)):
            progress(f"Timing the {name}")
            self.time_page(name, params)
        if PAGES_ONLY:
            return
        for name, params in (("month", month), ("12 months", year)):
            progress(f"Downloading the {name}' CSV through gunicorn, and psql's \\copy of it")
            self.csv_against_psql(name, params)
        progress("Building the 12 months' workbook in a fresh process")
        self.workbook(year)

    def login(self, username="bench.projektledare", municipalities=None):
        """A project lead of ``municipalities`` (None: the whole installation)."""
        from django.contrib.auth import get_user_model
        from django.test import Client

        from agencies.models import Membership, Role

        user, _ = get_user_model().objects.get_or_create(username=username)
        membership, _ = Membership.objects.get_or_create(user=user, role=Role.PROJECT_LEAD)
        if municipalities is not None:
            membership.municipalities.set(municipalities)
        self.client = Client()
        self.client.force_login(user)
        return self.client.cookies["sessionid"].value

    def time_page(self, name, params, label=None, aim=None):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.client.get("/staff/stats/", params)  # warm-up
        seconds = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = self.client.get("/staff/stats/", params)
                seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
        median = sorted(seconds)[len(seconds) // 2]
        aim = aim or f"aim < {AIMS[name]} s"
        self.rows.append((label or name, f"{median:.3f} s", f"{len(queries)} queries", aim))

    def csv_against_psql(self, name, params):
        with Gunicorn(self.env) as server:
            rows, seconds = download(server.port, "/staff/stats/export.csv", params, self.session)
            peak = server.worker_peak_mb()
        psql_rows, psql_seconds = psql_copy(self.copy_sql(params))
        if rows != psql_rows:
            raise RuntimeError(f"The CSV has {rows} rows, psql's \\copy {psql_rows}.")
        app_rate, psql_rate = rows / seconds, psql_rows / psql_seconds
        ratio = app_rate / psql_rate if psql_rate else 0
        self.rows.append(
            (f"CSV, {name}", f"{rows:,} rows", f"{app_rate:,.0f} rows/s", f"psql {psql_rate:,.0f} rows/s")
        )
        self.rows.append(
            (f"CSV, {name}", f"ratio {ratio:.2f}", f"worker peak {peak:.0f} MB", "aim ratio >= 0.5, < 150 MB")
        )

    def copy_sql(self, params):
        """The export's own SELECT, parameters bound, for psql."""
        import psycopg
        from django.db import connection
        from django.http import QueryDict
        from django.utils import translation

        from visitors.exports import _copy_select, visits_for_export
        from visitors.statistics import Scope, StatsFilter

        scope = Scope.all()
        form = StatsFilter(QueryDict(urlencode(params)), scope=scope)
        assert form.is_valid(), form.errors
        with translation.override("sv"):
            sql, values = _copy_select(visits_for_export(scope, form.period, form.filters))
        connection.ensure_connection()
        return psycopg.ClientCursor(connection.connection).mogrify(sql, values)

    def workbook(self, params):
        query = urlencode(params)
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.stats", "workbook", query],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        rows, seconds, peak = output.stdout.split()
        rows, seconds = int(rows), float(seconds)
        self.rows.append(
            (
                "XLSX, 12 months",
                f"{rows:,} rows",
                f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s)",
                f"peak {peak} MB",
            )
        )

    def print(self, seed_seconds):
        print(f"\nstatistics on PostgreSQL, {VISITS:,} visits seeded in {seed_seconds:.1f} s "
              f"({os.cpu_count()} CPUs shared by server, client and database)")  # fmt: skip
        for row in self.rows:
            print("  " + "  ".join(f"{cell:<22}" for cell in row))


def download(port, path, params, session):
    """Rows (lines less the header) and seconds for a full download."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", f"{path}?{urlencode(params)}", headers={"Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {response.read()[:300]!r}")
    lines = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    connection.close()
    return lines - 1, seconds


def psql_binary():
    found = shutil.which("psql")
    if found:
        return found
    from tests.with_postgres import find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("psql not found")
    return str(bindir / "psql")


def psql_copy(sql):
    command = [
        psql_binary(),
        os.environ["DATABASE_URL"],
        "-X",
        "-q",
        "-c",
        f"\\copy ({sql}) TO STDOUT WITH CSV",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    lines = 0
    while chunk := process.stdout.read(1 << 16):
        lines += chunk.count(b"\n")
    if process.wait() != 0:
        raise RuntimeError("psql \\copy failed")
    return lines, time.perf_counter() - started


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One sync gunicorn worker on a free loopback port, so its peak memory
    is the export's; stopped when the block ends."""

    def __init__(self, env):
        self.env, self.port, self.process = env, free_port(), None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the server)

    def __enter__(self):
        command = [
            str(BIN / "gunicorn"), "eserviceverkstad.wsgi:application", "--workers", "1",
            "--timeout", "600", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_peak_mb(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        status = Path(f"/proc/{children[0]}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def build_workbook(query):
    """In a fresh process: the workbook of ``query`` for every
    municipality, as the background task writes it; prints rows, seconds
    and peak memory in MB."""
    import django

    django.setup()
    from django.http import QueryDict
    from django.utils import translation

    from visitors.exports import visits_for_export, write_workbook
    from visitors.statistics import Scope, StatsFilter, build_report

    scope = Scope.all()
    form = StatsFilter(QueryDict(query), scope=scope)
    assert form.is_valid(), form.errors
    started = time.perf_counter()
    with translation.override("sv"), tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        report = build_report(scope, form.period, form.filters)
        rows = write_workbook(report, target.name, visits_for_export(scope, form.period, form.filters))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(rows, f"{seconds:.2f}", f"{peak:.0f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["workbook"]:
        build_workbook(sys.argv[2])
        sys.exit(0)
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench: {error}")
