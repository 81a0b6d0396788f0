"""Mail goes out from the task cluster, never from inside a request: the
request only queues a task that carries ids, and the task renders the mail
in the recipient's language."""

import pytest
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from agencies.models import AccessibilityReport
from eserviceverkstad.mail import send_built_mail, send_mail_later
from tests import factories

pytestmark = pytest.mark.django_db

DESCRIPTION = "Knappen Skicka går inte att nå med tangentbordet."
RESIDENT_ADDRESS = "amina@example.se"


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks stay in the queue (the ORM broker's table), as in production."""
    monkeypatch.setattr(Conf, "SYNC", False)

    def tasks():
        return [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]

    return tasks


@pytest.fixture
def mjolby_library():
    town = factories.municipality("Mjölby", contact_email="verkstad@mjolby.example")
    return factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")


def send_report(client, venue):
    data = {"venue": venue.pk, "page": "/schedule/", "description": DESCRIPTION, "reply_to": RESIDENT_ADDRESS}
    return client.post("/accessibility/", data)


def test_the_report_request_only_queues_a_task_that_carries_ids(
    client, mjolby_library, mailoutbox, queued_tasks
):
    client.cookies["django_language"] = "en"
    assert send_report(client, mjolby_library).status_code == 302
    assert mailoutbox == []  # no mail server was asked during the request
    stored = AccessibilityReport.objects.get()
    assert stored.emailed_to == ""
    [task] = queued_tasks()
    assert task["func"] == "eserviceverkstad.mail.send_built_mail"
    assert task["args"] == ("agencies.accessibility.build_report_mail", stored.pk)
    assert task["kwargs"] == {"on_sent": "agencies.accessibility.record_emailed"}
    # Nothing the resident wrote is stored in the queue or the task log.
    assert DESCRIPTION not in repr(task) and RESIDENT_ADDRESS not in repr(task)


def test_the_task_sends_the_report_in_swedish_and_records_where_it_went(
    client, mjolby_library, mailoutbox, queued_tasks
):
    client.cookies["django_language"] = "en"
    send_report(client, mjolby_library)
    [task] = queued_tasks()
    # The worker has a language of its own; the municipality's staff read Swedish.
    with translation.override("en"):
        assert send_built_mail(*task["args"], **task["kwargs"]) is True
    [mail] = mailoutbox
    assert mail.subject == "Rapport om tillgänglighet: Mjölby bibliotek"
    assert mail.body.startswith("En invånare har rapporterat ett problem med tillgängligheten")
    assert mail.to == ["verkstad@mjolby.example"]
    assert mail.reply_to == [RESIDENT_ADDRESS]
    assert AccessibilityReport.objects.get().emailed_to == "verkstad@mjolby.example"


def test_a_report_deleted_before_the_task_ran_sends_nothing(client, mjolby_library, mailoutbox, queued_tasks):
    send_report(client, mjolby_library)
    [task] = queued_tasks()
    AccessibilityReport.objects.all().delete()
    assert send_built_mail(*task["args"], **task["kwargs"]) is False
    assert mailoutbox == []


def build_test_mail(number):
    return EmailMessage(subject=f"Test {number}", body="", to=["verkstad@mjolby.example"])


@pytest.mark.parametrize("argument", ["amina@example.se", 4.5, None, True])
def test_a_mail_task_refuses_anything_but_ids(argument):
    with pytest.raises(TypeError, match="only ids"):
        send_mail_later("tests.test_mail_tasks.build_test_mail", argument)


def test_with_synchronous_tasks_the_mail_is_in_the_outbox_at_once(mailoutbox):
    send_mail_later("tests.test_mail_tasks.build_test_mail", 7)
    assert [mail.subject for mail in mailoutbox] == ["Test 7"]


def test_the_mail_server_gets_a_timeout():
    assert settings.EMAIL_TIMEOUT == 10
