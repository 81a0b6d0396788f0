"""System checks for the deployment settings this project adds."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

NO_TRUSTED_PROXY = "eserviceverkstad.W001"


@register(Tags.security, deploy=True)
def check_trusted_proxy(app_configs, **kwargs):
    """Production runs behind a TLS proxy (README). Without trusting it,
    every request seems to come from the proxy over plain HTTP: the login
    throttle and the report form's limit then count one address for
    everybody, and the HTTPS redirect never ends."""
    if settings.DEBUG or settings.TRUSTED_PROXY_COUNT >= 1:
        return []
    return [
        Warning(
            "TRUSTED_PROXY_COUNT is 0: X-Forwarded-For and X-Forwarded-Proto are ignored.",
            hint=(
                "Run the app behind a TLS-terminating proxy that overwrites X-Forwarded-For and "
                "X-Forwarded-Proto, and set TRUSTED_PROXY_COUNT to the number of proxies (1 for one "
                "nginx or Apache); see README, Production deployment, and docs/deployment.md."
            ),
            id=NO_TRUSTED_PROXY,
        )
    ]


EMBEDDED_SQLITE = "eserviceverkstad.W002"


@register(Tags.security, deploy=True)
def check_database_is_configured(app_configs, **kwargs):
    """Without DATABASE_URL the app quietly uses the SQLite file in var/,
    the embedded default of `make run`. In production that is one file on
    one server: no second app server, no pg_dump, and a lost disk loses
    every visit log."""
    if settings.DEBUG or settings.DATABASE_URL_IS_SET:
        return []
    return [
        Warning(
            f"DATABASE_URL is not set: the app runs on SQLite in {settings.DATABASES['default']['NAME']}.",
            hint=(
                "Set DATABASE_URL to the PostgreSQL database, e.g. "
                "postgres://eservice:password@db.kommun.se/eservice; see docs/deployment.md."
            ),
            id=EMBEDDED_SQLITE,
        )
    ]
