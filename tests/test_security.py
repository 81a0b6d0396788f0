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


def _run_django(env, *args):
    # A clean environment: the test process itself has test settings set.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "eserviceverkstad.settings", **env},
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
    result = _run_django(
        {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
