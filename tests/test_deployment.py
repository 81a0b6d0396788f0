"""docs/deployment.md and its files in docs/deploy/ work as written: the
systemd units pass ``systemd-analyze verify`` with real paths, the nginx
site passes ``nginx -t`` and overwrites the proxy headers, a backup made by
docs/deploy/backup.sh restores with ``pg_restore --no-owner``, the example
environment file names only settings the app reads and passes
``check --deploy``, README's configuration table lists exactly what
settings.py reads, and the two lock files split runtime from development.

Outside CI a missing tool (systemd-analyze, nginx, openssl, PostgreSQL)
skips its test with a message; with CI=true it fails (.ci/run installs them).
"""

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import skip_or_fail
from tests.with_postgres import Cluster, find_bindir

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
ENV_EXAMPLE = DEPLOY / "eserviceverkstad.env.example"
SERVER_ROOT = "/srv/eserviceverkstad"
ENV_FILE = "/etc/eserviceverkstad/eserviceverkstad.env"
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_list"}


def tool(name, what):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        skip_or_fail(f"{name} not found (Debian: see PACKAGES in .ci/run)", what)
    return path


def settings_read():
    """The environment variables settings.py reads: every env_* helper call
    with a literal name, and any direct os.environ/os.getenv read."""
    tree = ast.parse((ROOT / "eserviceverkstad" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        function = ast.unparse(node.func)
        if function in ENV_HELPERS or function in ("os.environ.get", "os.getenv"):
            names.add(first.value)
    return names


def env_example_names():
    """Names set in the example, and those shown commented out."""
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")
    return {m.group(1) for line in ENV_EXAMPLE.read_text().splitlines() if (m := pattern.match(line))}


def readme_table_names():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_column))
    return names


def test_settings_are_read_through_the_helpers_that_name_the_variable():
    # The parse above must find the reads, or the tests below prove nothing.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "EMAIL_USE_SSL", "STATIC_ROOT"} <= settings_read()


def test_readme_configuration_table_lists_exactly_what_settings_read():
    documented, read = readme_table_names(), settings_read()
    assert sorted(read - documented) == [], "read by settings.py but missing from README's table"
    assert sorted(documented - read) == [], "in README's table but never read by settings.py"


def test_the_example_environment_file_names_only_settings_the_app_reads():
    assert sorted(env_example_names() - settings_read()) == []
    # The ones production cannot do without are in it.
    required = {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "TRUSTED_PROXY_COUNT"}
    assert required <= env_example_names()


def read_env_file(path):
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def test_the_example_environment_passes_check_deploy():
    environment = read_env_file(ENV_EXAMPLE) | {"SECRET_KEY": secrets.token_urlsafe(50)}
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # HSTS preload is off on purpose: tests/deploy_check_settings.py silences only W021.
        env=base | environment | {"DJANGO_SETTINGS_MODULE": "tests.deploy_check_settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def units(tmp_path):
    """The unit files with this checkout and a temporary environment file
    in place of the server's paths, so ExecStart names real programs."""
    (tmp_path / "eserviceverkstad.env").write_text(ENV_EXAMPLE.read_text())
    copies = []
    for unit in sorted([*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")]):
        text = unit.read_text().replace(ENV_FILE, str(tmp_path / "eserviceverkstad.env"))
        copy = tmp_path / unit.name
        copy.write_text(text.replace(SERVER_ROOT, str(ROOT)))
        copies.append(copy)
    return copies


def test_the_systemd_units_verify(tmp_path):
    systemd_analyze = tool("systemd-analyze", "checking the systemd units")
    copies = units(tmp_path)
    assert {copy.name for copy in copies} >= {
        "eserviceverkstad-web.service",
        "eserviceverkstad-tasks.service",
    }
    result = subprocess.run(
        [systemd_analyze, "verify", "--man=no", *map(str, copies)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 for some problems (an unknown key) but reports them.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_units_share_one_environment_file():
    for unit in DEPLOY.glob("*.service"):
        assert f"EnvironmentFile={ENV_FILE}" in unit.read_text(), unit.name


def test_the_nginx_site_overwrites_the_proxy_headers():
    site = (DEPLOY / "nginx-eserviceverkstad.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    # Named in a comment as what not to do, never in a directive.
    assert not re.search(r"^[^#\n]*\$proxy_add_x_forwarded_for", site, re.M)
    assert re.search(r"^\s*client_max_body_size \d+m;", site, re.M)


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = tool("nginx", "checking the nginx site")
    openssl = tool("openssl", "making a test certificate for the nginx site")
    certificate, key = tmp_path / "site.pem", tmp_path / "site.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=eservice.kommun.se", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (
        (DEPLOY / "nginx-eserviceverkstad.conf")
        .read_text()
        .replace("/etc/ssl/certs/eservice.kommun.se.pem", str(certificate))
        .replace("/etc/ssl/private/eservice.kommun.se.key", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
        .replace(SERVER_ROOT, str(ROOT))
    )
    (tmp_path / "site.conf").write_text(site)
    # The site as Debian's nginx.conf includes it, inside http {}.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log {tmp_path}/access.log;\n    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def postgres():
    bindir = find_bindir()
    if bindir is None:
        skip_or_fail("PostgreSQL (initdb, pg_ctl) not found", "the backup and restore test")
    cluster = Cluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def client_tool(bindir, name):
    """The cluster's own version of a client program (pg_dump must not be
    older than the server), else the one on PATH (postgresql-client)."""
    if (bindir / name).exists():
        return str(bindir / name)
    return tool(name, "the backup and restore test")


def psql(cluster, database, sql):
    result = subprocess.run(
        [client_tool(cluster.bindir, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
         cluster.url(database)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return result.stdout.strip()


def manage(cluster, database, *args):
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    environment = base | {
        "DJANGO_SETTINGS_MODULE": "eserviceverkstad.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": cluster.url(database),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, check=True, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


# What the round trip compares: a place, a role and the cache table that
# migrate creates outside the models.
COUNTS = (
    "SELECT (SELECT count(*) FROM agencies_municipality) || ',' || "
    "(SELECT count(*) FROM agencies_membership) || ',' || (SELECT count(*) FROM auth_group) || ',' || "
    "(SELECT count(*) FROM eserviceverkstad_cache)"
)


def test_a_backup_restores_into_an_empty_database(postgres, tmp_path):
    cluster = postgres
    cluster.create_database("eservice")
    manage(cluster, "eservice", "migrate", "--noinput")
    manage(
        cluster, "eservice", "shell", "-c",
        "from agencies.models import Municipality; "
        "Municipality.objects.create(name='Boxholm', formal_name='Boxholms kommun', slug='boxholm')",
    )  # fmt: skip
    manage(cluster, "eservice", "grant", "coordinator", "lena", "boxholm", "--create")
    psql(
        cluster, "eservice", "INSERT INTO eserviceverkstad_cache VALUES ('k', 'v', now() + interval '1 day')"
    )
    before = psql(cluster, "eservice", COUNTS)

    backups = tmp_path / "backups"
    environment = {
        "PATH": f"{cluster.bindir}:{os.environ.get('PATH', '')}",
        "DATABASE_URL": cluster.url("eservice"),
        "BACKUP_DIR": str(backups),
        "BACKUP_KEEP_DAYS": "35",
    }
    subprocess.run([str(DEPLOY / "backup.sh")], env=environment, check=True, capture_output=True, timeout=120)
    [dump] = backups.glob("eservice-*.dump")
    assert not list(backups.glob("*.partial"))

    # docs/deployment.md, "Backup and restore": into a new, empty database.
    cluster.create_database("eservice_restored")
    subprocess.run(
        [client_tool(cluster.bindir, "pg_restore"), "--no-owner", "--exit-on-error",
         "--dbname", cluster.url("eservice_restored"), str(dump)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert before.startswith("1,1,2,") and before != "1,1,2,0"
    assert psql(cluster, "eservice_restored", COUNTS) == before
    # The restored database is complete as far as the app can tell.
    assert (
        "No planned migration operations" in manage(cluster, "eservice_restored", "migrate", "--plan").stdout
    )


def test_backups_older_than_the_kept_days_are_deleted(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old, recent = backups / "eservice-2026-01-01T023000.dump", backups / "eservice-2026-11-30T023000.dump"
    for dump in (old, recent):
        dump.write_bytes(b"dump")
    os.utime(old, (0, 0))
    # pg_dump is not needed to test the clean-up: a stand-in that writes its --file.
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a; do case "$a" in --file=*) : > "${a#--file=}";; esac; done\n')
    fake.chmod(0o755)
    environment = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "DATABASE_URL": "postgres://eservice@db.invalid/eservice",
        "BACKUP_DIR": str(backups),
        "BACKUP_KEEP_DAYS": "35",
    }
    subprocess.run([str(DEPLOY / "backup.sh")], env=environment, check=True, capture_output=True, timeout=60)
    assert not old.exists() and recent.exists()
    assert len(list(backups.glob("eservice-*.dump"))) == 2  # the recent one and tonight's


def locked(path):
    """{name: version} of a lock file, following -r includes."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins |= locked(path.parent / line[3:].strip())
        elif line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def direct(requirements):
    return {Requirement(text).name.lower() for text in requirements}


def test_the_runtime_lock_has_no_test_tools_and_the_dev_lock_adds_them():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, development = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-dev.lock")
    test_tools = direct(project["optional-dependencies"]["test"])
    assert direct(project["dependencies"]) <= set(runtime)
    assert not test_tools & set(runtime), "a test tool in the server's lock"
    assert test_tools <= set(development)
    assert runtime.items() <= development.items(), "the dev lock must include the runtime lock as it is"
    for line in (ROOT / "requirements-dev.lock").read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-r ")):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.]+", line), line


def test_make_installs_the_runtime_lock_to_run_and_the_dev_lock_to_test():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: setup$", makefile, re.M)
    assert re.search(r"^test: setup-dev lint$", makefile, re.M)
    assert re.search(r"^bench: setup-dev$", makefile, re.M)
    assert "pip install --quiet -r requirements.lock" in makefile
    assert "pip install --quiet -r requirements-dev.lock" in makefile


def test_the_deployment_page_names_every_file_in_docs_deploy():
    page = (ROOT / "docs" / "deployment.md").read_text()
    missing = [path.name for path in DEPLOY.iterdir() if path.name not in page]
    assert missing == []
    for command in (
        "pg_dump --format=custom",
        "pg_restore --no-owner",
        "collectstatic",
        "compile",
        "migrate",
    ):
        assert command in page, command
