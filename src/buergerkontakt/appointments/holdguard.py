"""Guards around the citizen's hold of an online time, against bots holding an office's starts
(issue 20, ADR 0015).

* **A cap on concurrent holds per client.** Every online hold records who holds it, as keyed
  hashes: the client's address (``holder``) and a random browser cookie (``holder_browser``). A
  client may have at most ``HOLD_MAX_PER_CLIENT`` holds or bookings awaiting the e-mail
  confirmation open at once – whatever proof of work it solves. The check and the hold run in one
  transaction that first takes a lock on the client (PostgreSQL: an advisory transaction lock;
  SQLite: the write lock every transaction takes at BEGIN), so parallel requests cannot pass it.
* **One hold per browser.** A browser that holds a new time ends its previous hold, so a citizen
  who goes back and picks another time never runs into the cap.
* **A short first hold.** A hold lasts ``HOLD_FIRST_MINUTES``; opening the details form – what a
  person does next – extends it to the service group's hold time, once.

The proof of work's rising cost lives with the challenge (``core/altcha.py``).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import availability_cache
from .exceptions import BookingError
from .models import Appointment

BROWSER_COOKIE = "bk_browser"
BROWSER_COOKIE_SECONDS = 24 * 3600
OPEN = (Appointment.Status.HELD, Appointment.Status.PENDING_CONFIRMATION)


class TooManyHolds(BookingError):
    default_message = _("Von Ihrem Anschluss sind bereits mehrere Termine reserviert. Bitte schließen Sie "
                        "eine begonnene Buchung ab oder versuchen Sie es in einigen Minuten erneut.")


def _keyed(scope: str, value: str) -> str:
    if not value:
        return ""
    return hashlib.blake2b(f"{settings.SECRET_KEY}:{scope}:{value}".encode(), digest_size=16).hexdigest()


def client_key(ip: str) -> str:
    return _keyed("hold-client", ip)


def browser_key(browser: str | None) -> str:
    return _keyed("hold-browser", (browser or "")[:64])


# --- the browser cookie ------------------------------------------------------------------------------
def with_browser_id(view):
    """Gives the request a browser id (``request.bk_browser``) from the cookie, a new random one
    if it has none, and sets the cookie on the answer. Strictly necessary for the booking: it only
    tells this browser's holds apart from others behind the same address."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        known = request.COOKIES.get(BROWSER_COOKIE, "")
        fresh = not (16 <= len(known) <= 64 and known.isascii() and known.replace("-", "").replace("_", "")
                     .isalnum())
        request.bk_browser = secrets.token_urlsafe(24) if fresh else known
        response = view(request, *args, **kwargs)
        if fresh:
            response.set_cookie(BROWSER_COOKIE, request.bk_browser, max_age=BROWSER_COOKIE_SECONDS,
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    return wrapped


# --- the cap ---------------------------------------------------------------------------------------
def end_previous(browser: str, now: datetime, *, keep: int | None = None) -> int:
    """A browser holds one time at a time: its other open holds end now (the next hold on their
    units claims the capacity, as after any expired hold)."""
    if not browser:
        return 0
    return (Appointment.objects.filter(holder_browser=browser, status=Appointment.Status.HELD,
                                       hold_expires_at__gt=now)
            .exclude(pk=keep).update(hold_expires_at=now))


def _lock(holder: str) -> None:
    if connection.vendor == "postgresql":
        number = int.from_bytes(bytes.fromhex(holder)[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])
    # SQLite: transactions are IMMEDIATE (settings), the write lock is already held.


def check_cap(holder: str, now: datetime, *, browser: str = "") -> None:
    """Inside the hold's transaction: refuse when the client already has the cap of open holds.
    The browser's own holds do not count: the new hold ends them (:func:`end_previous`)."""
    cap = settings.HOLD_MAX_PER_CLIENT
    if cap <= 0 or not holder:
        return
    _lock(holder)
    open_holds = Appointment.objects.filter(holder=holder, status__in=OPEN, hold_expires_at__gt=now)
    if browser:
        open_holds = open_holds.exclude(holder_browser=browser, status=Appointment.Status.HELD)
    if open_holds.count() >= cap:
        raise TooManyHolds()


def first_minutes() -> int | None:
    return settings.HOLD_FIRST_MINUTES if settings.HOLD_FIRST_MINUTES > 0 else None


# --- extension on activity -----------------------------------------------------------------------------
def extend(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """The citizen opened the details form: the hold lasts the group's full hold time from when it
    began. Never shortens a hold, never revives an expired one."""
    now = now or timezone.now()
    if appointment.status != Appointment.Status.HELD or appointment.hold_expires_at is None \
            or appointment.hold_expires_at <= now:
        return appointment
    until = appointment.created_at + timedelta(minutes=appointment.group.hold_minutes)
    if until <= appointment.hold_expires_at:
        return appointment
    changed = Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.HELD,
                                         hold_expires_at__gt=now).update(hold_expires_at=until)
    if changed:
        appointment.hold_expires_at = until
        availability_cache.invalidate_after_commit([appointment.group_id])
    return appointment
