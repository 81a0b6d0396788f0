"""Booking a time or a seat, cancelling it, and the mail and messages that
follow. The one place that counts places: ``book`` locks the occurrence's
row, counts the places held, and inserts, all in one transaction, so two
residents can never get the last place (on SQLite every transaction is
IMMEDIATE, see settings.py, which serialises them the same way).

Task arguments are booking ids only: django-q2 stores them, and a name, a
number or an address must never land in the queue or the task log.
"""

import dataclasses
import datetime
import functools
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar, Event

from agencies.models import EService, Membership, Municipality, Role
from agencies.permissions import agencies_for, coordinated_municipalities, venues_for_logging
from eserviceverkstad.i18n import format_clock, format_long_date
from eserviceverkstad.mail import send_mail_later
from eserviceverkstad.password_reset import site_origin
from sessions.calendar_feed import UID_DOMAIN, stockholm_vtimezone
from sessions.models import STOCKHOLM, Format, Occurrence
from sessions.schedule import record_places_taken
from visitors.models import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Booking,
    BookingStatus,
    SmsMessage,
    WaitingListEntry,
    WaitingStatus,
)
from visitors.sms import send_sms_later

logger = logging.getLogger(__name__)

# A test-only hook, called right after the count with (occurrence, taken):
# the race test makes every thread wait there for the others, to prove the
# lock is what keeps the count right. Always None in production.
after_count = None

CANCEL_SALT = "visitors.booking.cancel"
VIEW_SALT = "visitors.booking.view"


class Refusal:
    FULL = "full"
    PASSED = "passed"
    CANCELLED = "cancelled"
    NOT_BOOKABLE = "not_bookable"
    NOT_OFFERED = "not_offered"
    DUPLICATE = "duplicate"
    NOT_FULL = "not_full"
    OFFER_GONE = "offer_gone"


REFUSAL_MESSAGES = {
    Refusal.FULL: gettext_lazy("This time is fully booked. Choose another time."),
    Refusal.PASSED: gettext_lazy("This session has already begun or is over, so it cannot be booked."),
    Refusal.CANCELLED: gettext_lazy("This session is cancelled, so it cannot be booked."),
    Refusal.NOT_BOOKABLE: gettext_lazy("This session is not booked in advance: just come by."),
    Refusal.NOT_OFFERED: gettext_lazy("Choose one of the times shown."),
    Refusal.DUPLICATE: gettext_lazy(
        "You have already booked this session. You cannot book it twice with the same phone or e-mail."
    ),
    Refusal.NOT_FULL: gettext_lazy("This time still has free places: book it instead."),
    Refusal.OFFER_GONE: gettext_lazy(
        "This offer is no longer open: the time to take it ran out, or the place was taken."
    ),
}


class BookingRefused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self):
        return str(REFUSAL_MESSAGES[self.reason])


@dataclasses.dataclass
class BookingRequest:
    """What a resident (or staff for them) asks for. ``starts_at`` is one of
    the occurrence's bookable times."""

    starts_at: datetime.datetime
    name: str
    phone: str = ""
    email: str = ""
    topic: object = None
    need: str = ""
    language: str = ""
    site_language: str = "sv"
    needs_interpreter: bool = False
    needs_accessibility: bool = False


def lock_occurrence(occurrence_id):
    """The occurrence, its row locked until the transaction ends: every
    booking of it waits here for the one before to commit its count."""
    return (
        Occurrence.objects.select_for_update(of=("self",))
        .select_related("slot__agency", "slot__venue")
        .get(pk=occurrence_id)
    )


def refusal_for(occurrence, now=None):
    """Why ``occurrence`` cannot be booked at all, or None."""
    if not occurrence.slot.is_bookable:
        return Refusal.NOT_BOOKABLE
    if occurrence.is_cancelled:
        return Refusal.CANCELLED
    if occurrence.starts_at <= (now or timezone.now()):
        return Refusal.PASSED
    return None


def offered_time(occurrence, starts_at):
    """The (start, end) of the bookable time starting at ``starts_at``;
    refuses a time the occurrence does not offer (03:00, another length)."""
    for start, end in occurrence.booking_times():
        if start == starts_at:
            return start, end
    raise BookingRefused(Refusal.NOT_OFFERED)


def places_held(occurrence_id):
    """{start of a time: places held, open waiting-list offers included},
    for the booking page (not locked: it only shows; ``book`` counts again
    under the lock)."""
    rows = (
        Booking.objects.holding_a_place()
        .filter(occurrence_id=occurrence_id)
        .values("starts_at")
        .annotate(held=Count("pk"))
    )
    held = {row["starts_at"]: row["held"] for row in rows}
    offers = open_offers().filter(occurrence_id=occurrence_id).values("starts_at").annotate(held=Count("pk"))
    for row in offers:
        held[row["starts_at"]] = held.get(row["starts_at"], 0) + row["held"]
    return held


def _contact_taken(occurrence, phone, email):
    held = Booking.objects.holding_a_place().filter(occurrence=occurrence)
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone=phone)
    if email:
        condition |= Q(email=email)
    return held.filter(condition).exists()


def new_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _insert(booking):
    """Insert with a fresh reference; a clash of references (one in a
    billion) draws again, a clash of contacts is a duplicate booking."""
    for _attempt in range(3):
        booking.reference = new_reference()
        try:
            with transaction.atomic():
                booking.save()
            return booking
        except IntegrityError:
            if _contact_taken(booking.occurrence, booking.phone, booking.email):
                raise BookingRefused(Refusal.DUPLICATE) from None
    raise RuntimeError("No free booking reference after three tries.")


def book(occurrence_id, wanted, *, by=None, now=None):
    """Book ``wanted`` (a BookingRequest) at the occurrence, or raise
    BookingRefused. Lock, count, insert: in one transaction."""
    with transaction.atomic():
        occurrence = lock_occurrence(occurrence_id)
        reason = refusal_for(occurrence, now)
        if reason:
            raise BookingRefused(reason)
        start, end = offered_time(occurrence, wanted.starts_at)
        counts = _count_taken(occurrence, start, now)
        if after_count is not None:
            after_count(occurrence, counts["here"])
        if counts["here"] >= occurrence.slot.capacity:
            raise BookingRefused(Refusal.FULL)
        if _contact_taken(occurrence, wanted.phone, wanted.email):
            raise BookingRefused(Refusal.DUPLICATE)
        fields = dataclasses.asdict(wanted)
        fields.update(starts_at=start, ends_at=end, topic=wanted.topic)
        booking = _insert(Booking(occurrence=occurrence, booked_by=by, **fields))
        record_places_taken(occurrence, counts["total"] + 1)
        _tell_booked(booking)
    return booking


def open_offers(now=None):
    """Waiting-list offers still open: each reserves its place."""
    return WaitingListEntry.objects.filter(
        status=WaitingStatus.OFFERED, offer_ends_at__gt=now or timezone.now()
    )


def _count_taken(occurrence, start, now, *, except_entry=None):
    """Places taken at the occurrence (``total``: bookings) and at the time
    ``start`` (``here``: bookings plus open offers, but not
    ``except_entry``'s). Called with the occurrence's row locked."""
    counts = (
        Booking.objects.holding_a_place()
        .filter(occurrence=occurrence)
        .aggregate(total=Count("pk"), here=Count("pk", filter=Q(starts_at=start)))
    )
    offers = open_offers(now).filter(occurrence=occurrence, starts_at=start)
    if except_entry is not None:
        offers = offers.exclude(pk=except_entry.pk)
    counts["here"] += offers.count()
    return counts


def _tell_booked(booking):
    if booking.email:
        send_mail_later("visitors.booking.build_confirmation_mail", booking.pk)
    elif booking.phone:
        send_sms_later("confirmation", booking.pk)


def cancel(booking_id, *, now=None):
    """Cancel a booking that holds a place; the place is free at once.
    Returns False when it was already cancelled (a replayed link)."""
    with transaction.atomic():
        occurrence_id = Booking.objects.filter(pk=booking_id).values_list("occurrence_id", flat=True).get()
        occurrence = lock_occurrence(occurrence_id)
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status != BookingStatus.BOOKED:
            return False
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now or timezone.now()
        booking.save(update_fields=["status", "cancelled_at"])
        held = Booking.objects.holding_a_place().filter(occurrence=occurrence).count()
        record_places_taken(occurrence, held)
        offer_free_places(occurrence, now=now)
    return True


def mark(booking, status):
    """Staff mark a booking as attended or no-show (both keep the place)."""
    if status not in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.BOOKED):
        raise ValueError(status)
    Booking.objects.filter(pk=booking.pk).exclude(status=BookingStatus.CANCELLED).update(status=status)


# Links. Signed, so a booking cannot be found or cancelled by guessing.


def cancel_token(booking):
    return signing.dumps([booking.pk, booking.reference], salt=CANCEL_SALT, compress=True)


def view_token(booking):
    return signing.dumps([booking.pk, booking.reference], salt=VIEW_SALT, compress=True)


def booking_from_token(token, salt):
    """The booking a signed token names, or None for a tampered token or
    one whose booking is gone or erased."""
    try:
        pk, reference = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(reference, str):
        return None
    return (
        Booking.objects.select_related("occurrence__slot__agency", "occurrence__slot__venue", "topic")
        .filter(pk=pk, reference=reference, erased_at__isnull=True)
        .first()
    )


def cancel_url(booking):
    # A task has no request: the site's own address, as for password resets.
    scheme, host = site_origin()
    return f"{scheme}://{host}" + reverse("visitors:booking_cancel", args=[cancel_token(booking)])


# What residents read: the confirmation page, the mails and the slip.


def what_to_bring(booking):
    """The agency's e-services' "what to bring" lines: those about the
    chosen topic when there are any, otherwise all of the agency's."""
    eservices = EService.objects.filter(agency_id=booking.occurrence.slot.agency_id).exclude(what_to_bring="")
    if booking.topic_id:
        about_topic = eservices.filter(topics=booking.topic_id)
        if about_topic.exists():
            eservices = about_topic
    return [(e.name, e.what_to_bring) for e in eservices.order_by("name")]


def summary_lines(booking):
    occurrence = booking.occurrence
    slot, venue = occurrence.slot, occurrence.slot.venue
    place = ", ".join(part for part in (venue.name, occurrence.display_room, venue.address) if part)
    what = slot.agency.name
    if slot.title:
        what = f"{what}: {slot.title}"
    lines = [
        _("What: %(what)s") % {"what": what},
        _("When: %(day)s %(start)s–%(end)s")
        % {
            "day": format_long_date(booking.local_start.date()),
            "start": format_clock(booking.local_start),
            "end": format_clock(booking.local_end),
        },
        _("Where: %(place)s") % {"place": place},
        _("Booking reference: %(reference)s") % {"reference": booking.reference},
    ]
    return lines


def booking_calendar(booking):
    """The booked time as an .ics file."""
    occurrence = booking.occurrence
    venue = occurrence.slot.venue
    calendar = Calendar()
    calendar.add("prodid", "-//E-serviceverkstad//booking//SV")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(stockholm_vtimezone())
    event = Event()
    event.add("uid", f"booking-{booking.reference}@{UID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    # A moved session sends the same event again; a higher SEQUENCE makes
    # calendar apps replace the old time instead of keeping both.
    event.add("sequence", occurrence.sequence)
    event.add("dtstart", booking.starts_at.astimezone(STOCKHOLM))
    event.add("dtend", booking.ends_at.astimezone(STOCKHOLM))
    event.add("summary", summary_lines(booking)[0].split(": ", 1)[1])
    event.add(
        "location", ", ".join(part for part in (venue.name, occurrence.display_room, venue.address) if part)
    )
    event.add("description", _("Booking reference: %(reference)s") % {"reference": booking.reference})
    calendar.add_component(event)
    return calendar.to_ical()


def _booking_for_mail(booking_id):
    return (
        Booking.objects.select_related("occurrence__slot__agency", "occurrence__slot__venue", "topic")
        .filter(pk=booking_id, erased_at__isnull=True)
        .exclude(email="")
        .first()
    )


def _mail(booking, subject, intro, *, with_calendar=True, with_cancel=True):
    lines = [intro, "", *summary_lines(booking)]
    bring = what_to_bring(booking)
    if bring:
        lines += ["", _("What to bring:")] + [f"- {name}: {text}" for name, text in bring]
    if with_cancel:
        lines += ["", _("Cannot come? Cancel here, so someone else can have the time:"), cancel_url(booking)]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=[booking.email])
    if with_calendar:
        message.attach("booking.ics", booking_calendar(booking), "text/calendar")
    return message


def build_confirmation_mail(booking_id):
    booking = _booking_for_mail(booking_id)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return None
    with translation.override(booking.site_language):
        return _mail(
            booking,
            _("Your booking %(reference)s") % {"reference": booking.reference},
            _("Hello %(name)s, you are booked. Welcome!") % {"name": booking.name},
        )


def _still_booked(booking):
    """A mail about a time that still holds: booked, not erased, not cancelled."""
    if booking is None:
        return False
    return booking.status == BookingStatus.BOOKED and not booking.occurrence.is_cancelled


def build_reminder_mail(booking_id):
    booking = _booking_for_mail(booking_id)
    if not _still_booked(booking):
        return None
    with translation.override(booking.site_language):
        return _mail(
            booking,
            _("Reminder: your time tomorrow (%(reference)s)") % {"reference": booking.reference},
            _("Hello %(name)s, this is a reminder of your booked time tomorrow.") % {"name": booking.name},
            with_calendar=False,
        )


def build_occurrence_cancelled_mail(booking_id):
    booking = _booking_for_mail(booking_id)
    if booking is None or not booking.occurrence.is_cancelled:
        return None
    with translation.override(booking.site_language):
        reason = booking.occurrence.cancellation_reason
        return _mail(
            booking,
            _("Cancelled: your time %(reference)s") % {"reference": booking.reference},
            _("Hello %(name)s, unfortunately the session you booked is cancelled: %(reason)s")
            % {"name": booking.name, "reason": reason},
            with_calendar=False,
            with_cancel=False,
        )


def build_occurrence_moved_mail(booking_id):
    booking = _booking_for_mail(booking_id)
    if not _still_booked(booking):
        return None
    with translation.override(booking.site_language):
        return _mail(
            booking,
            _("New time: your time %(reference)s") % {"reference": booking.reference},
            _("Hello %(name)s, the session you booked has moved. Your new time is below.")
            % {"name": booking.name},
        )


def sms_text(booking, kind):
    """The text message of ``kind`` for a phone-only booking, in its language."""
    with translation.override(booking.site_language):
        when = f"{format_long_date(booking.local_start.date())} {format_clock(booking.local_start)}"
        venue = booking.occurrence.slot.venue.name
        if kind == "confirmation":
            text = _("You are booked %(when)s at %(venue)s. Reference %(reference)s.")
        elif kind == "reminder":
            text = _("Reminder: your time %(when)s at %(venue)s. Reference %(reference)s.")
        elif kind == "moved":
            text = _("New time: you are now booked %(when)s at %(venue)s. Reference %(reference)s.")
        else:
            text = _("Cancelled: your time %(when)s at %(venue)s. Reason: %(reason)s")
        reason = booking.occurrence.cancellation_reason
        return text % {"when": when, "venue": venue, "reference": booking.reference, "reason": reason}


# Tasks and the cancel signal.


def tomorrow_bounds(now):
    tomorrow = timezone.localtime(now, STOCKHOLM).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=STOCKHOLM)
    return start, start + datetime.timedelta(days=1)


def send_reminders(now=None):
    """The daily task: remind everyone booked tomorrow, once. Each booking
    is claimed (``reminder_sent_at``) before its mail is queued, so a task
    that runs twice, or two workers at once, send one reminder."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.BOOKED,
        reminder_sent_at__isnull=True,
        erased_at__isnull=True,
        occurrence__status="scheduled",
        starts_at__range=tomorrow_bounds(now),
    ).exclude(email="", phone="")
    sent = 0
    for booking_id, email in due.values_list("pk", "email"):
        with transaction.atomic():
            claimed = Booking.objects.filter(pk=booking_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            if email:
                send_mail_later("visitors.booking.build_reminder_mail", booking_id)
            else:
                send_sms_later("reminder", booking_id)
            sent += 1
    return sent


def notify_occurrences_cancelled(sender, occurrence_ids, **kwargs):
    """Receiver of ``sessions.schedule.occurrences_cancelled``: everyone
    booked is told, by e-mail, else by text message; bookings without
    either are on the staff's call list ("my day")."""
    booked = Booking.objects.filter(
        occurrence_id__in=occurrence_ids, status=BookingStatus.BOOKED, erased_at__isnull=True
    )
    for booking_id, email, phone in booked.values_list("pk", "email", "phone"):
        if email:
            send_mail_later("visitors.booking.build_occurrence_cancelled_mail", booking_id)
        elif phone:
            send_sms_later("cancelled", booking_id)


def move_with_occurrences(sender, moves, **kwargs):
    """Receiver of ``sessions.schedule.occurrences_moved``, in the moving
    transaction: every booking and waiting-list place of a moved occurrence
    keeps its place in it (shifted as much as its start), and, once that is
    committed, everyone booked is told the new time, by e-mail, else by text
    message; bookings without either are on the staff's call list."""
    for occurrence_id, old_start in moves.items():
        new_start = Occurrence.objects.filter(pk=occurrence_id).values_list("starts_at", flat=True).first()
        shift = new_start - old_start
        Booking.objects.filter(occurrence_id=occurrence_id).update(
            starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
        )
        WaitingListEntry.objects.filter(occurrence_id=occurrence_id).update(starts_at=F("starts_at") + shift)
    booked = list(
        Booking.objects.filter(
            occurrence_id__in=list(moves), status=BookingStatus.BOOKED, erased_at__isnull=True
        ).values_list("pk", "email", "phone")
    )
    transaction.on_commit(functools.partial(_tell_moved, booked))


def _tell_moved(booked):
    for booking_id, email, phone in booked:
        if email:
            send_mail_later("visitors.booking.build_occurrence_moved_mail", booking_id)
        elif phone:
            send_sms_later("moved", booking_id)


def is_lecture(occurrence):
    return occurrence.slot.format == Format.LECTURE


# Staff: whose bookings they see.


def bookings_for(user):
    """The bookings ``user`` may see: staff those of their agencies at the
    venues they may log at; coordinators every booking at their
    municipalities' venues; superusers all. Anyone else none."""
    if user.is_superuser:
        return Booking.objects.all()
    return Booking.objects.filter(occurrence__in=occurrences_bookable_by(user))


def _serves(user):
    """A staff membership of the occurrence's agency that covers its venue:
    any of a municipal agency's; for a national agency, one naming the
    venue's municipality (a national agency's staff in Kalmar never see
    Mjölby's residents; a membership naming none sees no bookings)."""
    return Exists(
        Membership.objects.filter(user=user, role=Role.STAFF, agency=OuterRef("slot__agency")).filter(
            Q(agency__municipality__isnull=False) | Q(municipality=OuterRef("slot__venue__municipality"))
        )
    )


def occurrences_bookable_by(user):
    """The occurrences whose bookings ``user`` sees, and may book for a
    resident at the desk: staff those of their agencies at the venues they
    may log at and serve; coordinators all at their municipalities' venues."""
    if user.is_superuser:
        return Occurrence.objects.all()
    return Occurrence.objects.filter(
        Q(slot__agency__in=agencies_for(user), slot__venue__in=venues_for_logging(user)) & Q(_serves(user))
        | Q(slot__venue__municipality__in=coordinated_municipalities(user))
    )


def call_list(user, now=None):
    """Bookings on cancelled sessions still to come whose resident left no
    e-mail: staff call or text them (text messages are in the outbox)."""
    return (
        bookings_for(user)
        .filter(
            status=BookingStatus.BOOKED,
            email="",
            erased_at__isnull=True,
            occurrence__status="cancelled",
            occurrence__starts_at__gte=now or timezone.now(),
        )
        .for_staff_list()
        .order_by("starts_at")
    )


# Privacy: personal data go; the rows, their status and counts stay.

ERASED_FIELDS = {"name": "", "phone": "", "email": "", "need": ""}
ERASED_ENTRY_FIELDS = {"name": "", "phone": "", "email": ""}


def _erase_entries(entries, now):
    return entries.filter(erased_at__isnull=True).update(erased_at=now, **ERASED_ENTRY_FIELDS)


def _erase(bookings, now):
    ids = list(bookings.values_list("pk", flat=True))
    SmsMessage.objects.filter(booking_id__in=ids).delete()
    return Booking.objects.filter(pk__in=ids).update(erased_at=now, **ERASED_FIELDS)


def erase_expired_personal_data(now=None):
    """The daily task: erase name, phone, e-mail and free text of bookings
    whose session ended more than the municipality's number of days ago."""
    now = now or timezone.now()
    erased = 0
    for municipality in Municipality.objects.all():
        cutoff = now - datetime.timedelta(days=municipality.booking_retention_days)
        erased += _erase(
            Booking.objects.filter(
                erased_at__isnull=True,
                occurrence__slot__venue__municipality=municipality,
                occurrence__ends_at__lt=cutoff,
            ),
            now,
        )
        erased += _erase_entries(
            WaitingListEntry.objects.filter(
                occurrence__slot__venue__municipality=municipality, occurrence__ends_at__lt=cutoff
            ),
            now,
        )
    return erased


def resident_bookings(booking, user):
    """The bookings ``user`` may see of the resident who made ``booking``:
    the same e-mail or phone, or this booking alone."""
    same = Q(pk=booking.pk)
    if booking.email:
        same |= Q(email=booking.email)
    if booking.phone:
        same |= Q(phone=booking.phone)
    return bookings_for(user).filter(same, erased_at__isnull=True)


def erase_on_request(booking, user):
    """A resident asked to be forgotten: erase their bookings in the
    user's scope now (places and counts stay)."""
    now = timezone.now()
    entries = WaitingListEntry.objects.filter(
        _same_contact(booking.phone, booking.email),
        occurrence__in=occurrences_bookable_by(user),
    )
    _erase_entries(entries, now)
    return _erase(resident_bookings(booking, user), now)


# The waiting list. A freed place is offered to the first in line, who has
# WAITING_LIST_OFFER_HOURS (less when the session is sooner) to take it;
# while the offer is open the place counts as taken (see _count_taken).

OFFER_SALT = "visitors.booking.offer"
STILL_WAITING = [WaitingStatus.WAITING, WaitingStatus.OFFERED]


def _same_contact(phone, email):
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone=phone)
    if email:
        condition |= Q(email=email)
    return condition


def join_waiting_list(occurrence_id, starts_at, *, name, phone="", email="", site_language="sv", now=None):
    """Put a resident on the waiting list of a full time. Refuses a time
    with places left (book it instead) and a second entry, or a booking,
    with the same contact."""
    with transaction.atomic():
        occurrence = lock_occurrence(occurrence_id)
        reason = refusal_for(occurrence, now)
        if reason:
            raise BookingRefused(reason)
        start, _end = offered_time(occurrence, starts_at)
        if _count_taken(occurrence, start, now)["here"] < occurrence.slot.capacity:
            raise BookingRefused(Refusal.NOT_FULL)
        waiting = WaitingListEntry.objects.filter(occurrence=occurrence, status__in=STILL_WAITING)
        if _contact_taken(occurrence, phone, email) or waiting.filter(_same_contact(phone, email)).exists():
            raise BookingRefused(Refusal.DUPLICATE)
        entry = WaitingListEntry.objects.create(
            occurrence=occurrence,
            starts_at=start,
            name=name,
            phone=phone,
            email=email,
            site_language=site_language,
        )
        if email:
            transaction.on_commit(
                functools.partial(send_mail_later, "visitors.booking.build_waiting_mail", entry.pk)
            )
        return entry


def leave_waiting_list(entry_id, *, now=None):
    """The resident no longer waits. An open offer they leave goes to the
    next in line at once, under the occurrence's lock as every offer does.
    Returns False when the entry was no longer waiting (left, taken, ...)."""
    with transaction.atomic():
        occurrence_id = WaitingListEntry.objects.values_list("occurrence_id", flat=True).get(pk=entry_id)
        occurrence = lock_occurrence(occurrence_id)
        entry = WaitingListEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status not in STILL_WAITING:
            return False
        was_offered = entry.status == WaitingStatus.OFFERED
        entry.status = WaitingStatus.LEFT
        entry.save(update_fields=["status"])
        if was_offered:
            offer_free_places(occurrence, now)
    return True


def offer_deadline(occurrence, now):
    """When an offer made ``now`` closes: after the set hours, but at the
    latest half-way to the session's start, so the next in line has time too."""
    ends = now + datetime.timedelta(hours=settings.WAITING_LIST_OFFER_HOURS)
    return min(ends, now + (occurrence.starts_at - now) / 2)


def offer_free_places(occurrence, now=None):
    """With the occurrence's row locked: offer each free place to the first
    in line at its time. Counting under the lock makes a second run (a task
    that runs twice) offer nothing more. Returns the entries offered."""
    now = now or timezone.now()
    if refusal_for(occurrence, now):
        return []
    offered = []
    waiting = WaitingListEntry.objects.filter(
        occurrence=occurrence, status=WaitingStatus.WAITING, erased_at__isnull=True
    )
    for start in sorted(set(waiting.values_list("starts_at", flat=True))):
        free = occurrence.slot.capacity - _count_taken(occurrence, start, now)["here"]
        for entry in waiting.filter(starts_at=start).order_by("created_at", "pk")[: max(free, 0)]:
            entry.status = WaitingStatus.OFFERED
            entry.offered_at = now
            entry.offer_ends_at = offer_deadline(occurrence, now)
            entry.save(update_fields=["status", "offered_at", "offer_ends_at"])
            offered.append(entry)
    for entry in offered:
        if entry.email:
            send_mail_later("visitors.booking.build_offer_mail", entry.pk)
    return offered


def expire_offers(now=None):
    """The scheduled task (and a check on each booking page): close offers
    whose time is up and offer those places to the next in line."""
    now = now or timezone.now()
    occurrence_ids = set(
        WaitingListEntry.objects.filter(status=WaitingStatus.OFFERED, offer_ends_at__lte=now).values_list(
            "occurrence_id", flat=True
        )
    )
    for occurrence_id in sorted(occurrence_ids):
        with transaction.atomic():
            occurrence = lock_occurrence(occurrence_id)
            WaitingListEntry.objects.filter(
                occurrence=occurrence, status=WaitingStatus.OFFERED, offer_ends_at__lte=now
            ).update(status=WaitingStatus.EXPIRED)
            offer_free_places(occurrence, now)
    return len(occurrence_ids)


def take_offer(entry_id, *, now=None):
    """The resident takes the place offered: lock, count, insert, as in
    ``book``. An offer whose time ran out but was not yet passed on may
    still be taken while the place is free (forgiving for a resident a
    little late), but it no longer reserves the place: a new booking may
    win it, and the lock makes sure only one does."""
    with transaction.atomic():
        occurrence_id = WaitingListEntry.objects.values_list("occurrence_id", flat=True).get(pk=entry_id)
        occurrence = lock_occurrence(occurrence_id)
        entry = WaitingListEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status != WaitingStatus.OFFERED or entry.erased_at:
            raise BookingRefused(Refusal.OFFER_GONE)
        reason = refusal_for(occurrence, now)
        if reason:
            raise BookingRefused(reason)
        start, end = offered_time(occurrence, entry.starts_at)
        counts = _count_taken(occurrence, start, now, except_entry=entry)
        if after_count is not None:
            after_count(occurrence, counts["here"])
        if counts["here"] >= occurrence.slot.capacity:
            raise BookingRefused(Refusal.FULL)
        booking = _insert(
            Booking(
                occurrence=occurrence,
                starts_at=start,
                ends_at=end,
                name=entry.name,
                phone=entry.phone,
                email=entry.email,
                site_language=entry.site_language,
            )
        )
        entry.status = WaitingStatus.TAKEN
        entry.booking = booking
        entry.save(update_fields=["status", "booking"])
        record_places_taken(occurrence, counts["total"] + 1)
        _tell_booked(booking)
    return booking


def offer_token(entry):
    return signing.dumps([entry.pk, entry.created_at.isoformat()], salt=OFFER_SALT, compress=True)


def entry_from_token(token):
    """The waiting-list entry a signed offer link names, or None."""
    try:
        pk, created = signing.loads(token, salt=OFFER_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    entry = (
        WaitingListEntry.objects.select_related("occurrence__slot__agency", "occurrence__slot__venue")
        .filter(pk=pk if isinstance(pk, int) else None, erased_at__isnull=True)
        .first()
    )
    if entry is None or entry.created_at.isoformat() != created:
        return None
    return entry


def offer_url(entry):
    scheme, host = site_origin()
    return f"{scheme}://{host}" + reverse("visitors:waiting_list_offer", args=[offer_token(entry)])


def leave_url(entry):
    scheme, host = site_origin()
    return f"{scheme}://{host}" + reverse("visitors:waiting_list_leave", args=[offer_token(entry)])


def build_waiting_mail(entry_id):
    """ "You are on the waiting list", with the link to leave it."""
    entry = (
        WaitingListEntry.objects.select_related("occurrence__slot__venue")
        .filter(pk=entry_id, status=WaitingStatus.WAITING, erased_at__isnull=True)
        .exclude(email="")
        .first()
    )
    if entry is None:
        return None
    with translation.override(entry.site_language):
        when = entry.local_start
        lines = [
            _("Hello %(name)s, you are on the waiting list for %(day)s at %(time)s at %(venue)s.")
            % {
                "name": entry.name,
                "day": format_long_date(when.date()),
                "time": format_clock(when),
                "venue": entry.occurrence.slot.venue.name,
            },
            _("If a place becomes free, we will write to you. Then you have a short time to take it."),
            "",
            _("No longer need it? Leave the waiting list here:"),
            leave_url(entry),
        ]
        return EmailMessage(subject=_("You are on the waiting list"), body="\n".join(lines), to=[entry.email])


def build_offer_mail(entry_id):
    entry = (
        WaitingListEntry.objects.filter(pk=entry_id, status=WaitingStatus.OFFERED, erased_at__isnull=True)
        .exclude(email="")
        .first()
    )
    if entry is None:
        return None
    with translation.override(entry.site_language):
        until = timezone.localtime(entry.offer_ends_at, STOCKHOLM)
        when = entry.local_start
        lines = [
            _("Hello %(name)s, a place is free for you: %(day)s at %(time)s.")
            % {"name": entry.name, "day": format_long_date(when.date()), "time": format_clock(when)},
            "",
            _("Take it before %(day)s at %(time)s here:")
            % {"day": format_long_date(until.date()), "time": format_clock(until)},
            offer_url(entry),
            "",
            _("If you do not take it, the place goes to the next person in line."),
            "",
            _("Do not want it? Say no here, so that the next person gets it sooner:"),
            leave_url(entry),
        ]
        return EmailMessage(subject=_("A place is free for you"), body="\n".join(lines), to=[entry.email])


def offers_to_call(user, now=None):
    """Open offers to residents who left only a phone number: staff call
    them (listed with the call list on "my day")."""
    return (
        open_offers(now)
        .filter(email="", occurrence__in=occurrences_bookable_by(user))
        .select_related("occurrence__slot__agency", "occurrence__slot__venue")
        .order_by("offer_ends_at")
    )
