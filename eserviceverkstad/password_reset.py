"""The password-reset mail, sent by the task cluster like every other mail
(eserviceverkstad/mail.py), so a slow or refusing mail server never holds
up the page and a failure is logged at error level by the task.

The reset link holds a secret (the token) and the user's id in base 64. The
task's arguments are stored in the queue and in django-q's task log, which
superusers can read in the admin, so the task carries only the user's id:
the token is made when the mail is built, in the task (it is then valid for
PASSWORD_RESET_TIMEOUT from that moment). The link's address is the site's
own, the first of CSRF_TRUSTED_ORIGINS, never the Host header of the request
that asked, so a forged Host cannot send a staff member a link to another
site.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
BODY_TEMPLATE = "registration/password_reset_email.html"


def site_origin():
    """The site's own address: the first CSRF_TRUSTED_ORIGINS (production
    sets it), else the first ALLOWED_HOSTS over plain HTTP (development)."""
    if settings.CSRF_TRUSTED_ORIGINS:
        parts = urlsplit(settings.CSRF_TRUSTED_ORIGINS[0])
        return parts.scheme, parts.netloc
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "") and not host.startswith(".")]
    return "http", hosts[0] if hosts else "localhost"


def build_reset_mail(user_id):
    """The mail for ``user_id``, or None when that user may no longer
    reset a password (deactivated, or the address removed, since asking)."""
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return None
    protocol, domain = site_origin()
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": protocol,
    }
    subject = "".join(loader.render_to_string(SUBJECT_TEMPLATE, context).splitlines())
    body = loader.render_to_string(BODY_TEMPLATE, context)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
