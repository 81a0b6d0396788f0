"""`make bench`: requests per second of the schedule page against a trivial
view (/robots.txt) served by the same gunicorn in the same run, with the demo
data and with 300 series. The ratio is what counts: it does not depend on
how fast the machine is. Aim: the schedule page at least half as fast.
The help finder (a search that finds an answer) and the calendar feed of a
full year are measured the same way, each as a ratio to the trivial view.

Everything runs on loopback against a throwaway SQLite database with
production settings (DEBUG off, manifest static files), and each
measurement is bounded in time (BENCH_SECONDS, default 5).
"""

import datetime
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rerun_on_postgres(module, *args):
    """None when DATABASE_URL names a PostgreSQL; else the exit code of
    ``python -m module *args`` run again under tests/with_postgres.py, which
    makes a throwaway cluster (the benches that must measure PostgreSQL)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return None
    command = [sys.executable, str(ROOT / "tests" / "with_postgres.py"), sys.executable, "-m", module, *args]
    return subprocess.call(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": ""})


BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP_SECONDS = 1.0
CONCURRENCY = 4
WORKERS = 2
AIM = 0.5
TRIVIAL = "/robots.txt"
# The help finder with a query that finds an answer (matching runs in Python
# over the topic and e-service tables), and the calendar feed without
# filters: every stored occurrence, a month back and the year ahead.
# The demo has two municipalities, so the site-wide addresses redirect to a
# municipality's own (/mjolby/schedule/…): those are the pages measured.
MUNICIPALITY = "mjolby"
HELP_SEARCH = f"/{MUNICIPALITY}/help/?q=f%C3%B6rskoleplats"
CALENDAR_FEED = f"/{MUNICIPALITY}/schedule.ics"
# Pages are cached whole for anonymous visitors (sessions/page_cache.py),
# keyed on the filters a page reads, so an extra parameter no longer misses
# the cache. The "uncached" rows are measured on a second gunicorn started
# with PAGE_CACHE=false (a page cache that keeps nothing), where every
# request renders from the database: the cost of the first visitor after a
# schedule change. Each server's rows are compared with its own trivial view.
UNCACHED = " (uncached)"


def main():
    workdir = Path(tempfile.mkdtemp(prefix="eserviceverkstad-bench-"))
    try:
        env = bench_env(workdir)
        progress("Preparing a throwaway SQLite database with production settings")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        rows = []
        # --force: seed_demo refuses to run without DEBUG unless told to.
        manage(env, "seed_demo", "--force")
        rows += measure_dataset(env, "demo", workdir)
        progress("Adding series up to 300")
        python(env, "-m", "benchmarks.extra_series", "300")
        rows += measure_dataset(env, "300 series", workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)
    # The statistics need PostgreSQL and a million visits: their own run.
    return subprocess.call([sys.executable, "-m", "benchmarks.stats"], cwd=ROOT)


def progress(message):
    print(f"bench: {message} ...", flush=True)


def production_env(**overrides):
    """The environment of a bench run: the production settings (DEBUG off,
    a fresh secret key), served over plain HTTP on 127.0.0.1 or to the test
    client, quiet logs; ``overrides`` on top. Every bench starts here."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "eserviceverkstad.settings",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def bench_env(workdir):
    return production_env(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}")


def python(env, *args):
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def manage(env, *args):
    python(env, "manage.py", *args)


def schedule_path():
    # Next ISO week rather than /schedule/ (the current week): series only
    # get occurrences from today on, so the current week is half empty late
    # in the week, and the numbers would depend on the weekday.
    year, week, _ = (datetime.date.today() + datetime.timedelta(days=7)).isocalendar()
    return f"/{MUNICIPALITY}/schedule/{year}-W{week:02d}/"


def measure_dataset(env, dataset, workdir):
    # The feed of a full year is measured on the demo data only: with 300
    # weekly series it holds some 17,000 events and takes seconds per request.
    feed = [CALENDAR_FEED, CALENDAR_FEED + UNCACHED] if dataset == "demo" else []
    week = schedule_path()
    paths = [week, week + UNCACHED, HELP_SEARCH, HELP_SEARCH + UNCACHED, *feed, TRIVIAL]
    progress(f"Measuring {', '.join(paths)} with the {dataset} data, {SECONDS:g} s each")
    rates, ratios = {}, {}
    for uncached, server_env in ((False, env), (True, dict(env, PAGE_CACHE="false"))):
        measured = [path for path in paths if path.endswith(UNCACHED) == uncached and path != TRIVIAL]
        with Gunicorn(server_env, workdir / "gunicorn.log") as server:
            served = {path: measure(server.port, path.removesuffix(UNCACHED)) for path in measured}
            trivial = measure(server.port, TRIVIAL)
        rates.update(served)
        ratios.update({path: rate / trivial if trivial else 0.0 for path, rate in served.items()})
        if not uncached:
            rates[TRIVIAL] = trivial
    return [(dataset, path, rates[path], ratios.get(path)) for path in paths]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with WORKERS workers on a free loopback port; stopped (and
    checked to be gone) when the block ends, whatever happens in it."""

    def __init__(self, env, log_path):
        self.env = env
        self.port = free_port()
        self.process = None
        self.log_path = log_path

    def __enter__(self):
        command = [
            str(BIN / "gunicorn"), "eserviceverkstad.wsgi:application",
            "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self._wait_until_listening()
        return self

    def _wait_until_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self._log_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start listening in time.")

    def _log_text(self):
        return self.log_path.read_text(errors="replace")[-4000:]

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if port_open(self.port):
            raise RuntimeError(f"gunicorn still answers on port {self.port} after stopping.")


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def measure(port, path):
    """Requests per second for ``path``: CONCURRENCY clients in a loop for
    SECONDS, after a warm-up that also checks the page answers 200."""
    run_clients(port, path, WARMUP_SECONDS)
    counts = run_clients(port, path, SECONDS)
    return counts["ok"] / SECONDS


def run_clients(port, path, seconds):
    counts = {"ok": 0, "bad": 0, "statuses": set()}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(port, path, deadline, counts, lock)) for _ in range(CONCURRENCY)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if counts["bad"]:
        raise RuntimeError(f"{path} answered {sorted(counts['statuses'])} {counts['bad']} times.")
    return counts


def client(port, path, deadline, counts, lock):
    # http.client reopens the connection by itself when gunicorn's sync
    # workers close it after a response.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = bad = 0
    statuses = set()
    try:
        while time.monotonic() < deadline:
            connection.request("GET", path, headers={"Accept-Language": "sv"})
            response = connection.getresponse()
            response.read()
            ok, bad = (ok + 1, bad) if response.status == 200 else (ok, bad + 1)
            statuses.add(response.status)
    finally:
        connection.close()
        with lock:
            counts["ok"] += ok
            counts["bad"] += bad
            counts["statuses"] |= statuses


def print_table(rows):
    print(f"\n{'dataset':<12} {'path':<42} {'req/s':>9} {'ratio to trivial':>17}")
    for dataset, path, rate, ratio in rows:
        shown = f"{ratio:.3f}" if ratio is not None else ""
        print(f"{dataset:<12} {path:<42} {rate:>9.1f} {shown:>17}")
    print(
        f"\naim: {schedule_path()} ratio >= {AIM} ({WORKERS} gunicorn workers, {CONCURRENCY} clients, "
        f"{SECONDS:g} s each, {os.cpu_count()} CPUs shared by server and clients)"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench: {error}")
