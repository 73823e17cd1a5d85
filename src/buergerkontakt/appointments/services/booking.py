"""Appointments: holding a time, booking it (with the citizen's details), confirming the e-mail
link, cancelling and moving a booking. The capacity invariant and the lock order are described in
``__init__.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service

from .. import availability_cache, engine
from ..booking_rules import (
    HOLDING,
    Status,
    _capacity_field,
    _check_quota,
    _day_rules,
    _group_at,
    _load_services,
    _location_id,
    _now,
    _require_online_location,
    _units_for,
    _used_field,
)
from ..exceptions import BookingError, HoldExpired, SlotUnavailable
from ..models import Appointment, AppointmentService, AppointmentSlot, Quota, ServiceGroup, Slot
from ._common import _locked_appointment
from .capacity import _claim, _decrement, _due_ids, _lock_slots, _take_units, _units_of
from .details import _clean_details


# --- writes: booking ------------------------------------------------------------------------------
def _same_request(existing: Appointment, location_id: int, start: datetime, quota: str) -> Appointment:
    if (existing.location_id, existing.start, existing.quota) != (location_id, start, quota):
        raise BookingError(_("Diese Anfrage wurde bereits mit anderen Angaben gesendet."))
    return existing


def hold_slot(services: Iterable[Service | int], location: Location | int, start: datetime, *,
              quota: str = Quota.ONLINE, idempotency_key: str | None = None, booked_by=None,
              hold_minutes: int | None = None, now: datetime | None = None,
              key_is_new: bool = False, holder: str = "", holder_browser: str = "") -> Appointment:
    """Reserve the units from ``start`` for the chosen services; returns the HELD appointment.

    The hold lasts the group's ``hold_minutes`` unless ``hold_minutes`` is given (a waitlist offer
    holds longer); :func:`confirm_booking` turns it into a booking. The same
    ``idempotency_key`` (e.g. from a hidden form field) always returns the same appointment and
    books once, also when both requests race. Raises :class:`SlotUnavailable` when the time is
    taken and :class:`BookingError` for bad input; nothing is written in either case.
    ``key_is_new``: the caller has just found no appointment with this key (one query less; a
    request with the same key that races past is still caught by the unique constraint).
    ``holder`` / ``holder_browser``: keyed hashes of the citizen's address and browser
    (``holdguard.py``).
    """
    now = _now(now)
    _check_quota(quota)
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise BookingError(_("Ungültige Uhrzeit."))
    if quota == Quota.INTERNAL and booked_by is None:
        raise BookingError(_("Das interne Kontingent können nur Mitarbeitende buchen."))
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key).strip()
        if not idempotency_key or len(idempotency_key) > 100:
            raise BookingError(_("Ungültige Anfrage. Bitte laden Sie die Seite neu."))
    location_id = _location_id(location)
    try:
        with transaction.atomic():
            return _hold(services, location_id, start, quota=quota, idempotency_key=idempotency_key,
                         booked_by=booked_by, hold_minutes=hold_minutes, now=now,
                         key_is_new=key_is_new, holder=holder, holder_browser=holder_browser)
    except IntegrityError as exc:
        # A concurrent request with the same idempotency key won, or a check constraint fired.
        if idempotency_key:
            existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_request(existing, location_id, start, quota)
        raise SlotUnavailable() from exc


def _hold(services, location_id: int, start: datetime, *, quota: str, idempotency_key: str | None,
          booked_by, hold_minutes: int | None, now: datetime, key_is_new: bool = False,
          holder: str = "", holder_browser: str = "") -> Appointment:
    if idempotency_key and not key_is_new:
        existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, location_id, start, quota)
    chosen = _load_services(services, quota)
    _require_online_location(location_id, quota)
    group = _group_at(chosen, location_id)
    if start <= now:
        raise BookingError(_("Termine in der Vergangenheit können nicht gebucht werden."))
    rules = _day_rules(group, now, quota)
    day = engine.local_day(start)
    if not rules.allows_any(day):
        raise BookingError(_("Dieser Tag ist (noch) nicht buchbar."))

    # The k units from start: contiguous, all on the same day.
    k = _units_for(group, chosen)
    used_field, capacity_field = _used_field(quota), _capacity_field(quota)
    units = list(Slot.objects.filter(
        group=group, location_id=location_id, start__gte=start,
        start__lt=start + timedelta(minutes=k * group.slot_minutes),
    ).order_by("start").values_list("id", "start", "end", "same_day_only", used_field, capacity_field))
    if len(units) != k or units[0][1] != start or any(
            units[i][1] != units[i - 1][2] for i in range(1, k)) or engine.local_day(units[-1][1]) != day:
        raise SlotUnavailable()
    for _id, _start, _end, same_day, _used, _capacity in units:
        if not rules.allows(day, same_day):
            if same_day:
                raise BookingError(_("Dieser Termin ist nur am selben Tag buchbar."))
            raise BookingError(_("Dieser Tag ist (noch) nicht buchbar."))
    slot_ids = [unit[0] for unit in units]

    # Refuse before taking any lock when the units are taken as last committed (the crowd at
    # release time): a unit is full and no due appointment could free it, or a counter closes
    # during the appointment. Both are checked again under the row locks below – this read only
    # ever refuses what a request a moment earlier would have been refused anyway.
    due_ids = _due_ids(now, slot_ids=slot_ids)
    if not due_ids and (any(in_use >= cap for *_rest, in_use, cap in units)
                        or engine.crosses_capacity_drop([unit[5] for unit in units])):
        raise SlotUnavailable()

    # Lock order: due appointments on these units, then all slot rows involved, by ascending id.
    # One unit and nothing to claim (the common case): no explicit lock. The conditional update is
    # the whole guard (it locks the row itself; a single unit has no capacity drop) and it runs
    # last, right before the commit, so the row stays locked for one statement – at release time
    # the others queue for that lock, not for this request's inserts.
    locks_first = bool(due_ids) or k > 1
    if locks_first:
        claimed = _claim(due_ids, now) if due_ids else []
        released = _units_of(claimed)
        locked = _lock_slots([*slot_ids, *(slot_id for slot_id, _quota in released)])
        _decrement(released)
        if engine.crosses_capacity_drop([locked[slot_id].capacity(quota) for slot_id in slot_ids]):
            raise SlotUnavailable()  # a counter closes during the appointment (ADR 0002)
        for slot_id in slot_ids:
            slot = locked[slot_id]
            if slot.used(quota) - released[(slot_id, quota)] >= slot.capacity(quota):
                raise SlotUnavailable()
        _take_units(slot_ids, quota)

    appointment = Appointment.objects.create(
        status=Status.HELD, group=group, location_id=location_id, start=start, end=units[-1][2],
        quota=quota, hold_expires_at=now + timedelta(minutes=hold_minutes or group.hold_minutes),
        idempotency_key=idempotency_key, booked_by=booked_by, holder=holder, holder_browser=holder_browser,
    )
    AppointmentService.objects.bulk_create(
        AppointmentService(appointment=appointment, service=service, position=position)
        for position, service in enumerate(chosen))
    AppointmentSlot.objects.bulk_create(
        AppointmentSlot(appointment=appointment, slot_id=slot_id) for slot_id in slot_ids)
    if not locks_first:
        _take_units(slot_ids, quota)  # refused: the transaction rolls the inserts back
    appointment.remember_services(chosen)
    availability_cache.invalidate_after_commit([group.pk])
    return appointment


def _lock_person(group_id: int, keys: Iterable[str]) -> None:
    """Serialise confirmations of one person in one group (the per-person cap).

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order. SQLite: the IMMEDIATE
    write transaction already serialises all writers.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            digest = hashlib.blake2b(f"appointments:{group_id}:{key}".encode(), digest_size=8).digest()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def confirm_booking(appointment: Appointment | int, *, name: str, email: str = "", phone: str = "",
                    case_number: str = "", interpreter_language: str = "", wheelchair: bool = False,
                    sign_language: bool = False, note: str = "", email_verified: bool = False,
                    now: datetime | None = None) -> Appointment:
    """Add the citizen's details to a hold and book it; returns the updated appointment.

    CONFIRMED, or PENDING_CONFIRMATION when the group requires an e-mail link (valid for
    ``confirm_minutes``; see :func:`confirm_pending`). Raises :class:`HoldExpired` when the hold
    ran out and :class:`BookingError` when the person already has ``max_active_per_person`` active
    bookings in the group. A second submission of the same form returns the booking unchanged.
    """
    now = _now(now)
    details = _clean_details(name=name, email=email, phone=phone, case_number=case_number,
                             interpreter_language=interpreter_language, wheelchair=wheelchair,
                             sign_language=sign_language, note=note)
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    with transaction.atomic():
        # The group never changes, so an instance's group_id can be trusted before the lock.
        group_id = (appointment.group_id if isinstance(appointment, Appointment) else
                    Appointment.objects.filter(pk=pk).values_list("group_id", flat=True).first())
        if group_id is None:
            raise BookingError(_("Dieser Termin wurde nicht gefunden."))
        person_keys = [key for key in (details["email"], details["phone"]) if key]
        _lock_person(group_id, person_keys)
        current = _locked_appointment(pk)
        if current.status in (Status.CONFIRMED, Status.PENDING_CONFIRMATION):
            return current
        if current.status == Status.EXPIRED or (
                current.status == Status.HELD and current.hold_expires_at <= now):
            raise HoldExpired()
        if current.status != Status.HELD:
            raise BookingError(_("Dieser Termin kann nicht mehr bestätigt werden."))
        group = ServiceGroup.objects.get(pk=group_id)
        needs_link = (group.require_email_confirmation and not email_verified
                      and current.quota == Quota.ONLINE)
        if needs_link and not details["email"]:
            raise BookingError(_("Bitte geben Sie Ihre E-Mail-Adresse an. Sie erhalten einen Link, "
                                 "mit dem Sie den Termin bestätigen."))
        if current.quota == Quota.ONLINE and not person_keys:
            raise BookingError(_("Bitte geben Sie eine E-Mail-Adresse oder eine Mobilnummer an."))
        if group.max_active_per_person and person_keys:
            same_person = Q(person_key__in=person_keys)
            if details["email"]:
                same_person |= Q(email=details["email"])
            if details["phone"]:
                same_person |= Q(phone=details["phone"])
            active = (Appointment.objects.filter(same_person, group_id=group_id, end__gt=now)
                      .filter(Q(status=Status.CONFIRMED)
                              | Q(status=Status.PENDING_CONFIRMATION, hold_expires_at__gt=now))
                      .exclude(pk=current.pk).count())
            if active >= group.max_active_per_person:
                raise BookingError(_("Sie haben für diese Leistung bereits einen Termin gebucht. Bitte "
                                     "sagen Sie diesen zuerst ab, wenn Sie einen neuen Termin möchten."))
        for field, value in details.items():
            setattr(current, field, value)
        if needs_link:
            current.status = Status.PENDING_CONFIRMATION
            current.hold_expires_at = now + timedelta(minutes=group.confirm_minutes)
        else:
            current.status = Status.CONFIRMED
            current.confirmed_at = now
            current.hold_expires_at = None
            current.holder = current.holder_browser = ""  # only needed while the hold is open
        current.save(update_fields=[*details, "status", "hold_expires_at", "confirmed_at", "holder",
                                    "holder_browser", "updated_at"])
    return current


def confirm_pending(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """The citizen clicked the e-mail link: PENDING_CONFIRMATION → CONFIRMED (idempotent)."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.CONFIRMED:
            return current
        if current.status == Status.EXPIRED or (
                current.status == Status.PENDING_CONFIRMATION and current.hold_expires_at <= now):
            raise HoldExpired(_("Der Bestätigungslink ist abgelaufen. Bitte buchen Sie den Termin erneut."))
        if current.status != Status.PENDING_CONFIRMATION:
            raise BookingError(_("Dieser Termin kann nicht mehr bestätigt werden."))
        current.status = Status.CONFIRMED
        current.confirmed_at = now
        current.hold_expires_at = None
        current.holder = current.holder_browser = ""  # only needed while the hold is open
        current.save()
    return current


# --- writes: cancellation and the day of the appointment ------------------------------------------
def cancel_appointment(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """Cancel a hold or booking. Its capacity stays occupied for ``cancel_release_delay_minutes``
    (against resale bots; a hold at most until it would have expired anyway), then
    :func:`release_due_capacity` gives it back. Cancelling twice is harmless."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.CANCELLED:
            return current
        if current.status not in (*HOLDING, Status.CONFIRMED):
            raise BookingError(_("Dieser Termin kann nicht mehr storniert werden."))
        if current.start <= now:
            raise BookingError(_("Termine, die bereits begonnen haben, können nicht mehr storniert werden."))
        delay = ServiceGroup.objects.filter(pk=current.group_id).values_list(
            "cancel_release_delay_minutes", flat=True).get()
        release_at = now + timedelta(minutes=delay)
        if current.status in HOLDING and current.hold_expires_at is not None:
            release_at = min(release_at, current.hold_expires_at)
        current.status = Status.CANCELLED
        current.cancelled_at = now
        current.capacity_release_at = None if current.capacity_released else release_at
        current.save()
        availability_cache.invalidate_after_commit([current.group_id])
    return current


DETAIL_FIELDS = ("name", "email", "phone", "case_number", "interpreter_language", "wheelchair",
                 "sign_language", "note")


def reschedule(old: Appointment | int, new: Appointment | int, *, now: datetime | None = None,
               ) -> Appointment:
    """Move a booking to a newly held time: the hold ``new`` gets the details of ``old`` and is
    booked, ``old`` is cancelled — in one transaction, so either both happen or neither.

    The e-mail address was confirmed with the first booking, so no new confirmation link is needed.
    """
    now = _now(now)
    old_pk = old.pk if isinstance(old, Appointment) else old
    new_pk = new.pk if isinstance(new, Appointment) else new
    with transaction.atomic():
        # Lock order: appointments in ascending id.
        locked = {pk: _locked_appointment(pk) for pk in sorted((old_pk, new_pk))}
        current, held = locked[old_pk], locked[new_pk]
        if current.status != Status.CONFIRMED:
            raise BookingError(_("Nur gebuchte Termine können verschoben werden."))
        if held.quota != current.quota or held.status != Status.HELD:
            raise BookingError(_("Der neue Termin ist nicht (mehr) reserviert."))
        details = {field: getattr(current, field) for field in DETAIL_FIELDS}
        cancel_appointment(current, now=now)
        booked = confirm_booking(held, now=now, email_verified=True, **details)
        Appointment.objects.filter(pk=booked.pk).update(language=current.language, staff=current.staff)
        booked.language, booked.staff = current.language, current.staff
        link_move(current, booked)
    return booked


def link_move(old: Appointment, new: Appointment) -> None:
    """``new`` replaces ``old`` for the citizen: same calendar event (UID), next version (SEQUENCE)."""
    new.rescheduled_from = old
    new.calendar_uid = old.calendar_code
    new.calendar_sequence = old.calendar_sequence + 1
    new.save(update_fields=["rescheduled_from", "calendar_uid", "calendar_sequence", "updated_at"])
