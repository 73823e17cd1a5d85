"""Appointments API for portals and telephony (anonymous, no cookies): bookable services, free
times, the ALTCHA challenge, hold → book, and look-up/cancel with the signed booking token.

Thin: the reads are ``services.availability``/``services.free_starts`` (the overview behind a
short-lived cache, see ``availability_cache``), the writes are the citizen's steps in
``citizen.py`` that the booking pages use too (proof of work, rate limits, messages). Every
:class:`~.exceptions.BookingError` becomes a German ``{"detail": …}`` with the status from
:data:`ERROR_STATUS`.

No session or cookie authentication, hence no CSRF token: django-ninja exempts its views from
Django's CSRF check unless an operation uses cookie-based auth (tested).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Annotated

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AwareDatetime, StringConstraints

from buergerkontakt.core import altcha, ratelimit
from buergerkontakt.core.models import Location
from buergerkontakt.directory.api import ErrorOut, ValidationErrorOut
from buergerkontakt.directory.models import Service

from . import availability_cache, citizen, engine, holdguard, links, services
from .exceptions import BookingError, HoldExpired, SlotUnavailable
from .models import Appointment, Quota, Schedule, ServiceGroup

router = Router()

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
MAX_DAYS = 92
MAX_DAYS_AHEAD = 730  # dates further ahead are refused before any calendar arithmetic
MAX_ID_DIGITS = 18  # ids beyond 64 bit cannot exist (and would overflow the query)

ServiceToken = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SLUG_PATTERN)]

# The one place where booking errors become HTTP statuses (first match wins: subclasses first).
ERROR_STATUS: tuple[tuple[type[BookingError], int], ...] = (
    (citizen.TooManyRequests, 429),
    (holdguard.TooManyHolds, 429),
    (citizen.ChallengeFailed, 403),
    (links.LinkInvalid, 403),
    (links.LinkExpired, 410),
    (HoldExpired, 410),
    (SlotUnavailable, 409),
    (BookingError, 400),
)


def status_for(exc: BookingError) -> int:
    return next(status for kind, status in ERROR_STATUS if isinstance(exc, kind))


@contextmanager
def booking_errors() -> Iterator[None]:
    """Turn a :class:`BookingError` into a German ``{"detail": …}`` with its status."""
    try:
        yield
    except BookingError as exc:
        raise HttpError(status_for(exc), str(exc)) from None


def _errors(*statuses: int) -> dict:
    return {**dict.fromkeys(statuses, ErrorOut), 422: ValidationErrorOut}


# --- schemas -----------------------------------------------------------------------------------
class LocationRefOut(Schema):
    slug: str
    name: str


class GroupOut(Schema):
    slug: str
    name: str
    slot_minutes: int = Field(description="Zeitraster in Minuten / time grid in minutes")
    min_days_ahead: int = Field(description="frühestens so viele Tage im Voraus / earliest days ahead")
    max_days_ahead: int = Field(description="spätestens so viele Tage im Voraus / latest days ahead")
    release_time: time = Field(description="tägliche Freischaltung / daily release time (Europe/Berlin)")
    hold_minutes: int = Field(description="Reservierungsdauer / how long a hold lasts")
    email_confirmation: bool = Field(description="Buchung erst nach Klick auf E-Mail-Link / "
                                                 "booked only after the e-mail link is opened")
    locations: list[LocationRefOut]


class BookableServiceOut(Schema):
    id: int
    slug: str
    name: str
    authority: str
    duration_minutes: int
    groups: list[GroupOut] = Field(description="Leistungsgruppen mit ihren Standorten / service "
                                               "groups (shared counters) with their locations")


class AvailabilityQuery(Schema):
    service: list[ServiceToken] = Field(
        ..., min_length=1, max_length=services.MAX_SERVICES_PER_APPOINTMENT,
        description="Kurzname oder Nummer der Leistung, wiederholbar (mehrere Leistungen in einem "
                    "Termin) / service slug or id, repeatable")
    from_date: date | None = Field(None, alias="from",
                                   description="erster Tag (Standard: heute) / first day (default today)")
    days: int = Field(14, ge=1, le=MAX_DAYS, description="Anzahl Tage / number of days")
    location: Slug | None = Field(None, description="nur dieser Standort / only this location")


class TimesQuery(Schema):
    service: list[ServiceToken] = Field(
        ..., min_length=1, max_length=services.MAX_SERVICES_PER_APPOINTMENT,
        description="Kurzname oder Nummer der Leistung, wiederholbar / service slug or id, repeatable")
    location: Slug = Field(..., description="Kurzname des Standorts / location slug")
    day: date = Field(..., description="Tag / day (YYYY-MM-DD)")


class DayOut(Schema):
    day: date
    free_starts: int = Field(description="Anzahl freier Beginnzeiten / number of free start times")
    first_start: datetime


class LocationAvailabilityOut(Schema):
    slug: str
    name: str
    first_start: datetime = Field(description="frühester freier Termin hier / earliest free start here")
    days: list[DayOut]


class EarliestOut(Schema):
    location: str = Field(description="Kurzname des Standorts / location slug")
    start: datetime


class AvailabilityOut(Schema):
    services: list[str] = Field(description="Kurznamen der Leistungen / service slugs")
    first_day: date
    last_day: date
    earliest: EarliestOut | None = Field(description="frühester freier Termin überall / earliest anywhere")
    locations: list[LocationAvailabilityOut] = Field(
        description="Standorte mit freien Terminen, frühester zuerst / locations with free times")


class TimesOut(Schema):
    services: list[str]
    location: str
    day: date
    starts: list[datetime] = Field(description="freie Beginnzeiten (Europe/Berlin) / free start times")


class ChallengeOut(Schema):
    parameters: dict[str, str | int] = Field(description="ALTCHA-Parameter / ALTCHA parameters")
    signature: str


class HoldIn(Schema):
    services: list[ServiceToken] = Field(..., min_length=1,
                                         max_length=services.MAX_SERVICES_PER_APPOINTMENT)
    location: Slug
    start: AwareDatetime = Field(description="Beginn mit Zeitzone, z. B. 2026-06-08T08:00:00+02:00 / "
                                             "start with offset")
    altcha: str | None = Field(None, max_length=4096,
                               description="gelöste ALTCHA-Aufgabe (base64) / solved ALTCHA payload")
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=100,
        description="gleicher Schlüssel = gleiche Reservierung (Doppelklick) / same key, same hold")


class ServiceRefOut(Schema):
    slug: str
    name: str
    duration_minutes: int


class HoldOut(Schema):
    code: str = Field(description="Buchungscode / booking code")
    token: str = Field(description="Signierter Schlüssel für Buchen, Abfragen und Absagen / "
                                   "signed token to book, look up and cancel")
    status: str
    hold_expires_at: datetime | None = Field(description="reserviert bis / held until")
    start: datetime
    end: datetime
    location: LocationRefOut
    services: list[ServiceRefOut]


class BookIn(Schema):
    code: str = Field(..., max_length=20)
    token: str = Field(..., max_length=120)
    name: str = Field(..., max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    case_number: str = Field("", max_length=60)
    interpreter_language: str = Field("", max_length=60)
    wheelchair: bool = False
    sign_language: bool = False
    note: str = Field("", max_length=1000)


class TokenIn(Schema):
    token: str = Field(..., max_length=120)


class TokenQuery(Schema):
    token: str = Field(..., max_length=120, description="Schlüssel aus der Reservierung oder dem Link / "
                                                        "token from the hold or the link")


class BookingOut(Schema):
    code: str
    status: str = Field(description=", ".join(Appointment.Status.values))
    status_label: str
    start: datetime
    end: datetime
    location: LocationRefOut
    services: list[ServiceRefOut]
    name: str = Field(description="Name wie angegeben; Kontaktdaten werden nicht zurückgegeben / "
                                  "name as entered; contact data is never returned")
    hold_expires_at: datetime | None = Field(
        description="bei Reservierung bzw. E-Mail-Bestätigung: gültig bis / hold or confirmation deadline")
    confirmation_required: bool = Field(description="Bitte Link in der E-Mail öffnen / open the e-mail link")
    message: str = Field(description="Hinweis für die Bürgerin / den Bürger / message for the citizen")


# --- helpers -----------------------------------------------------------------------------------
def _today() -> date:
    return engine.local_day(timezone.now())


def _check_day(day: date) -> None:
    if day > _today() + timedelta(days=MAX_DAYS_AHEAD):
        raise HttpError(400, _("Dieses Datum liegt zu weit in der Zukunft."))


def _resolve_services(tokens: list[str]) -> list[Service]:
    """The public services named by slug or id, in the order given (404 for unknown ones)."""
    ids = {int(t) for t in tokens if t.isdigit() and len(t) <= MAX_ID_DIGITS}
    slugs = {t for t in tokens if not t.isdigit()}
    found = Service.objects.filter(is_public=True).filter(Q(pk__in=ids) | Q(slug__in=slugs))
    by_token = {}
    for service in found:
        by_token[str(service.pk)] = by_token[service.slug] = service
    missing = [t for t in tokens if t not in by_token]
    if missing:
        raise HttpError(404, _("Diese Leistung gibt es nicht."))
    return [by_token[t] for t in tokens]


def _resolve_location(slug: str) -> Location:
    location = Location.objects.filter(is_public=True, slug=slug).first()
    if location is None:
        raise HttpError(404, _("Diesen Standort gibt es nicht."))
    return location


def _groups_of(service_ids: list[int]) -> list[int]:
    through = ServiceGroup.services.through
    return sorted(set(through.objects.filter(service_id__in=service_ids)
                      .values_list("servicegroup_id", flat=True)))


def _service_ref(service: Service) -> dict:
    return {"slug": service.slug, "name": service.name, "duration_minutes": service.duration_minutes}


def _lookup_error(request: HttpRequest) -> None:
    """A wrong token counts against the client's look-up limit (guessing protection)."""
    if not ratelimit.allow("lookup_ip", ratelimit.client_ip(request)):
        raise citizen.TooManyRequests()


def _appointment(request: HttpRequest, code: str, token: str) -> Appointment:
    try:
        return links.check_token(code, token, "manage")
    except links.LinkInvalid:
        _lookup_error(request)
        raise


def _booking_message(appointment: Appointment) -> str:
    status = Appointment.Status
    messages = {
        status.HELD: _("Der Termin ist für Sie reserviert. Bitte ergänzen Sie Ihre Angaben, um ihn zu "
                       "buchen."),
        status.PENDING_CONFIRMATION: _("Bitte bestätigen Sie den Termin mit dem Link in der E-Mail, die "
                                       "wir Ihnen gerade geschickt haben."),
        status.CONFIRMED: _("Ihr Termin ist gebucht."),
        status.CANCELLED: _("Der Termin ist abgesagt."),
        status.EXPIRED: _("Die Reservierung ist abgelaufen. Bitte wählen Sie den Termin erneut."),
    }
    return str(messages.get(appointment.status, appointment.get_status_display()))


def _booking(appointment: Appointment) -> dict:
    location = appointment.location
    return {
        "code": appointment.code,
        "status": appointment.status,
        "status_label": str(appointment.get_status_display()),
        "start": timezone.localtime(appointment.start),
        "end": timezone.localtime(appointment.end),
        "location": {"slug": location.slug, "name": location.name},
        "services": [_service_ref(s) for s in appointment.service_list],
        "name": appointment.name,
        "hold_expires_at": appointment.hold_expires_at,
        "confirmation_required": appointment.status == Appointment.Status.PENDING_CONFIRMATION,
        "message": _booking_message(appointment),
    }


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


# --- operations: reads -------------------------------------------------------------------------
@router.get(
    "services", response={200: list[BookableServiceOut], 422: ValidationErrorOut},
    operation_id="appointments_services", summary="Buchbare Leistungen / Bookable services",
    description="Online buchbare Leistungen mit Dauer, Leistungsgruppe (Zeitraster, Buchungsfenster, "
                "Freischaltung) und den Standorten, an denen sie gebucht werden können.\n\n"
                "Services bookable online with duration, service group (time grid, booking window, "
                "release time) and the locations where they can be booked.",
)
def list_services(request: HttpRequest):
    bookable = list(Service.objects.filter(is_public=True, online_bookable=True)
                    .select_related("authority").order_by("name", "pk"))
    through = ServiceGroup.services.through
    groups_of: dict[int, list[int]] = {}
    for group_id, service_id in through.objects.filter(service__in=bookable).order_by(
            "servicegroup_id").values_list("servicegroup_id", "service_id"):
        groups_of.setdefault(service_id, []).append(group_id)
    group_ids = {g for ids in groups_of.values() for g in ids}
    groups = ServiceGroup.objects.in_bulk(group_ids)
    scheduled: dict[int, set[int]] = {}
    for group_id, location_id in Schedule.objects.filter(group_id__in=group_ids).order_by().values_list(
            "group_id", "location_id").distinct():
        scheduled.setdefault(group_id, set()).add(location_id)
    locations = Location.objects.filter(is_public=True, offers_online_booking=True).in_bulk(
        {loc for ids in scheduled.values() for loc in ids})
    offered_at: dict[int, set[int]] = {}  # "angeboten an Standorten": booking only there
    for service_id, location_id in Service.locations.through.objects.filter(
            service__in=bookable).values_list("service_id", "location_id"):
        offered_at.setdefault(service_id, set()).add(location_id)
    result = []
    for service in bookable:
        taken: set[int] = set()  # a location is served by the oldest group (as in booking_rules.py)
        group_items = []
        for group_id in groups_of.get(service.pk, []):
            here = sorted((locations[loc] for loc in scheduled.get(group_id, set()) - taken
                           if loc in locations and loc in offered_at.get(service.pk, ())),
                          key=lambda loc: (loc.name, loc.pk))
            taken |= scheduled.get(group_id, set())
            if not here:
                continue
            group = groups[group_id]
            group_items.append({
                "slug": group.slug, "name": group.name, "slot_minutes": group.slot_minutes,
                "min_days_ahead": group.min_days_ahead, "max_days_ahead": group.max_days_ahead,
                "release_time": group.release_time, "hold_minutes": group.hold_minutes,
                "email_confirmation": group.require_email_confirmation,
                "locations": [{"slug": loc.slug, "name": loc.name} for loc in here],
            })
        if group_items:
            result.append({"id": service.pk, "slug": service.slug, "name": service.name,
                           "authority": service.authority.name,
                           "duration_minutes": service.duration_minutes, "groups": group_items})
    return result


def _availability_document(service_ids: list[int], location_id: int | None, first: date,
                           days: int) -> bytes:
    chosen = list(Service.objects.in_bulk(service_ids).values())
    by_id = {s.pk: s for s in chosen}
    with booking_errors():
        found = services.availability(service_ids, first, days, location=location_id)
    names = Location.objects.filter(is_public=True).in_bulk({item.location_id for item in found})
    per_location: dict[int, list[dict]] = {}
    for item in found:  # sorted by day, then first start
        if item.location_id not in names:
            continue  # a location not (yet) shown to the public
        per_location.setdefault(item.location_id, []).append(
            {"day": item.day, "free_starts": item.free_starts, "first_start": item.first_start})
    items = [
        {"slug": names[loc_id].slug, "name": names[loc_id].name,
         "first_start": min(d["first_start"] for d in day_items), "days": day_items}
        for loc_id, day_items in per_location.items()
    ]
    items.sort(key=lambda entry: (entry["first_start"], entry["slug"]))
    document = AvailabilityOut(
        services=[by_id[pk].slug for pk in service_ids],
        first_day=first,
        last_day=first + timedelta(days=days - 1),
        earliest={"location": items[0]["slug"], "start": items[0]["first_start"]} if items else None,
        locations=items,
    )
    return document.model_dump_json().encode()


@router.get(
    "availability", response={200: AvailabilityOut, **_errors(400, 404)},
    operation_id="appointments_availability", summary="Freie Termine / Availability",
    description="Freie Termine je Standort und Tag: Anzahl freier Beginnzeiten und die früheste, für "
                "eine oder mehrere Leistungen (`service` wiederholen), ab `from` für `days` Tage "
                f"(höchstens {MAX_DAYS}), optional nur an einem Standort. `earliest` ist der früheste "
                "freie Termin überall. Die Übersicht kann bis zu 30 Sekunden alt sein (neu "
                "freigeschaltete Tage erscheinen sofort); die Reservierung prüft jeden Termin erneut. "
                "404 bei unbekannter Leistung oder unbekanntem Standort, "
                "400 wenn die Leistungen nicht online (gemeinsam) buchbar sind, 422 bei ungültigen "
                "Angaben.\n\n"
                "Free times per location and day: number of free start times and the earliest, for one "
                "or more services (repeat `service`), from `from` for `days` days "
                f"(at most {MAX_DAYS}), optionally at one location. `earliest` is the earliest free "
                "time anywhere. The overview may be up to 30 seconds old (newly released days appear at "
                "once); holding re-checks every time. "
                "404 for an unknown service or location, 400 if the services cannot be booked online "
                "(together), 422 for invalid input.",
)
def availability(request: HttpRequest, filters: Query[AvailabilityQuery]):
    first = filters.from_date or _today()
    _check_day(first)
    tokens = list(filters.service)

    def resolve() -> tuple[list[int], int | None, list[int], list[tuple]]:
        chosen = _resolve_services(tokens)
        location_id = _resolve_location(filters.location).pk if filters.location else None
        ids = [s.pk for s in chosen]
        group_ids = _groups_of(ids)
        windows = list(ServiceGroup.objects.filter(pk__in=group_ids).order_by("pk").values_list(
            "min_days_ahead", "max_days_ahead", "release_time"))
        return ids, location_id, group_ids, windows

    service_ids, location_id, group_ids, windows = availability_cache.remember(
        ("resolve", tuple(tokens), filters.location), resolve)
    # The booking windows as of now belong to the key: a new day released at the release time (or
    # at midnight) is shown at once, not only when the cached overview expires.
    now = timezone.now()
    bookable = tuple(engine.bookable_range(now=now, min_days_ahead=low, max_days_ahead=high,
                                           release_time=release) for low, high, release in windows)
    document = availability_cache.cached(
        ("availability", Quota.ONLINE, tuple(sorted(service_ids)), tuple(service_ids), location_id,
         first.isoformat(), filters.days, engine.local_day(now), bookable),
        group_ids,
        lambda: _availability_document(service_ids, location_id, first, filters.days),
    )
    response = HttpResponse(document, content_type="application/json")
    response["Cache-Control"] = f"public, max-age={availability_cache.ttl_seconds()}"
    return response


@router.get(
    "times", response={200: TimesOut, **_errors(400, 404)},
    operation_id="appointments_times", summary="Freie Uhrzeiten eines Tages / Free times of a day",
    description="Die freien Beginnzeiten an einem Standort und Tag (Europe/Berlin), immer aktuell. 404 bei "
                "unbekannter Leistung oder unbekanntem Standort, 400 wenn die Leistungen dort nicht "
                "online buchbar sind, 422 bei ungültigen Angaben.\n\n"
                "The free start times at one location on one day (Europe/Berlin), always current. 404 "
                "for an unknown service or location, 400 if the services cannot be booked online there, "
                "422 for invalid input.",
)
def times(request: HttpRequest, filters: Query[TimesQuery]):
    _check_day(filters.day)
    chosen = _resolve_services(list(filters.service))
    location = _resolve_location(filters.location)
    with booking_errors():
        starts = services.free_starts(chosen, location, filters.day)
    return {"services": [s.slug for s in chosen], "location": location.slug, "day": filters.day,
            "starts": starts}


@router.get(
    "challenge", response={200: ChallengeOut},
    operation_id="appointments_challenge", summary="ALTCHA-Aufgabe / ALTCHA challenge",
    description="Eine neue Rechenaufgabe (Proof of Work, ALTCHA) gegen Buchungsbots, ohne Drittanbieter. "
                "Die Lösung (base64) wird bei der Reservierung als `altcha` mitgeschickt und gilt einmal."
                "\n\n"
                "A fresh proof-of-work challenge (ALTCHA) against booking bots, self-hosted. Send the "
                "solution (base64) as `altcha` with the hold; it is accepted once.",
)
def challenge(request: HttpRequest, response: HttpResponse):
    _no_store(response)
    return altcha.new_challenge(client=ratelimit.client_ip(request))


# --- operations: writes ------------------------------------------------------------------------
@router.post(
    "hold", response={201: HoldOut, **_errors(400, 403, 404, 409, 429)},
    operation_id="appointments_hold", summary="Termin reservieren / Hold a time",
    description="Reserviert einen freien Termin für einige Minuten (online-Kontingent), nach Prüfung der "
                "ALTCHA-Lösung und der Anfragegrenze je IP-Adresse. Antwort: Buchungscode und signierter "
                "Schlüssel für die weiteren Schritte. Derselbe `idempotency_key` liefert dieselbe "
                "Reservierung. 409 „leider vergeben“, 403 bei fehlgeschlagener Prüfung, 429 bei zu vielen "
                "Anfragen oder zu vielen offenen Reservierungen je Anschluss, 404 bei unbekannter "
                "Leistung/unbekanntem Standort, 400/422 bei ungültigen "
                "Angaben.\n\n"
                "Holds a free time for a few minutes (online quota), after checking the ALTCHA solution "
                "and the per-IP limit. Returns the booking code and a signed token for the next steps. "
                "The same `idempotency_key` returns the same hold. 409 taken, 403 failed challenge, "
                "429 too many requests or too many open holds per client, 404 unknown service/location, "
                "400/422 invalid input.",
)
def hold(request: HttpRequest, payload: HoldIn, response: HttpResponse):
    _no_store(response)
    now = timezone.now()
    if not now - timedelta(days=1) < payload.start < now + timedelta(days=MAX_DAYS_AHEAD):
        raise HttpError(400, _("Dieser Tag ist (noch) nicht buchbar."))

    def resolve() -> tuple[list[int], int, str, str]:
        location = _resolve_location(payload.location)
        return ([s.pk for s in _resolve_services(list(payload.services))], location.pk, location.slug,
                location.name)

    # Memoised for a few seconds: at release time thousands of requests name the same service.
    service_ids, location_id, location_slug, location_name = availability_cache.remember(
        ("hold-target", tuple(payload.services), payload.location), resolve)
    # A time already gone is refused without a transaction – unless this is a repeated request
    # (same idempotency key as a hold on that time), which gets its own hold back.
    if availability_cache.certainly_taken(service_ids, location_id, payload.start, now,
                                          idempotency_key=payload.idempotency_key):
        raise HttpError(409, str(SlotUnavailable()))
    with booking_errors():
        appointment = citizen.hold(
            service_ids, location_id, payload.start, ip=ratelimit.client_ip(request),
            altcha_payload=payload.altcha, idempotency_key=payload.idempotency_key,
            language=getattr(request, "LANGUAGE_CODE", "de"))
    # The overview cache is invalidated by hold_slot when its transaction commits.
    return Status(201, {
        "code": appointment.code,
        "token": links.make_token(appointment, "manage"),
        "status": appointment.status,
        "hold_expires_at": appointment.hold_expires_at,
        "start": timezone.localtime(appointment.start),
        "end": timezone.localtime(appointment.end),
        "location": {"slug": location_slug, "name": location_name},
        "services": [_service_ref(s) for s in appointment.service_list],
    })


@router.post(
    "book", response={200: BookingOut, **_errors(400, 403, 409, 410, 429)},
    operation_id="appointments_book", summary="Termin buchen / Book",
    description="Ergänzt die Angaben (Name, E-Mail und/oder Mobilnummer, optional Aktenzeichen und "
                "Bedarfe) und bucht den reservierten Termin; verlangt die Leistungsgruppe eine "
                "Bestätigung per E-Mail-Link, ist der Status `pending_confirmation`. Wiederholtes Senden "
                "bucht einmal. 410 wenn die Reservierung abgelaufen ist, 403 bei ungültigem Schlüssel, "
                "429 bei zu vielen Buchungen je Person, 400/422 bei ungültigen Angaben.\n\n"
                "Adds the details (name, e-mail and/or mobile, optional case number and needs) and books "
                "the held time; if the group requires an e-mail link the status is "
                "`pending_confirmation`. Sending twice books once. 410 if the hold expired, 403 invalid "
                "token, 429 too many bookings per person, 400/422 invalid input.",
)
def book(request: HttpRequest, payload: BookIn, response: HttpResponse):
    _no_store(response)
    with booking_errors():
        appointment = _appointment(request, payload.code, payload.token)
        booked = citizen.complete(
            appointment, name=payload.name, email=payload.email, phone=payload.phone,
            case_number=payload.case_number, interpreter_language=payload.interpreter_language,
            wheelchair=payload.wheelchair, sign_language=payload.sign_language, note=payload.note)
    return _booking(booked)


@router.get(
    "booking/{code}", response={200: BookingOut, **_errors(403, 410, 429)},
    operation_id="appointments_booking", summary="Termin abfragen / Look up a booking",
    description="Status, Zeit, Standort und Leistungen eines Termins mit dem Schlüssel aus der "
                "Reservierung oder dem Link. Zurück kommt nur der Name, keine Kontaktdaten, kein "
                "Aktenzeichen. 403 bei ungültigem, 410 bei abgelaufenem Schlüssel.\n\n"
                "Status, time, location and services of a booking, with the token from the hold or the "
                "link. Only the name is returned, no contact data, no case number. 403 invalid token, "
                "410 expired token.",
)
def get_booking(request: HttpRequest, code: str, filters: Query[TokenQuery], response: HttpResponse):
    _no_store(response)
    with booking_errors():
        appointment = _appointment(request, code, filters.token)
    # A client that goes on after the hold: the hold lasts the full hold time (ADR 0015).
    return _booking(holdguard.extend(appointment))


@router.post(
    "booking/{code}/cancel", response={200: BookingOut, **_errors(400, 403, 410, 429)},
    operation_id="appointments_cancel", summary="Termin absagen / Cancel",
    description="Sagt eine Reservierung oder einen Termin ab (mehrfaches Absagen schadet nicht). "
                "400 wenn der Termin nicht mehr abgesagt werden kann, 403 bei ungültigem, 410 bei "
                "abgelaufenem Schlüssel.\n\n"
                "Cancels a hold or booking (cancelling twice is harmless). 400 if it can no longer be "
                "cancelled, 403 invalid token, 410 expired token.",
)
def cancel(request: HttpRequest, code: str, payload: TokenIn, response: HttpResponse):
    _no_store(response)
    with booking_errors():
        appointment = _appointment(request, code, payload.token)
        cancelled = citizen.cancel(appointment)
    return _booking(cancelled)

