"""Settings for the test suite: production settings with a fixed secret,
without the HTTPS redirect (the test client speaks plain HTTP), and with
background tasks run synchronously."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from eserviceverkstad.settings import *  # noqa: E402,F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the source folders in browser tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks (such as mail) run at once, in the test's own transaction, so a test
# sees their outcome; a test that wants the queue sets Conf.SYNC back.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's default in-memory test database. With memory, the
    # live server's request threads and the test all share one connection,
    # so one thread's transaction is another's, and a browser test could hang
    # on it. With a file each thread has its own connection and SQLite's real
    # locking (WAL, IMMEDIATE, busy timeout), as on a server.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}  # noqa: F405

# The read replica of the statistics page (eserviceverkstad/db_routing.py),
# as a mirror of the test database: off unless a test turns
# STATISTICS_READ_REPLICA on (tests/test_statistics_replica.py).
DATABASES["statistics"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
STATISTICS_READ_REPLICA = False
