"""Security headers, production settings and strict environment parsing."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_content_security_policy_allows_nothing_inline_or_foreign(client):
    response = client.get("/schedule/")
    policy = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]


def test_https_responses_carry_a_year_of_hsts_and_the_other_headers(client):
    response = client.get("/schedule/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_cookies_are_secure_httponly_and_samesite(client):
    response = client.get("/accounts/login/", secure=True)
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
    language = switched.cookies["django_language"]
    assert language["secure"] and language["httponly"] and language["samesite"] == "Lax"


INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "inline style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I), "resource from another host"),
]


def test_templates_have_no_inline_code_or_foreign_resources():
    problems = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        problems += [
            f"{template.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)
        ]
    assert problems == []


def _run_django(env, *args, settings="eserviceverkstad.settings"):
    # A clean environment: the test process itself has test settings set.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# The environment README's "Production deployment" documents: behind one
# TLS proxy, with PostgreSQL and SMTP (check does not connect to either).
PRODUCTION_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "eservice.example.se",
    "CSRF_TRUSTED_ORIGINS": "https://eservice.example.se",
    "DATABASE_URL": "postgres://eservice:password@db.invalid/eservice",
    "EMAIL_HOST": "smtp.example.se",
    "DEFAULT_FROM_EMAIL": "e-serviceverkstad@example.se",
    "TRUSTED_PROXY_COUNT": "1",
}


def test_check_deploy_passes_with_production_settings():
    # HSTS preload is off by default on purpose (a promise for the whole
    # domain, see settings.py), so Django's security.W021 is silenced by
    # these settings, and only that warning: the fail level stays WARNING.
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        settings="tests.deploy_check_settings",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_about_sqlite_when_no_database_is_configured():
    environment = {key: value for key, value in PRODUCTION_ENV.items() if key != "DATABASE_URL"}
    result = _run_django(
        {**environment, "SECRET_KEY": secrets.token_urlsafe(50)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        settings="tests.deploy_check_settings",
    )
    assert result.returncode != 0
    assert "(eserviceverkstad.W002) DATABASE_URL is not set: the app runs on SQLite" in result.stderr


def test_development_keeps_sqlite_without_a_warning():
    result = _run_django({"DEBUG": "true"}, "check", "--deploy", "--fail-level", "WARNING")
    assert "eserviceverkstad.W002" not in result.stderr


def _setting(env, expression):
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **env},
        "shell",
        "-c",
        f"from django.conf import settings; print(repr({expression}))",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_covers_sub_domains_but_is_not_preloaded_unless_asked():
    hsts = "(settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)"
    assert _setting({}, hsts) == "(True, False)"
    assert _setting({"SECURE_HSTS_PRELOAD": "true"}, hsts) == "(True, True)"
    assert _setting({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"}, hsts) == "(False, False)"


def test_mail_uses_starttls_on_587_by_default_and_implicit_tls_on_465_when_asked():
    mail = "(settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.EMAIL_PORT)"
    assert _setting({}, mail) == "(True, False, 587)"
    assert _setting({"EMAIL_USE_SSL": "true"}, mail) == "(False, True, 465)"


def test_mail_refuses_both_kinds_of_tls_at_once():
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": "x" * 60, "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "check"
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true" in result.stderr


def test_static_root_can_be_moved(tmp_path):
    assert _setting({"STATIC_ROOT": str(tmp_path)}, "str(settings.STATIC_ROOT)") == repr(str(tmp_path))
    assert _setting({}, "str(settings.STATIC_ROOT)") == repr(str(ROOT / "var" / "static"))


def test_a_broken_kept_connection_is_replaced_before_use():
    assert _setting({}, "settings.DATABASES['default']['CONN_HEALTH_CHECKS']") == "True"


def test_check_deploy_warns_when_no_proxy_is_trusted():
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), "TRUSTED_PROXY_COUNT": "0"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode != 0
    assert "(eserviceverkstad.W001) TRUSTED_PROXY_COUNT is 0" in result.stderr
    assert "HINT: Run the app behind a TLS-terminating proxy" in result.stderr


@pytest.mark.parametrize(("count", "header"), [("0", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")])
def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(count, header):
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), "TRUSTED_PROXY_COUNT": count},
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == header


def test_a_bad_debug_value_stops_start_up_with_a_message():
    result = _run_django({"DEBUG": "maybe", "SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = _run_django({"DEBUG": "false"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_number_names_the_variable():
    result = _run_django({"DEBUG": "true", "OCCURRENCE_HORIZON_DAYS": "a year"}, "check")
    assert result.returncode != 0
    assert "OCCURRENCE_HORIZON_DAYS must be a whole number" in result.stderr


def test_migrations_can_be_checked_on_a_checkout_without_any_configuration():
    result = _run_django({}, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
