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
                "nginx or Apache); see README, Production deployment."
            ),
            id=NO_TRUSTED_PROXY,
        )
    ]
