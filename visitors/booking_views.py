"""Booking pages: residents book, see and cancel without an account; staff
book for a resident at the desk and print a slip.

A module of its own rather than a section of ``visitors/views.py``: those
are the staff's logging pages (login, scopes); these are public pages with
their own concerns (a rate limit per address, a honeypot, signed links),
and together they would double that file.

None of these pages is cached (``never_cache``): the booking page shows the
exact places left and carries a CSRF token.
"""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from eserviceverkstad.client_ip import client_ip
from eserviceverkstad.rate_limit import RateLimit
from sessions.models import Occurrence
from visitors import booking as service
from visitors.forms import BookingForm, WaitingListForm
from visitors.models import BookingStatus, SmsMessage
from visitors.views import staff_required

# At most this many booking attempts per client address an hour: enough for
# a family, or a library computer shared by several residents.
BOOKINGS_PER_ADDRESS = RateLimit("booking", 20, 3600)
OUTBOX_SHOWN = 100


def _occurrence_or_404(pk):
    return get_object_or_404(
        Occurrence.objects.select_related("slot__agency", "slot__venue__municipality"), pk=pk
    )


def booking_request(form, language):
    data = form.cleaned_data
    return service.BookingRequest(
        starts_at=form.chosen_start(),
        name=data["name"].strip(),
        phone=data["phone"],
        email=data["email"],
        topic=data["topic"],
        need=data["need"].strip(),
        language=data["language"],
        site_language=language,
        needs_interpreter=data["needs_interpreter"],
        needs_accessibility=data["needs_accessibility"],
    )


def _closed(request, occurrence, reason):
    # 404 for a session that is never booked; 410 for one that was bookable.
    status = 404 if reason == service.Refusal.NOT_BOOKABLE else 410
    context = {"occurrence": occurrence, "message": service.REFUSAL_MESSAGES[reason]}
    return render(request, "visitors/booking/closed.html", context, status=status)


def _try_to_book(request, occurrence, form, *, by=None):
    """Book what the valid ``form`` asks for; a refusal becomes the form's
    error. Returns (booking or None, status)."""
    try:
        booking = service.book(occurrence.pk, booking_request(form, translation.get_language()), by=by)
    except service.BookingRefused as refused:
        form.add_error("time" if refused.reason == service.Refusal.FULL else None, refused.message)
        return None, 409
    return booking, 200


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def book(request, pk):
    # Queries on GET: the occurrence with series, agency, venue and
    # municipality; the places held per time; the series' topics.
    occurrence = _occurrence_or_404(pk)
    reason = service.refusal_for(occurrence)
    if reason:
        return _closed(request, occurrence, reason)
    status = 200
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        occurrence=occurrence,
        held=service.places_held(occurrence.pk),
    )
    if request.method == "POST":
        address = client_ip(request) or "unknown"
        if BOOKINGS_PER_ADDRESS.is_reached(address):
            form.add_error(
                None, _("Too many bookings from this computer. Try again in an hour, or ask the staff.")
            )
            status = 429
        elif form.is_valid():
            BOOKINGS_PER_ADDRESS.count(address)
            if form.is_spam:
                form.add_error(None, _("The booking could not be sent. Ask the staff to book for you."))
                status = 400
            else:
                booking, status = _try_to_book(request, occurrence, form)
                if booking is not None:
                    return redirect("visitors:booking_done", service.view_token(booking))
                form.show_places(service.places_held(occurrence.pk))
    context = {"occurrence": occurrence, "form": form, "is_lecture": service.is_lecture(occurrence)}
    return render(request, "visitors/booking/book.html", context, status=status)


def _booking_or_invalid(request, token, salt):
    booking = service.booking_from_token(token, salt)
    if booking is None:
        return None, render(request, "visitors/booking/invalid_link.html", status=404)
    return booking, None


@never_cache
@require_safe
def booking_done(request, token):
    booking, invalid = _booking_or_invalid(request, token, service.VIEW_SALT)
    if invalid:
        return invalid
    context = {
        "booking": booking,
        "lines": service.summary_lines(booking),
        "bring": service.what_to_bring(booking),
        "cancel_token": service.cancel_token(booking),
    }
    return render(request, "visitors/booking/done.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def booking_cancel(request, token):
    """GET only shows the booking and a button: a mail client's link
    preview must not cancel. POST cancels."""
    booking, invalid = _booking_or_invalid(request, token, service.CANCEL_SALT)
    if invalid:
        return invalid
    context = {"booking": booking, "lines": service.summary_lines(booking)}
    if booking.status == BookingStatus.CANCELLED:
        return render(request, "visitors/booking/cancel.html", {**context, "already": True})
    if booking.status != BookingStatus.BOOKED or service.refusal_for(booking.occurrence):
        return render(request, "visitors/booking/cancel.html", {**context, "too_late": True}, status=410)
    if request.method == "POST":
        service.cancel(booking.pk)
        return render(request, "visitors/booking/cancel.html", {**context, "cancelled": True})
    return render(request, "visitors/booking/cancel.html", context)


# Staff: book for a resident at the desk, mark who came, print a slip, read
# the outbox. Scoped by ``service.bookings_for`` (the user who may not see a
# booking gets a 404, as if it did not exist).


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def staff_book(request, pk):
    occurrence = get_object_or_404(
        service.occurrences_bookable_by(request.user).select_related(
            "slot__agency", "slot__venue__municipality"
        ),
        pk=pk,
    )
    reason = service.refusal_for(occurrence)
    if reason:
        return _closed(request, occurrence, reason)
    status = 200
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        occurrence=occurrence,
        held=service.places_held(occurrence.pk),
        contact_required=False,
    )
    if request.method == "POST" and form.is_valid():
        booking, status = _try_to_book(request, occurrence, form, by=request.user)
        if booking is not None:
            messages.success(request, _("The resident is booked. Print the slip for them."))
            return redirect("visitors:booking_slip", booking.pk)
        form.show_places(service.places_held(occurrence.pk))
    context = {
        "occurrence": occurrence,
        "form": form,
        "is_lecture": service.is_lecture(occurrence),
        "staff_booking": True,
    }
    return render(request, "visitors/booking/book.html", context, status=status)


def _staff_booking_or_404(request, pk):
    return get_object_or_404(
        service.bookings_for(request.user).select_related(
            "occurrence__slot__agency", "occurrence__slot__venue", "topic"
        ),
        pk=pk,
    )


@require_safe
@staff_required
def booking_slip(request, pk):
    """An appointment slip to print (A5 or A4) for a resident without a
    phone or an e-mail at hand."""
    booking = _staff_booking_or_404(request, pk)
    context = {
        "booking": booking,
        "lines": service.summary_lines(booking),
        "bring": service.what_to_bring(booking),
    }
    return render(request, "visitors/booking/slip.html", context)


@require_POST
@staff_required
def booking_mark(request, pk):
    booking = _staff_booking_or_404(request, pk)
    status = request.POST.get("status", "")
    if status not in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.BOOKED):
        return HttpResponseBadRequest("Unknown status")
    service.mark(booking, status)
    return redirect(f"{reverse('visitors:my_day')}#occurrence-{booking.occurrence_id}")


@require_safe
@staff_required
def outbox(request):
    # Queries: session, user, staff check; the latest text messages of the
    # bookings the user may see.
    sms = (
        SmsMessage.objects.filter(booking__in=service.bookings_for(request.user))
        .select_related("booking__occurrence__slot__agency")
        .order_by("-created_at")[:OUTBOX_SHOWN]
    )
    return render(request, "visitors/booking/outbox.html", {"messages_out": sms})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def booking_erase(request, pk):
    """A resident asks to have their data deleted: GET shows what will go,
    POST erases it."""
    booking = _staff_booking_or_404(request, pk)
    if request.method == "POST":
        count = service.erase_on_request(booking, request.user)
        messages.success(
            request,
            ngettext(
                "The resident's data are deleted from %(count)s booking.",
                "The resident's data are deleted from %(count)s bookings.",
                count,
            )
            % {"count": count},
        )
        return redirect("visitors:my_day")
    bookings = service.resident_bookings(booking, request.user).for_staff_list()
    return render(request, "visitors/booking/erase.html", {"booking": booking, "bookings": bookings})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def waiting_list_join(request, pk):
    """Join the waiting list of a full time: the same checks, honeypot and
    rate limit as booking."""
    # Queries on GET: the occurrence with series, agency, venue and
    # municipality; the places held per time; the open offers per time.
    occurrence = _occurrence_or_404(pk)
    reason = service.refusal_for(occurrence)
    if reason:
        return _closed(request, occurrence, reason)
    form = WaitingListForm(
        request.POST if request.method == "POST" else None,
        occurrence=occurrence,
        held=service.places_held(occurrence.pk),
    )
    status = 200
    if request.method == "POST":
        status = _try_to_wait(request, occurrence, form)
        if status == 302:
            context = {
                "occurrence": occurrence,
                "joined": True,
                "leave_token": service.offer_token(form.entry),
            }
            return render(request, "visitors/booking/waiting.html", context)
    context = {"occurrence": occurrence, "form": form, "is_lecture": service.is_lecture(occurrence)}
    return render(request, "visitors/booking/waiting.html", context, status=status)


def _try_to_wait(request, occurrence, form):
    address = client_ip(request) or "unknown"
    if BOOKINGS_PER_ADDRESS.is_reached(address):
        form.add_error(
            None, _("Too many bookings from this computer. Try again in an hour, or ask the staff.")
        )
        return 429
    if not form.is_valid():
        return 200
    BOOKINGS_PER_ADDRESS.count(address)
    if form.is_spam:
        form.add_error(None, _("The booking could not be sent. Ask the staff to book for you."))
        return 400
    data = form.cleaned_data
    try:
        form.entry = service.join_waiting_list(
            occurrence.pk,
            form.chosen_start(),
            name=data["name"].strip(),
            phone=data["phone"],
            email=data["email"],
            site_language=translation.get_language(),
        )
    except service.BookingRefused as refused:
        form.add_error(None, refused.message)
        return 409
    return 302


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def waiting_list_offer(request, token):
    """The "take the place" link of an offer mail. GET shows the offer and a
    button (a link preview must not take it); POST takes it."""
    entry = service.entry_from_token(token)
    if entry is None:
        return render(request, "visitors/booking/invalid_link.html", status=404)
    context = {"entry": entry, "occurrence": entry.occurrence, "token": token}
    if request.method == "POST":
        try:
            booking = service.take_offer(entry.pk)
        except service.BookingRefused as refused:
            return render(
                request, "visitors/booking/offer.html", {**context, "refused": refused.message}, status=409
            )
        return redirect("visitors:booking_done", service.view_token(booking))
    if entry.status != service.WaitingStatus.OFFERED:
        context["refused"] = service.REFUSAL_MESSAGES[service.Refusal.OFFER_GONE]
    return render(request, "visitors/booking/offer.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def waiting_list_leave(request, token):
    """The "leave the waiting list" link of the waiting-list and offer mails
    and the joined page. GET asks (a link preview must not leave); POST leaves."""
    entry = service.entry_from_token(token)
    if entry is None:
        return render(request, "visitors/booking/invalid_link.html", status=404)
    context = {"entry": entry, "occurrence": entry.occurrence, "token": token}
    if request.method == "POST":
        context["left"] = True
        context["was_waiting"] = service.leave_waiting_list(entry.pk)
    else:
        context["still_waiting"] = entry.status in service.STILL_WAITING
    return render(request, "visitors/booking/leave.html", context)


@require_POST
@staff_required
def waiting_list_take_for(request, pk):
    """Staff called a phone-only resident offered a place, who wants it:
    staff take the offer for them (the same lock, count and insert)."""
    entry = get_object_or_404(service.offers_to_call(request.user), pk=pk)
    try:
        booking = service.take_offer(entry.pk)
    except service.BookingRefused as refused:
        messages.error(request, refused.message)
        return redirect("visitors:my_day")
    return redirect("visitors:booking_slip", booking.pk)
