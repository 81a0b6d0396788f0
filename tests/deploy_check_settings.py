"""The production settings as they are, for test_security's
``check --deploy --fail-level WARNING``, with one warning silenced:
security.W021 says SECURE_HSTS_PRELOAD is off. It is off by default on
purpose (see settings.py): preloading is a promise for the whole domain,
which the municipality's IT department makes, not this app. Every other
warning still fails the test."""

from eserviceverkstad.settings import *  # noqa: F403

SILENCED_SYSTEM_CHECKS = ["security.W021"]
