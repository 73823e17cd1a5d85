"""The citizen's booking steps, shared by the pages and the API.

Each step adds the protections that belong to the public side around the core services in
``services``: proof of work (ALTCHA) and a rate limit per IP address before a time is held, a
rate limit per e-mail address / phone number before a booking is completed, and the messages to
the citizen after it. Staff bookings (internal quota) call ``services`` directly.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core import altcha, ratelimit

from . import holdguard, notifications, services
from .exceptions import BookingError
from .models import Appointment, Quota


class TooManyRequests(BookingError):
    default_message = ratelimit.TOO_MANY


class ChallengeFailed(BookingError):
    default_message = _("Die automatische Prüfung gegen Missbrauch ist fehlgeschlagen. Bitte laden Sie "
                        "die Seite neu und versuchen Sie es noch einmal.")


def hold(services_chosen, location, start: datetime, *, ip: str, altcha_payload: str | None,
         idempotency_key: str | None = None, language: str = "de", now: datetime | None = None,
         browser: str = "") -> Appointment:
    """Hold a time for the citizen (online quota), after the proof of work and the IP limit, within
    the cap of open holds per client; the browser's previous hold ends (``holdguard.py``)."""
    if idempotency_key and Appointment.objects.filter(
            idempotency_key=str(idempotency_key).strip()[:100]).exists():
        # A repeated submit: the challenge was already spent on the first one.
        return services.hold_slot(services_chosen, location, start, idempotency_key=idempotency_key, now=now)
    if settings.ALTCHA_ENABLED and not altcha.verify_payload(altcha_payload):
        raise ChallengeFailed()
    if not ratelimit.allow("booking_ip", ip):
        raise TooManyRequests()
    moment = now or timezone.now()
    holder, holder_browser = holdguard.client_key(ip), holdguard.browser_key(browser)
    with transaction.atomic():
        holdguard.check_cap(holder, moment, browser=holder_browser)
        appointment = services.hold_slot(services_chosen, location, start, quota=Quota.ONLINE,
                                         idempotency_key=idempotency_key, now=now,
                                         key_is_new=bool(idempotency_key),
                                         hold_minutes=holdguard.first_minutes(),
                                         holder=holder, holder_browser=holder_browser)
        # Only once the new time is held: a refused hold leaves the previous one in place.
        holdguard.end_previous(holder_browser, moment, keep=appointment.pk)
    if language and appointment.language != language and language in dict(settings.LANGUAGES):
        Appointment.objects.filter(pk=appointment.pk).update(language=language)
        appointment.language = language
    return appointment


def complete(appointment: Appointment, *, now: datetime | None = None, **details) -> Appointment:
    """Add the citizen's details and book (or ask for the e-mail confirmation); sends the message."""
    already = appointment.status in (Appointment.Status.CONFIRMED, Appointment.Status.PENDING_CONFIRMATION)
    if not already:
        for key in {str(details.get("email") or "").strip().lower(), str(details.get("phone") or "").strip()}:
            if key and not ratelimit.allow("booking_person", key):
                raise TooManyRequests()
    with transaction.atomic():
        booked = services.confirm_booking(appointment, now=now, **details)
        if not already:
            kind = "confirm_request" if booked.status == Appointment.Status.PENDING_CONFIRMATION else "booked"
            notifications.notify(booked, kind)
    return booked


def confirm_link(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """The e-mail confirmation link was opened."""
    was_pending = appointment.status == Appointment.Status.PENDING_CONFIRMATION
    with transaction.atomic():
        confirmed = services.confirm_pending(appointment, now=now)
        if was_pending:
            notifications.notify(confirmed, "booked")
    return confirmed


def reschedule(old: Appointment, new: Appointment, *, now: datetime | None = None) -> Appointment:
    """Move a booking to the newly held time (signed link of the old one); one message tells the
    citizen it moved (the calendar event is updated, not duplicated)."""
    with transaction.atomic():
        booked = services.reschedule(old, new, now=now)
        notifications.notify(booked, "rescheduled")
    return booked


def cancel(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """Cancel by the citizen (signed link) or on their behalf; tells them if it was booked."""
    was_booked = appointment.status == Appointment.Status.CONFIRMED
    with transaction.atomic():
        cancelled = services.cancel_appointment(appointment, now=now)
        if was_booked:
            notifications.notify(cancelled, "cancelled")
    return cancelled


def contact_matches(appointment: Appointment, contact: str) -> bool:
    """Whether ``contact`` – an e-mail address or a phone number as the citizen types it – is the
    booking's own e-mail address or phone number ("Link verloren?"). Compared only with the
    booking's data: an address case-insensitively, a number after both are normalised to E.164."""
    contact = (contact or "").strip()
    if not contact:
        return False
    if "@" in contact:
        return bool(appointment.email) and contact.casefold() == appointment.email.strip().casefold()
    if not appointment.phone:
        return False
    try:
        given = services.normalise_phone(contact)
    except BookingError:
        return False
    try:
        own = services.normalise_phone(appointment.phone)
    except BookingError:
        own = appointment.phone
    return bool(given) and given == own
