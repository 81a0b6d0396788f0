"""Run a command against a real PostgreSQL.

    python tests/with_postgres.py CMD [ARGS...]

With DATABASE_URL set, CMD simply runs with it. Otherwise a throwaway
cluster is made with initdb in a temporary directory, listens only on
127.0.0.1 on a free port, and is stopped and deleted when CMD ends, also on
Ctrl-C or failure. The exit code is CMD's.

Without PostgreSQL installed the run is skipped (exit 0) with a message, but
with CI=true that is an error (exit 1): CI must never pass without having
tested on PostgreSQL.
"""

import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DB_NAME = "eserviceverkstad"
SUPERUSER = "postgres"


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if os.environ.get("DATABASE_URL"):
        return run(argv, os.environ["DATABASE_URL"])
    bindir = find_bindir()
    if bindir is None:
        return postgres_missing()
    return run_with_cluster(argv, bindir)


def find_bindir():
    """The directory with initdb and pg_ctl: on PATH, or Debian's versioned
    directory, which is not on PATH (newest version first)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
        reverse=True,
    )
    for initdb in candidates:
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def postgres_missing():
    if os.environ.get("CI", "").lower() == "true":
        print(
            "with_postgres: PostgreSQL (initdb, pg_ctl) not found, and CI=true requires the "
            "PostgreSQL run. Install it (Debian: apt-get install postgresql).",
            file=sys.stderr,
        )
        return 1
    print("with_postgres: PostgreSQL not found, skipping the PostgreSQL run.", file=sys.stderr)
    return 0


def run(argv, database_url):
    env = dict(os.environ, DATABASE_URL=database_url)
    try:
        process = subprocess.Popen(argv, env=env)
    except OSError as error:
        print(f"with_postgres: cannot run {argv[0]}: {error}", file=sys.stderr)
        return 127
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        # The terminal sent Ctrl-C to the command too; let it finish cleanly.
        returncode = process.wait()
    # A command killed by a signal exits like a shell would report it.
    return 128 - returncode if returncode < 0 else returncode


def run_with_cluster(argv, bindir):
    try:
        cluster = Cluster(bindir)
    except RuntimeError as error:
        print(f"with_postgres: {error}", file=sys.stderr)
        return 1
    # SIGTERM (e.g. a CI timeout) must also stop the cluster.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        cluster.start()
        cluster.create_database(DB_NAME)
        return run(argv, cluster.url(DB_NAME))
    except (subprocess.CalledProcessError, RuntimeError) as error:
        print(f"with_postgres: {error}\n{getattr(error, 'output', None) or ''}", file=sys.stderr)
        cluster.print_log()
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        cluster.destroy()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, owned by whoever may
    run it: initdb refuses to run as root, so as root the server runs as the
    ``postgres`` system user that Debian's package creates."""

    def __init__(self, bindir):
        self.bindir = bindir
        account = self._system_account()
        self.as_user = account.pw_name if account else None
        self.root = Path(tempfile.mkdtemp(prefix="eserviceverkstad-pg-"))
        if account:
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = None
        self.started = False

    @staticmethod
    def _system_account():
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise RuntimeError(
                f"running as root needs the '{SUPERUSER}' system user to run PostgreSQL."
            ) from None

    def _pg(self, program, *args, **kwargs):
        command = [str(self.bindir / program), *args]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        # Output is kept for the error message; on success it is only noise
        # (initdb warns about trust authentication, which is intended here).
        return subprocess.run(
            command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
        )

    def start(self):
        # --no-locale: the C locale exists everywhere, so no locale packages
        # are needed; UTF8 keeps Swedish letters intact.
        self._pg("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale")
        # A free port can be taken between asking and binding; try a few.
        for _attempt in range(3):
            self.port = free_port()
            if self._try_start():
                self.started = True
                return
        raise RuntimeError("could not start PostgreSQL on a free port.")

    def _try_start(self):
        # Durability is pointless for a throwaway cluster and slows tests.
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self.root))} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            # A new session: Ctrl-C in the terminal reaches the command, not
            # the server, which we then stop in order.
            self._pg(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", options, "start", start_new_session=True,
            )  # fmt: skip
        except subprocess.CalledProcessError:
            return False
        return True

    def url(self, database):
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name):
        createdb = self.bindir / "createdb"
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name]
        if createdb.exists():
            subprocess.run([str(createdb), *args], check=True)
        else:
            subprocess.run(
                [str(self.bindir / "psql"), *args[:-1], "-c", f'CREATE DATABASE "{name}"'], check=True
            )

    def print_log(self):
        if self.log.exists():
            print(self.log.read_text(errors="replace")[-4000:], file=sys.stderr)

    def destroy(self):
        if self.started:
            self._stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _stop(self):
        for _attempt in range(3):
            try:
                self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
                return
            except subprocess.CalledProcessError:
                if not self._running():
                    return
                time.sleep(1)
            except KeyboardInterrupt:
                continue  # a second Ctrl-C must not leave the server behind
        print(f"with_postgres: PostgreSQL in {self.data} did not stop.", file=sys.stderr)

    def _running(self):
        # pg_ctl status: 0 running, 3 not running, 4 no data directory.
        try:
            self._pg("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
