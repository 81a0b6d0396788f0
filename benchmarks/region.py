"""`make bench`, region part, on PostgreSQL (a throwaway cluster as the tests
make, or DATABASE_URL): the public pages of a region-size installation
(``seed_region``: 290 municipalities, 600 venues, 6,000 series, two years of
occurrences), printed in one run:

- requests per second through gunicorn with two workers (benchmarks/run.py's
  Gunicorn and measure) of Kalmar's week page, the "Where do you live?"
  page (/), Kalmar's own page, Kalmar's help finder and Kalmar's calendar
  feed, cached and uncached (a second gunicorn
  with PAGE_CACHE=false, where every request renders), each as a ratio to
  the trivial view (/healthz, which asks the database too) of the same
  server in the same run;
- the SQL queries of each page, uncached and cached, with the demo data and
  at region scale: they must be equal (a page's queries do not grow with
  the installation);
- with visits, the statistics month and 12-month pages over all of them,
  for a project lead of the whole country and one of Kalmar län
  (``BENCH_REGION_VISITS=10000000`` for a year of a national service);
- how long seed_region takes, and visits: a quarter of BENCH_REGION_VISITS
  (default 200,000) and then all of them, so the start-up each run pays
  and the rate per visit come apart; ten million is extrapolated from them.

With 290 municipalities the site-wide addresses lead to a municipality's
own (/kalmar/schedule/…), so those are the ones measured.

    python -m benchmarks.region
"""

import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import SECONDS, Gunicorn, measure, rerun_on_postgres
from benchmarks.stats import bench_env, manage

ROOT = Path(__file__).resolve().parent.parent
VISITS = int(os.environ.get("BENCH_REGION_VISITS", "200000"))
TRIVIAL = "/healthz"
UNCACHED = " (uncached)"


def progress(message):
    print(f"bench (region): {message} ...", flush=True)


def week_path():
    # Next week, as benchmarks/run.py: the current week is half past late in the week.
    year, week, _ = (datetime.date.today() + datetime.timedelta(days=7)).isocalendar()
    return f"/kalmar/schedule/{year}-W{week:02d}/"


PAGES = {
    "week (Kalmar)": week_path(),
    "where do you live (/)": "/",
    "Kalmar's page": "/kalmar/",
    # A search with answers in the demo's Kalmar too: without any, the
    # page skips the answers' next times and makes one query fewer.
    "help finder (Kalmar)": "/kalmar/help/?q=bankid",
    "feed (Kalmar)": "/kalmar/schedule.ics",
}


def main():
    if (rerun := rerun_on_postgres("benchmarks.region")) is not None:
        return rerun
    workdir = Path(tempfile.mkdtemp(prefix="eserviceverkstad-region-"))
    env = dict(bench_env(), STATIC_ROOT=str(workdir / "static"))
    os.environ.update(env)
    progress("Preparing PostgreSQL with production settings and the demo data")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo", "--force")
    import django

    django.setup()
    demo_counts = query_counts()
    progress("Seeding the region: 290 municipalities, 600 venues, 6,000 series")
    started = time.monotonic()
    manage(env, "seed_region")
    seed_seconds = time.monotonic() - started
    visit_seconds = None
    if VISITS:
        # Twice, a quarter and the whole: each run pays the same start-up
        # (reading the year's sessions), so the difference is the cost per visit.
        visit_seconds = []
        for seed, count in ((2, VISITS // 4), (3, VISITS)):
            progress(f"Seeding {count:,} visits")
            started = time.monotonic()
            manage(env, "seed_region", "--visits", str(count), "--seed", str(seed))
            visit_seconds.append(time.monotonic() - started)
    region_counts = query_counts()
    statistics = statistics_pages(env) if VISITS else []
    progress(f"Measuring {', '.join(PAGES.values())} beside {TRIVIAL}, {SECONDS:g} s each")
    rates = throughput(env, workdir)
    print_results(demo_counts, region_counts, rates, seed_seconds, visit_seconds)
    for row in statistics:
        print("  " + "  ".join(f"{cell:<22}" for cell in row))
    return 0 if demo_counts == region_counts else 1


def query_counts():
    """{page: (uncached queries, cached queries)}, in this process: the
    second request of each (the first may create a cache version)."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    client, counts = Client(HTTP_ACCEPT_LANGUAGE="sv"), {}
    for name, path in PAGES.items():
        caches["pages"].clear()
        assert client.get(path).status_code == 200, path
        caches["pages"].clear()
        uncached, cached = [], []
        for queries in (uncached, cached):
            # Counted at the cursor: with DEBUG off Django keeps no query log.
            with connection.execute_wrapper(
                lambda execute, *args, seen=queries: seen.append(1) or execute(*args)
            ):
                client.get(path)
        counts[name] = (len(uncached), len(cached))
    return counts


def statistics_pages(env):
    """The statistics month and 12-month pages over every seeded visit
    (statistics part's timing: median of BENCH_REPEAT requests in process),
    for a project lead of the whole installation and one of Kalmar län."""
    from django.utils import timezone

    from agencies.models import Municipality
    from benchmarks.stats import Measurements, after_bulk_load, periods

    after_bulk_load()
    month, year = periods(timezone.localdate())
    timing = Measurements(env)
    kalmar_lan = Municipality.objects.filter(region="Kalmar län")
    for lead, username, towns in (("the country", "country", None), ("Kalmar län", "kalmar-lan", kalmar_lan)):
        timing.login(username=f"bench.lead.{username}", municipalities=towns)
        for name, params in (("month page", month), ("12-month page", year)):
            progress(f"Timing the statistics {name} for a project lead of {lead}")
            # At region scale the month page has an aim: under a second.
            aim = "aim < 1 s" if name == "month page" else "no aim at this scale"
            timing.time_page(name, params, label=f"{name} ({lead})", aim=aim)
    return timing.rows


def throughput(env, workdir):
    """{(page, uncached): (req/s, ratio to the trivial view of that server)}."""
    rates = {}
    for uncached in (False, True):
        server_env = dict(env, PAGE_CACHE="false") if uncached else env
        with Gunicorn(server_env, workdir / "gunicorn.log") as server:
            served = {name: measure(server.port, path) for name, path in PAGES.items()}
            trivial = measure(server.port, TRIVIAL)
        for name, rate in served.items():
            rates[name, uncached] = (rate, rate / trivial if trivial else 0.0)
        rates[TRIVIAL, uncached] = (trivial, 1.0)
    return rates


def print_results(demo_counts, region_counts, rates, seed_seconds, visit_seconds):
    header = f"{'page':<16} {'server':<9} {'req/s':>8} {'ratio':>7}"
    print(f"\n{header}   {'queries demo':>13} {'queries region':>15}")
    for name in [*PAGES, TRIVIAL]:
        for uncached in (False, True):
            rate, ratio = rates[name, uncached]
            counts = ""
            if name in PAGES:
                index = 0 if uncached else 1
                counts = f"{demo_counts[name][index]:>13} {region_counts[name][index]:>15}"
            server = "uncached" if uncached else "cached"
            print(f"{name:<16} {server:<9} {rate:>8.1f} {ratio:>7.3f}   {counts}")
    equal = "equal" if demo_counts == region_counts else "NOT EQUAL"
    print(f"\nqueries per page, demo data and region: {equal}")
    print(f"seed_region (290 municipalities, 600 venues, 6,000 series, occurrences): {seed_seconds:.0f} s")
    if visit_seconds:
        quarter, whole = visit_seconds
        per_second = (VISITS - VISITS // 4) / max(whole - quarter, 1e-9)
        start_up = max(0.0, quarter - (VISITS // 4) / per_second)
        print(
            f"visits: {VISITS // 4:,} in {quarter:.0f} s, {VISITS:,} in {whole:.0f} s: "
            f"{per_second:,.0f} visits/s after a start-up of {start_up:.0f} s; 10 million: about "
            f"{(start_up + 10_000_000 / per_second) / 60:.0f} min (extrapolated)"
        )
    print(f"({os.cpu_count()} CPUs shared by PostgreSQL, gunicorn's two workers and the clients)")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench (region): {error}")
