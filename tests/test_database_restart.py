"""A PostgreSQL restart under traffic, for real: gunicorn serves the app
from its own throwaway cluster (not the one the rest of the suite may use),
residents' pages are cached, then PostgreSQL is stopped (``pg_ctl stop -m
fast``, which cuts every connection) and started again while requests keep
coming. Residents must not see a single error on the pages they had open;
staff see 503 "try again in a minute" at worst, never a 500, and their
pages work again once PostgreSQL is back (CONN_HEALTH_CHECKS replaces the
broken kept connections).

The cast: a resident reading the public pages, and Sofia, Mjölby staff,
logged in on her staff pages. Only loopback addresses are used."""

import http.client
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.with_postgres import DB_NAME, Cluster, find_bindir, free_port

ROOT = Path(__file__).resolve().parent.parent
# The demo has two municipalities: / asks where the resident lives, and the
# schedule pages are each municipality's.
PUBLIC_PAGES = ["/", "/mjolby/", "/mjolby/schedule/", "/mjolby/help/?q=bankid", "/agencies/", "/try/"]
STAFF_PAGES = ["/staff/", "/staff/visits/"]
DOWN_SECONDS = 3
# Requests after the restart, so the test sees staff pages come back.
RECOVERY_SECONDS = 20
STAFF_SETUP = """
from django.contrib.auth.models import User
from agencies.models import Agency, Membership, Role
sofia = User.objects.create_user("sofia", password="Sofias-lösenord-2026")
childcare = Agency.objects.filter(municipality__slug="mjolby").first()
Membership.objects.create(user=sofia, role=Role.STAFF, agency=childcare)
"""


class Browser:
    """Just enough of a browser over plain HTTP: it keeps cookies by hand,
    because the production settings mark them Secure (as they must be),
    which a cookie jar would then never send to http://127.0.0.1."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, cookie_value = value.split(";", 1)[0].split("=", 1)
                self.cookies[cookie_name] = cookie_value
        return response.status, dict(response.getheaders()), content

    def log_in(self, username, password):
        from urllib.parse import urlencode

        _status, _headers, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        status, _headers, _page = self.request("POST", "/accounts/login/", form)
        assert status == 302, "Sofia could not log in"


def wait_until_up(browser, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if browser.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer /healthz")


# Its own throwaway cluster: the second run of `make test` (on the suite's
# PostgreSQL) deselects it, it proves nothing more there.
pytestmark = pytest.mark.own_cluster


@pytest.fixture(scope="module")
def cluster():
    bindir = find_bindir()
    if bindir is None:
        skip_or_fail("PostgreSQL (initdb, pg_ctl) not found", "the database restart test")
    cluster = Cluster(bindir)
    try:
        cluster.start()
        cluster.create_database(DB_NAME)
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def server(cluster, tmp_path_factory):
    """gunicorn with the production settings against the cluster: one
    worker, so the cache warmed below is the cache that answers."""
    environment = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ} | {
        "DJANGO_SETTINGS_MODULE": "eserviceverkstad.settings",
        "DATABASE_URL": cluster.url(DB_NAME),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
        "LOG_LEVEL": "WARNING",
    }
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["seed_demo", "--force"],
        ["shell", "-c", STAFF_SETUP],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=environment, check=True,
            capture_output=True, timeout=300,
        )  # fmt: skip
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "eserviceverkstad.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "60"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_up(Browser(port))
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def restart_postgres(cluster):
    cluster._pg("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")
    time.sleep(DOWN_SECONDS)
    assert cluster._try_start(), "PostgreSQL did not start again"


def test_a_postgres_restart_shows_residents_no_error_and_staff_only_503(cluster, server):
    port, log = server
    resident, sofia = Browser(port), Browser(port)
    sofia.log_in("sofia", "Sofias-lösenord-2026")
    for path in PUBLIC_PAGES:  # twice: stored, then answered from the cache
        assert [resident.request("GET", path)[0] for _ in range(2)] == [200, 200], path
    for path in STAFF_PAGES:
        assert sofia.request("GET", path)[0] == 200, path

    answers = {"public": Counter(), "staff": Counter(), "stale": 0}
    restarted = threading.Event()

    def traffic():
        deadline = None
        while deadline is None or time.monotonic() < deadline:
            for path in PUBLIC_PAGES:
                status, headers, _content = resident.request("GET", path)
                answers["public"][status] += 1
                answers["stale"] += headers.get("Cache-Control") == "max-age=0, must-revalidate"
            for path in STAFF_PAGES:
                answers["staff"][sofia.request("GET", path)[0]] += 1
            if deadline is None and restarted.is_set():
                deadline = time.monotonic() + RECOVERY_SECONDS
            time.sleep(0.05)

    loop = threading.Thread(target=traffic)
    loop.start()
    time.sleep(1)
    try:
        restart_postgres(cluster)
    finally:
        restarted.set()
        loop.join(timeout=120)
    last_staff = [sofia.request("GET", path)[0] for path in STAFF_PAGES]
    print(f"Answers during the restart: {answers}")

    server_log = log.read_text(errors="replace")[-3000:]
    assert set(answers["public"]) == {200}, (answers, server_log)
    assert set(answers["staff"]) <= {200, 503}, (answers, server_log)
    # The outage was seen: staff were told to wait, residents got last good copies.
    assert answers["staff"][503] > 0 and answers["stale"] > 0, answers
    assert last_staff == [200, 200], "staff pages did not come back after the restart"
