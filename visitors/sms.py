"""Text messages to residents who left only a phone number.

``settings.SMS_BACKEND`` names a class with ``send(message)``, given a saved
``SmsMessage``. The default, ``OutboxBackend``, sends nothing: the message
waits in the outbox that staff read on "my day" and send or call by hand. A
municipality plugs in its SMS provider with its own class, which sends the
message and sets ``sent_at``. Messages are sent from a task that carries
only the booking id, and are never written to the log (they hold a number).
"""

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

KINDS = ("confirmation", "reminder", "cancelled", "moved")


class OutboxBackend:
    """Keeps the message for staff; nothing leaves the building."""

    def send(self, message):
        return False


class SentAtOnceBackend:
    """For tests and demos: marks every message sent at once."""

    def send(self, message):
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
        return True


def send_sms_later(kind, booking_id):
    if kind not in KINDS or not isinstance(booking_id, int):
        raise TypeError("An SMS task carries a kind and a booking id only.")
    return async_task("visitors.sms.send_booking_sms", kind, booking_id, task_name=f"sms {kind}")


def send_booking_sms(kind, booking_id):
    """The task: write the message of ``kind`` for the booking into the
    outbox and hand it to the backend."""
    from visitors.booking import sms_text
    from visitors.models import Booking, SmsMessage

    booking = (
        Booking.objects.select_related("occurrence__slot__venue")
        .filter(pk=booking_id, erased_at__isnull=True)
        .exclude(phone="")
        .first()
    )
    if booking is None:
        return False
    message = SmsMessage.objects.create(booking=booking, phone=booking.phone, body=sms_text(booking, kind))
    return import_string(settings.SMS_BACKEND)().send(message)
