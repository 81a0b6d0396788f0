"""Sending e-mail from a background task, so that a slow or unreachable mail
server never holds up a request (the worker waits at most EMAIL_TIMEOUT).

A mail is queued as the dotted path of a *build* function and the ids it
needs. The task's arguments are stored in the queue table and in django-q's
task log, so they are ids only, never an address or a text a resident wrote:
the build function reads those from the database when the task runs, and
renders the mail in its recipient's language (``translation.override``),
because a task has no request and no active language of its own; a mail
whose recipient chose the language on the page (a password reset) is queued
with ``language``, a language code of the site, and built in it.

With the ORM broker on the default database the task row is written in the
caller's transaction: the worker sees it only once the rows it names are
committed, and never if they are rolled back.
"""

import logging
import smtplib
from contextlib import nullcontext

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def send_mail_later(build, *ids, on_sent=None, language=None):
    """Queue the e-mail that ``build(*ids)`` returns (an EmailMessage, or
    None when there is nothing to send), built in ``language`` if given.
    ``on_sent``, a dotted path too, is called as ``on_sent(*ids,
    message=message)`` after it was sent."""
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids):
        raise TypeError("A mail task carries only ids; the build function reads the rest.")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of the site's languages.")
    options = {"on_sent": on_sent} | ({"language": language} if language else {})
    return async_task(
        "eserviceverkstad.mail.send_built_mail", build, *ids, **options, task_name=f"mail {build}"
    )


def send_built_mail(build, *ids, on_sent=None, language=None):
    """The task: build the mail, send it, and tell ``on_sent``. A mail that
    cannot be sent is logged and not retried; returns whether it was sent."""
    with translation.override(language) if language else nullcontext():
        message = import_string(build)(*ids)
    if message is None:
        return False
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("The mail %s %s could not be sent.", build, ids)
        return False
    if on_sent:
        import_string(on_sent)(*ids, message=message)
    return True
