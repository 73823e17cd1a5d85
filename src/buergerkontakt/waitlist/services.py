"""Waitlist: the public write API (register, match, accept, decline, withdraw, expire).

Matching
========
Active entries are served in order: deadline first (entries without one last), then registration
time. For each entry the matcher looks for the earliest free start (online quota) that fits its
wishes – services, locations (none chosen = all), date range cut at the deadline, mornings and/or
afternoons, and not a time already offered to it before – and *holds* it with
``appointments.services.hold_slot(..., hold_minutes=group.waitlist_offer_minutes)``. The offer is
sent by e-mail (and SMS) with a signed link; accepting books the held appointment with the entry's
details, declining or letting it expire hands the capacity on to the next entry at once.

Handing on freed capacity (:func:`offer_freed`)
-----------------------------------------------
A declined, withdrawn or expired offer and an appointment cancelled for lack of reconfirmation give
their capacity to the waitlist *at once*, without the anti-bot delay: the freed appointment is made
due (``hold_expires_at`` / ``capacity_release_at`` = now), and the next entry's ``hold_slot`` claims
it through the booking services' own release path in the same transaction, so nobody can take it in
between. An ordinary cancellation by a citizen is offered to the waitlist right after it commits
(``signals.py``); for the public it stays behind the anti-bot delay: there the freed appointment is
made due only inside a savepoint that is rolled back when no entry takes it.

Locking and concurrency
-----------------------
Lock order: waitlist entry → offer → the booking services' order (per-person advisory lock →
appointments ascending id → slots ascending id). The matcher works on one entry per transaction and
locks the entry row first, so two matchers racing for the same entry are serialised, and the second
sees the first's open offer. Hand-on candidates are locked with ``SKIP LOCKED`` (they are taken while
an appointment row is already locked). The partial unique constraint "one open offer per entry" is
the last line of defence. On SQLite every write transaction is IMMEDIATE, so writers are serialised.

Every function takes an optional ``now`` (aware datetime) for tests and simulations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.appointments import engine
from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.exceptions import BookingError, SlotUnavailable
from buergerkontakt.appointments.models import Appointment, Quota, ServiceGroup
from buergerkontakt.core import ratelimit
from buergerkontakt.core.commit import after_commit
from buergerkontakt.core.erasure import contact_q, in_batches
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service
from buergerkontakt.notifications import quiet_hours

from . import notifications
from .models import MORNING_ENDS_HOUR, Entry, Offer

log = logging.getLogger(__name__)

__all__ = [
    "TooManyRequests",
    "WaitlistError",
    "accept_offer",
    "decline_offer",
    "expire_entries",
    "expire_offers",
    "match",
    "offer_freed",
    "register_need",
    "withdraw_entry",
]

MAX_RANGE_DAYS = 180
MAX_LOCATIONS = 30
MAX_ACTIVE_PER_EMAIL = 3
HAND_ON_CANDIDATES = 30
# The held appointment outlives its offer a little, so the expiry task can hand it on to the next
# entry before it becomes free for everybody.
OFFER_HOLD_GRACE = timedelta(minutes=5)
FIELD_LIMITS = booking.FIELD_LIMITS  # the same details as an appointment
Status = Entry.Status
OfferStatus = Offer.Status


class WaitlistError(BookingError):
    default_message = gettext_lazy("Die Bedarfsmeldung ist leider nicht möglich.")


class TooManyRequests(WaitlistError):
    default_message = ratelimit.TOO_MANY


class OfferClosed(WaitlistError):
    default_message = gettext_lazy("Dieses Angebot gilt nicht mehr. Sie bleiben auf der Warteliste, "
                                   "solange Ihre Bedarfsmeldung besteht.")


class _Undo(Exception):
    """Rolls a savepoint back (nothing taken)."""


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _trigger_match() -> None:
    """Run the matcher in the background once the current transaction has committed."""
    from .tasks import match_task

    after_commit(match_task.enqueue)


# --- registration ------------------------------------------------------------------------------
def _service_ids(items: Iterable[Service | int]) -> list[int]:
    ids = []
    for item in items or []:
        try:
            ids.append(int(item.pk if isinstance(item, Service) else item))
        except (TypeError, ValueError):
            raise WaitlistError(_("Unbekannte Leistung.")) from None
    return sorted(set(ids))


def _location_ids(items: Iterable[Location | int]) -> list[int]:
    ids = []
    for item in items or []:
        try:
            ids.append(int(item.pk if isinstance(item, Location) else item))
        except (TypeError, ValueError):
            raise WaitlistError(_("Unbekannter Standort.")) from None
    return sorted(set(ids))


def _clean_details(*, name: str, email: str, phone: str, case_number: str, interpreter_language: str,
                   note: str) -> dict[str, str]:
    details = booking.normalised_details(name=name, email=email, phone=phone, case_number=case_number,
                                         interpreter_language=interpreter_language, note=note,
                                         phone_label=_("Mobilnummer"), error=WaitlistError)
    if not details["email"]:
        raise WaitlistError(_("Bitte geben Sie Ihre E-Mail-Adresse an. An sie schicken wir die "
                              "Terminangebote."))
    try:
        validate_email(details["email"])
    except ValidationError:
        raise WaitlistError(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from None
    try:
        details["phone"] = booking.normalise_phone(details["phone"])
    except BookingError:
        raise WaitlistError(_("Bitte geben Sie eine gültige Mobilnummer an.")) from None
    return details


def register_need(services: Iterable[Service | int], *, date_from: date, date_until: date,
                  locations: Iterable[Location | int] = (), mornings: bool = True,
                  afternoons: bool = True, deadline: date | None = None, name: str, email: str,
                  phone: str = "", case_number: str = "", interpreter_language: str = "",
                  wheelchair: bool = False, sign_language: bool = False, note: str = "",
                  language: str = "de", ip: str | None = None, now: datetime | None = None) -> Entry:
    """Register a need; returns the new ACTIVE entry. Sends the receipt and starts the matcher.

    Raises :class:`WaitlistError` (German message) for bad input and :class:`TooManyRequests` when
    the rate limit per IP (``ip`` given) or per e-mail address is exceeded; nothing is written then.
    """
    now = _now(now)
    today = engine.local_day(now)
    service_ids = _service_ids(services)
    location_ids = _location_ids(locations)
    details = _clean_details(name=name, email=email, phone=phone, case_number=case_number,
                             interpreter_language=interpreter_language, note=note)
    if not isinstance(date_from, date) or not isinstance(date_until, date):
        raise WaitlistError(_("Bitte geben Sie einen Zeitraum an."))
    if date_from < today:
        raise WaitlistError(_("Der Zeitraum darf nicht in der Vergangenheit beginnen."))
    if date_until < date_from:
        raise WaitlistError(_("Das Ende des Zeitraums liegt vor seinem Beginn."))
    if date_until > today + timedelta(days=MAX_RANGE_DAYS):
        raise WaitlistError(_("Der Zeitraum darf höchstens %(days)d Tage in die Zukunft reichen.")
                            % {"days": MAX_RANGE_DAYS})
    if deadline is not None and deadline < today:
        raise WaitlistError(_("Die Frist liegt in der Vergangenheit."))
    if not (mornings or afternoons):
        raise WaitlistError(_("Bitte wählen Sie vormittags, nachmittags oder beides."))
    if len(location_ids) > MAX_LOCATIONS:
        raise WaitlistError(_("Bitte wählen Sie weniger Standorte."))
    if not service_ids:
        raise WaitlistError(_("Bitte wählen Sie mindestens eine Leistung."))
    # The booking services validate the services (public, online bookable, bookable together) and
    # whether each chosen location offers them; their messages are German already.
    booking.availability(service_ids, today, 1, now=now)
    found_locations = set(Location.objects.filter(pk__in=location_ids, is_public=True)
                          .values_list("pk", flat=True))
    if len(found_locations) != len(location_ids):
        raise WaitlistError(_("Unbekannter Standort."))
    for location_id in location_ids:
        booking.availability(service_ids, today, 1, location=location_id, now=now)

    if ip is not None and not ratelimit.allow("booking_ip", ip):
        raise TooManyRequests()
    for key in {details["email"], details["phone"]}:
        if key and not ratelimit.allow("booking_person", key):
            raise TooManyRequests()

    with transaction.atomic():
        active = Entry.objects.filter(email=details["email"], status=Status.ACTIVE)
        for other in active.prefetch_related("services"):
            if sorted(s.pk for s in other.services.all()) == service_ids:
                raise WaitlistError(_("Sie sind für diese Leistung bereits vorgemerkt. Den Link zum "
                                      "Zurückziehen finden Sie in unserer E-Mail."))
        if active.count() >= MAX_ACTIVE_PER_EMAIL:
            raise WaitlistError(_("Sie haben bereits %(count)d Bedarfsmeldungen. Bitte ziehen Sie eine "
                                  "zurück, bevor Sie eine neue anlegen.") % {"count": MAX_ACTIVE_PER_EMAIL})
        authority_id = Service.objects.filter(pk=service_ids[0]).values_list("authority_id", flat=True).get()
        entry = Entry.objects.create(
            authority_id=authority_id, date_from=date_from, date_until=date_until, deadline=deadline,
            mornings=bool(mornings), afternoons=bool(afternoons), wheelchair=bool(wheelchair),
            sign_language=bool(sign_language), language=language if language in ("de", "en") else "de",
            **details,
        )
        entry.services.set(service_ids)
        entry.locations.set(location_ids)
        notifications.notify(entry, "registered")
        _trigger_match()
    return entry


# --- matching -------------------------------------------------------------------------------------
def _lock_entry(pk: int) -> Entry:
    found = Entry.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise WaitlistError(_("Diese Bedarfsmeldung wurde nicht gefunden."))
    return found


def _fits_time_of_day(entry: Entry, start: datetime) -> bool:
    morning = timezone.localtime(start).hour < MORNING_ENDS_HOUR
    return entry.mornings if morning else entry.afternoons


def _group_for(service_ids: Sequence[int], location_id: int) -> ServiceGroup | None:
    """The group that serves the services at the location (the booking services' rule: lowest id)."""
    groups = ServiceGroup.objects.filter(schedules__location_id=location_id)
    for service_id in service_ids:
        groups = groups.filter(services=service_id)
    return groups.order_by("pk").first()


def _hold_for(entry: Entry, service_ids: list[int], location_id: int, start: datetime,
              now: datetime) -> Offer | None:
    """Hold ``start`` for the entry and record the offer (savepoint: all or nothing)."""
    group = _group_for(service_ids, location_id)
    if group is None:
        return None
    # The answer time counts daytime only: an offer made at 22:54 does not run out at night.
    expires = min(quiet_hours.add_daytime(now, timedelta(minutes=group.waitlist_offer_minutes)), start)
    try:
        with transaction.atomic():
            appointment = booking.hold_slot(service_ids, location_id, start, quota=Quota.ONLINE,
                                            hold_minutes=group.waitlist_offer_minutes, now=now)
            # The hold outlives the offer by a grace period (hand-on before the public sees it).
            Appointment.objects.filter(pk=appointment.pk).update(
                hold_expires_at=min(expires + OFFER_HOLD_GRACE, start), language=entry.language)
            offer = Offer.objects.create(entry=entry, appointment=appointment, expires_at=expires)
    except (SlotUnavailable, IntegrityError):
        return None
    except BookingError:
        return None
    notifications.notify(entry, "offer", offer)
    return offer


def _try_offer(entry: Entry, now: datetime, *, location_id: int | None = None, day: date | None = None,
               window: tuple[datetime, datetime] | None = None) -> Offer | None:
    """Offer the entry the earliest free start within its wishes (optionally: this location and day,
    starting within ``window``). The entry must be locked by the caller."""
    if entry.status != Status.ACTIVE or entry.offers.filter(status=OfferStatus.OPEN).exists():
        return None
    today = engine.local_day(now)
    first, last = max(entry.date_from, today), entry.last_day
    if first > last:
        return None
    service_ids = entry.service_ids()
    wanted = set(entry.locations.values_list("pk", flat=True))
    if day is not None:
        if not first <= day <= last or (wanted and location_id not in wanted):
            return None
        candidates = [(location_id, day)]
    else:
        try:
            found = booking.availability(service_ids, first, (last - first).days + 1, now=now)
        except BookingError:
            return None
        candidates = [(item.location_id, item.day) for item in found
                      if not wanted or item.location_id in wanted]
    offered_before = set(entry.offers.values_list("appointment__location_id", "appointment__start"))
    for candidate_location, candidate_day in candidates:
        try:
            starts = booking.free_starts(service_ids, candidate_location, candidate_day, now=now)
        except BookingError:
            continue
        attempts = 0
        for start in starts:
            if not _fits_time_of_day(entry, start) or (candidate_location, start) in offered_before:
                continue
            if window is not None and not window[0] <= start < window[1]:
                continue
            offer = _hold_for(entry, service_ids, candidate_location, start, now)
            if offer is not None:
                return offer
            attempts += 1
            if attempts >= 3:
                break  # taken meanwhile several times: try the next day
    return None


def match(now: datetime | None = None, *, limit: int = 1000) -> int:
    """Offer free capacity to the waiting entries, in order; returns the number of offers made.

    One transaction per entry (entry row locked first); safe to run in parallel.
    """
    now = _now(now)
    today = engine.local_day(now)
    waiting = (Entry.objects.filter(status=Status.ACTIVE, date_until__gte=today)
               .filter(Q(deadline__isnull=True) | Q(deadline__gte=today))
               .exclude(offers__status=OfferStatus.OPEN)
               .order_by(*Entry._meta.ordering).values_list("pk", flat=True)[:limit])
    made = 0
    for pk in list(waiting):
        with transaction.atomic():
            entry = Entry.objects.select_for_update().filter(pk=pk).first()
            if entry is None:
                continue
            if _try_offer(entry, now) is not None:
                made += 1
    return made


def _make_due_now(appointment_id: int, now: datetime) -> bool:
    """Let the appointment's capacity be claimed now (it still holds it); False if already released."""
    held = Appointment.objects.filter(pk=appointment_id, capacity_released=False)
    return bool(held.filter(status__in=(Appointment.Status.HELD, Appointment.Status.PENDING_CONFIRMATION))
                .update(hold_expires_at=now)
                or held.filter(status=Appointment.Status.CANCELLED).update(capacity_release_at=now)
                or held.filter(status=Appointment.Status.EXPIRED).exists())


def offer_freed(appointment: Appointment | int, *, now: datetime | None = None,
                exclude_entries: Iterable[int] = (), release_now: bool = True) -> list[Offer]:
    """Hand the capacity of a cancelled (or no longer wanted held) appointment to the waitlist.

    ``release_now``: the capacity is free for everybody at once when no entry wants it (declined
    or expired offers, missing reconfirmation). Otherwise (an ordinary cancellation) the public
    still waits for the anti-bot delay: the appointment is made due only for the entries' holds.
    Runs in the caller's transaction if there is one.
    """
    now = _now(now)
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    freed = Appointment.objects.select_related("group").filter(pk=pk).first()
    if freed is None or freed.capacity_released or freed.quota != Quota.ONLINE:
        return []
    offers: list[Offer] = []
    with transaction.atomic():
        if release_now:
            _make_due_now(freed.pk, now)
        day = engine.local_day(freed.start)
        group_services = set(freed.group.services.values_list("pk", flat=True))
        candidates = list(
            Entry.objects.select_for_update(skip_locked=True)
            .filter(status=Status.ACTIVE, date_from__lte=day, date_until__gte=day)
            .filter(Q(deadline__isnull=True) | Q(deadline__gte=day))
            .exclude(pk__in=list(exclude_entries)).exclude(offers__status=OfferStatus.OPEN)
            .order_by(*Entry._meta.ordering)[:HAND_ON_CANDIDATES])
        for entry in candidates:
            if not set(entry.service_ids()) <= group_services:
                continue
            try:
                with transaction.atomic():
                    if not release_now and not _make_due_now(freed.pk, now):
                        raise _Undo
                    offer = _try_offer(entry, now, location_id=freed.location_id, day=day,
                                       window=(freed.start, freed.end))
                    if offer is None:
                        raise _Undo
            except _Undo:
                continue
            offers.append(offer)
            if not release_now:
                break  # the freed units are claimed; the rest waits for the anti-bot delay
    return offers


# --- the citizen's answers ---------------------------------------------------------------------
def _locked_offer(offer: Offer | int) -> tuple[Entry, Offer]:
    pk = offer.pk if isinstance(offer, Offer) else offer
    entry_id = Offer.objects.filter(pk=pk).values_list("entry_id", flat=True).first()
    if entry_id is None:
        raise OfferClosed()
    entry = _lock_entry(entry_id)
    return entry, Offer.objects.select_for_update().get(pk=pk)


def accept_offer(offer: Offer | int, *, now: datetime | None = None) -> Appointment:
    """Book the offered appointment with the entry's details; sends the booking confirmation.

    Idempotent (a second click returns the booking). :class:`OfferClosed` when the offer was
    declined or has expired; booking errors (e.g. the per-person cap) leave everything unchanged.
    """
    from buergerkontakt.appointments import notifications as appointment_notifications

    now = _now(now)
    with transaction.atomic():
        entry, current = _locked_offer(offer)
        if current.status == OfferStatus.ACCEPTED:
            return current.appointment
        if current.status != OfferStatus.OPEN or current.expires_at <= now:
            raise OfferClosed()
        booked = booking.confirm_booking(
            current.appointment_id, name=entry.name, email=entry.email, phone=entry.phone,
            case_number=entry.case_number, interpreter_language=entry.interpreter_language,
            wheelchair=entry.wheelchair, sign_language=entry.sign_language, note=entry.note, now=now)
        if booked.status == Appointment.Status.PENDING_CONFIRMATION:
            # The signed link in the offer e-mail already proves the address.
            booked = booking.confirm_pending(booked, now=now)
        current.status, current.decided_at = OfferStatus.ACCEPTED, now
        current.save(update_fields=["status", "decided_at"])
        entry.status, entry.closed_at, entry.appointment = Status.BOOKED, now, booked
        entry.save(update_fields=["status", "closed_at", "appointment", "updated_at"])
        appointment_notifications.notify(booked, "booked")
    return booked


def _give_back(offer: Offer, entry: Entry, status: str, now: datetime) -> None:
    """Close an open offer and hand its held appointment on to the next entry at once."""
    offer.status, offer.decided_at = status, now
    offer.save(update_fields=["status", "decided_at"])
    held = Appointment.objects.filter(pk=offer.appointment_id).values_list("status", flat=True).get()
    if held in (Appointment.Status.HELD, Appointment.Status.PENDING_CONFIRMATION):
        booking.cancel_appointment(offer.appointment_id, now=now)
    offer_freed(offer.appointment_id, now=now, exclude_entries=[entry.pk], release_now=True)


def decline_offer(offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """The citizen does not want this time: the next entry gets it at once. Idempotent; the
    entry stays on the waitlist."""
    now = _now(now)
    with transaction.atomic():
        entry, current = _locked_offer(offer)
        if current.status == OfferStatus.DECLINED:
            return current
        if current.status != OfferStatus.OPEN:
            raise OfferClosed()
        _give_back(current, entry, OfferStatus.DECLINED, now)
        _trigger_match()
    return current


def withdraw_entry(entry: Entry | int, *, now: datetime | None = None) -> Entry:
    """The citizen withdraws the need (signed link); an open offer is handed on. Idempotent."""
    now = _now(now)
    pk = entry.pk if isinstance(entry, Entry) else entry
    with transaction.atomic():
        current = _lock_entry(pk)
        if current.status == Status.WITHDRAWN:
            return current
        if current.status == Status.BOOKED:
            raise WaitlistError(_("Aus dieser Bedarfsmeldung ist bereits ein Termin geworden. Absagen "
                                  "können Sie ihn über den Link in der Buchungsbestätigung."))
        if current.status != Status.ACTIVE:
            raise WaitlistError(_("Diese Bedarfsmeldung ist bereits abgelaufen."))
        current.status, current.closed_at = Status.WITHDRAWN, now
        current.save(update_fields=["status", "closed_at", "updated_at"])
        for offer in Offer.objects.select_for_update().filter(entry=current, status=OfferStatus.OPEN):
            _give_back(offer, current, OfferStatus.WITHDRAWN, now)
        _trigger_match()
    return current


# --- periodic clean-up -------------------------------------------------------------------------
def expire_offers(now: datetime | None = None) -> int:
    """Close offers nobody answered in time and hand their capacity on; returns how many."""
    now = _now(now)
    due = list(Offer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now)
               .order_by("expires_at", "pk").values_list("pk", flat=True))
    done = 0
    for pk in due:
        with transaction.atomic():
            entry, current = _locked_offer(pk)
            if current.status != OfferStatus.OPEN or current.expires_at > now:
                continue
            _give_back(current, entry, OfferStatus.EXPIRED, now)
            done += 1
    return done


def expire_entries(now: datetime | None = None) -> int:
    """Entries whose date range (or deadline) has passed expire; the citizen is told. Returns how many."""
    now = _now(now)
    today = engine.local_day(now)
    due = list(Entry.objects.filter(status=Status.ACTIVE)
               .filter(Q(date_until__lt=today) | Q(deadline__lt=today))
               .exclude(offers__status=OfferStatus.OPEN).values_list("pk", flat=True))
    done = 0
    for pk in due:
        with transaction.atomic():
            entry = _lock_entry(pk)
            if entry.status != Status.ACTIVE or entry.last_day >= today \
                    or entry.offers.filter(status=OfferStatus.OPEN).exists():
                continue
            entry.status, entry.closed_at = Status.EXPIRED, now
            entry.save(update_fields=["status", "closed_at", "updated_at"])
            notifications.notify(entry, "expired")
            done += 1
    return done


# --- privacy: retention, access and erasure (called by the privacy app, docs/privacy/loeschkonzept.md) ---
# What an entry keeps once its personal details are removed: authority, services, locations, the
# date range, status and times – enough to count demand.
PERSONAL_BLANKS = {
    "name": "",
    "email": "",
    "phone": "",
    "case_number": "",
    "interpreter_language": "",
    "note": "",
    "wheelchair": False,
    "sign_language": False,
}
_HAS_PERSONAL_DATA = (
    ~Q(name="") | ~Q(email="") | ~Q(phone="") | ~Q(case_number="") | ~Q(note="")
    | ~Q(interpreter_language="") | Q(wheelchair=True) | Q(sign_language=True)
)


def _anonymise(queryset, batch_size: int) -> int:
    return in_batches(queryset.filter(_HAS_PERSONAL_DATA),
                      lambda batch: Entry.objects.filter(pk__in=batch).update(**PERSONAL_BLANKS),
                      batch_size=batch_size)


def purge_personal_data(before: datetime, *, batch_size: int = 500) -> int:
    """Remove the citizen's details from every entry closed (booked, withdrawn, expired) before
    ``before``; an active entry keeps them. In batches, idempotent."""
    closed = Entry.objects.exclude(status=Entry.Status.ACTIVE).filter(closed_at__lt=before)
    return _anonymise(closed, batch_size)


def _of_person(emails, phones, authority_id: int | None):
    found = Entry.objects.filter(contact_q(emails, phones))
    return found if authority_id is None else found.filter(authority_id=authority_id)


def personal_data_of(*, emails: Iterable[str] = (), phones: Iterable[str] = (),
                     authority_id: int | None = None) -> list[dict]:
    """Art. 15: every entry registered with one of these e-mail addresses or mobile numbers."""
    rows = []
    for entry in _of_person(emails, phones, authority_id).order_by("created_at", "pk"):
        rows.append({
            "code": entry.code,
            "status": entry.get_status_display(),
            "date_from": entry.date_from.isoformat(),
            "date_until": entry.date_until.isoformat(),
            "services": sorted(service.name for service in entry.services.all()),
            "name": entry.name,
            "email": entry.email,
            "phone": entry.phone,
            "case_number": entry.case_number,
            "interpreter_language": entry.interpreter_language,
            "wheelchair": entry.wheelchair,
            "sign_language": entry.sign_language,
            "note": entry.note,
            "created_at": entry.created_at.isoformat(),
        })
    return rows


def erase_person(*, emails: Iterable[str] = (), phones: Iterable[str] = (), authority_id: int | None = None,
                 batch_size: int = 500) -> int:
    """Art. 17: withdraw the person's active entries and remove the details of all of them."""
    matching = _of_person(emails, phones, authority_id)
    with transaction.atomic():
        matching.filter(status=Entry.Status.ACTIVE).update(status=Entry.Status.WITHDRAWN,
                                                           closed_at=timezone.now())
    return _anonymise(matching, batch_size)
