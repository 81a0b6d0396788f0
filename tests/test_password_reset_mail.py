"""The password-reset mail goes through the task cluster: the page answers
at once, the queued task carries only the user's id and the language (the
link's token is a secret, made when the task builds the mail), the link
points at the site's own address whatever Host the request named, and a
mail server that refuses is logged at error level.

The cast: Sofia, Mjölby staff, who forgot her password."""

import logging
import re
import socket
import threading

import pytest
from django.contrib.auth.models import User
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from eserviceverkstad.mail import send_built_mail

pytestmark = pytest.mark.django_db

SITE = "https://eservice.mjolby.example"


@pytest.fixture
def sofia(settings):
    settings.CSRF_TRUSTED_ORIGINS = [SITE]
    return User.objects.create_user("sofia", "sofia@mjolby.example", "glömt-lösenord-123")


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks stay in the queue (the ORM broker's table), as in production."""
    monkeypatch.setattr(Conf, "SYNC", False)
    return lambda: [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]


def ask_for_reset(client, **extra):
    return client.post("/accounts/password-reset/", {"email": "sofia@mjolby.example"}, **extra)


def test_the_request_only_queues_a_task_with_the_users_id(client, sofia, mailoutbox, queued_tasks):
    client.cookies["django_language"] = "en"
    assert ask_for_reset(client)["Location"] == "/accounts/password-reset/sent/"
    assert mailoutbox == []
    [task] = queued_tasks()
    assert task["args"] == ("eserviceverkstad.password_reset.build_reset_mail", sofia.pk)
    assert task["kwargs"] == {"on_sent": None, "language": "en"}


def test_the_task_sends_a_working_link_to_the_sites_own_address(client, sofia, mailoutbox, queued_tasks):
    client.cookies["django_language"] = "en"
    # A forged Host (allowed, but not the site's address) must not reach the link.
    ask_for_reset(client, HTTP_HOST="localhost")
    [task] = queued_tasks()
    assert send_built_mail(*task["args"], **task["kwargs"]) is True
    [mail] = mailoutbox
    assert mail.to == ["sofia@mjolby.example"]
    assert mail.subject == "New password for the e-service workshop"
    link = re.search(rf"{re.escape(SITE)}(/accounts/reset/\S+/)", mail.body).group(1)
    form = client.get(link)
    assert form.status_code == 302
    done = client.post(
        form["Location"], {"new_password1": "Nytt-lösen-2026", "new_password2": "Nytt-lösen-2026"}
    )
    assert done["Location"] == "/accounts/reset/done/"
    sofia.refresh_from_db()
    assert sofia.check_password("Nytt-lösen-2026")


def test_a_user_deactivated_before_the_task_runs_gets_no_mail(client, sofia, mailoutbox, queued_tasks):
    ask_for_reset(client)
    User.objects.filter(pk=sofia.pk).update(is_active=False)
    [task] = queued_tasks()
    assert send_built_mail(*task["args"], **task["kwargs"]) is False
    assert mailoutbox == []


@pytest.fixture
def refusing_mail_server(settings):
    """A mail server on loopback that refuses every connection with 554."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def refuse():
        while True:
            try:
                connection, _address = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"554 5.7.1 No mail from you\r\n")

    threading.Thread(target=refuse, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    yield
    server.close()


def test_a_refusing_mail_server_is_logged_at_error_level(client, sofia, refusing_mail_server, caplog):
    # Tasks run at once here (tests/settings.py), as the cluster would run them.
    with caplog.at_level(logging.ERROR, logger="eserviceverkstad.mail"):
        response = ask_for_reset(client)
    assert response["Location"] == "/accounts/password-reset/sent/"
    [record] = [record for record in caplog.records if record.name == "eserviceverkstad.mail"]
    assert record.levelno == logging.ERROR
    assert "build_reset_mail" in record.getMessage()
    assert "No mail from you" in caplog.text
