"""Directory API (anonymous, public level only): locations, reachability, services, team
contacts and the responsibility lookup. The same query functions back the HTML pages."""

from __future__ import annotations

import re
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from buergerkontakt.core.models import Authority, Location, Team
from buergerkontakt.core.models import VisitMode as VisitModeChoices

from . import hours, queries
from .hours import Reachability
from .models import HoursKind, Service
from .publication import visible_people
from .responsibility import MAX_CASE_NUMBER_LENGTH, MAX_SURNAME_LENGTH, find_responsible_team

router = Router()

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def _slug_ok(slug: str) -> bool:
    """Slugs are ASCII; anything else (e.g. NUL bytes PostgreSQL refuses) cannot exist."""
    return re.fullmatch(SLUG_PATTERN, slug) is not None and len(slug) <= 80


# --- schemas -----------------------------------------------------------------------------------
class ErrorOut(Schema):
    detail: str = Field(description="Fehlermeldung (deutsch) / error message (German)")


class ValidationErrorOut(Schema):
    detail: str = Field(description="Fehlermeldung (deutsch) / error message (German)")
    errors: list[dict] = Field(default_factory=list, description="Einzelne Fehler / individual errors")


ERRORS = {404: ErrorOut, 422: ValidationErrorOut}


class WindowOut(Schema):
    start: datetime
    end: datetime


class WeeklyLineOut(Schema):
    days: str = Field(description="z. B. 'Mo–Do' / e.g. 'Mo–Do'")
    hours: str = Field(description="z. B. '07:30–16:30'")


class ReachabilityOut(Schema):
    kind: str = Field(description="opening | phone | callback | walk_in")
    label: str
    has_hours: bool = Field(description="Gibt es feste Zeiten? / are there fixed hours?")
    open_now: bool
    current: WindowOut | None = Field(description="Laufendes Zeitfenster / window open now")
    next: WindowOut | None = Field(description="Nächstes Zeitfenster / next window")
    status: str = Field(description="Statustext wie auf der Seite / status text as on the page")
    today: list[WindowOut]
    weekly: list[WeeklyLineOut]


def reach_out(reach: Reachability) -> dict:
    return {**reach.as_dict(), "has_hours": reach.has_hours}


class AddressOut(Schema):
    street: str
    postcode: str
    city: str


class ChannelsOut(Schema):
    phone: str | None = None
    email: str | None = None
    contact_form_url: str | None = None
    online_callback: bool
    online_booking: bool


class LocationOut(Schema):
    slug: str
    name: str
    authority: str
    address: AddressOut
    url: str
    latitude: float | None = None
    longitude: float | None = None
    visit_mode: str = Field(description=", ".join(VisitModeChoices.values))
    visit_mode_label: str
    opening: ReachabilityOut


class TeamOut(Schema):
    slug: str
    name: str
    phone: str | None = None
    email: str | None = None
    phone_hours: ReachabilityOut


class ServiceRefOut(Schema):
    slug: str
    name: str
    url: str


class LocationDetailOut(LocationOut):
    channels: ChannelsOut
    how_to_book: str
    emergency_rule: str
    accessibility: str
    directions: str
    teams: list[TeamOut]
    services: list[ServiceRefOut]


class LocationReachabilityOut(Schema):
    location: str = Field(description="Kurzname des Standorts / location slug")
    at: datetime = Field(description="Zeitpunkt der Auskunft / moment of the answer")
    opening: ReachabilityOut
    phone: ReachabilityOut
    callback: ReachabilityOut
    walk_in: ReachabilityOut


class ServiceOut(Schema):
    slug: str
    name: str
    authority: str
    synonyms: list[str]
    online_bookable: bool
    duration_minutes: int
    fee: str
    url: str


class ServiceLocationOut(Schema):
    slug: str
    name: str
    address: AddressOut
    url: str
    opening: ReachabilityOut
    phone_number: str | None = None
    phone: ReachabilityOut = Field(description="Telefonzeiten des zuständigen Teams, sonst des Standorts")
    online_booking: bool
    visit_mode: str
    visit_mode_label: str
    how_to_book: str
    emergency_rule: str


class ServiceDetailOut(ServiceOut):
    description: str
    what_to_bring: list[str]
    locations: list[ServiceLocationOut]


class PersonOut(Schema):
    name: str
    job_title: str
    phone: str | None = None
    email: str | None = None
    absent: bool
    note: str | None = None


class TeamContactOut(Schema):
    slug: str
    name: str
    authority: str
    location: str
    location_url: str
    phone: str | None = None
    email: str | None = None
    phone_hours: ReachabilityOut
    callback_hours: ReachabilityOut
    people: list[PersonOut] = Field(
        description="Nur Personen mit öffentlicher Freigabe / only people who consented to publication")


class ResponsibilityQuery(Schema):
    authority: str = Field(max_length=80, pattern=SLUG_PATTERN,
                           description="Kurzname der Behörde / authority slug")
    surname: str | None = Field(None, max_length=MAX_SURNAME_LENGTH, description="Nachname / surname")
    case_number: str | None = Field(None, max_length=MAX_CASE_NUMBER_LENGTH,
                                    description="Aktenzeichen oder BG-Nummer / case number")
    service: str | None = Field(None, max_length=80, pattern=SLUG_PATTERN,
                                description="Kurzname der Leistung / service slug")


class ResponsibilityOut(Schema):
    authority: str
    team: TeamContactOut


class ServiceQuery(Schema):
    q: str | None = Field(None, max_length=queries.MAX_QUERY_LENGTH,
                          description="Suchbegriff / search term")


# --- converters --------------------------------------------------------------------------------
def _address(location: Location) -> dict:
    return {"street": location.street, "postcode": location.postcode, "city": location.city}


def _location(request: HttpRequest, location: Location, opening: Reachability) -> dict:
    return {
        "slug": location.slug,
        "name": location.name,
        "authority": location.authority.name,
        "address": _address(location),
        "url": request.build_absolute_uri(location.get_absolute_url()),
        "latitude": float(location.latitude) if location.latitude is not None else None,
        "longitude": float(location.longitude) if location.longitude is not None else None,
        "visit_mode": location.visit_mode,
        "visit_mode_label": queries.visit_mode_label(location.visit_mode),
        "opening": reach_out(opening),
    }


def _service(request: HttpRequest, service: Service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "authority": service.authority.name,
        "synonyms": [s.strip() for s in service.synonyms.split(",") if s.strip()],
        "online_bookable": service.online_bookable,
        "duration_minutes": service.duration_minutes,
        "fee": service.fee,
        "url": request.build_absolute_uri(service.get_absolute_url()),
    }


def _team_contact(request: HttpRequest, team: Team) -> dict:
    contact = queries.team_contact(team)
    people = []
    for entry in visible_people(None, team=team):
        people.append({
            "name": entry.name,
            "job_title": entry.job_title,
            "phone": entry.phone or None,
            "email": entry.email or None,
            "absent": entry.absent,
            "note": _("derzeit abwesend – bitte wenden Sie sich an das Teamtelefon.") if entry.absent
            else None,
        })
    return {
        "slug": team.slug,
        "name": team.name,
        "authority": team.authority.name,
        "location": team.location.name,
        "location_url": request.build_absolute_uri(team.location.get_absolute_url()),
        "phone": contact.phone_number or None,
        "email": team.email or None,
        "phone_hours": reach_out(contact.phone),
        "callback_hours": reach_out(contact.callback),
        "people": people,
    }


def _public_or_404(queryset, slug: str, message: str):
    """The public object with ``slug`` (slug checked before any query), else a German 404."""
    obj = queryset.filter(slug=slug).first() if _slug_ok(slug) else None
    if obj is None:
        raise HttpError(404, message)
    return obj


def _location_or_404(slug: str) -> Location:
    return _public_or_404(queries.public_locations(), slug, _("Diesen Standort gibt es nicht."))


# --- operations --------------------------------------------------------------------------------
@router.get(
    "locations", response={200: list[LocationOut], 422: ValidationErrorOut},
    operation_id="directory_locations", summary="Standorte / Locations",
    description="Alle öffentlichen Standorte mit Adresse und Öffnungsstatus.\n\n"
                "All public locations with address and current opening status.",
)
def list_locations(request: HttpRequest):
    now = timezone.now()
    return [_location(request, item.location, item.opening)
            for item in queries.location_statuses(at=now)]


@router.get(
    "locations/{slug}", response={200: LocationDetailOut, **ERRORS},
    operation_id="directory_location", summary="Standort / Location",
    description="Ein Standort mit Kontaktwegen, Teams, Leistungen, Terminhinweisen und Notfallregel. "
                "404, wenn es den Standort nicht gibt.\n\n"
                "One location with channels, teams, services, booking notes and the emergency rule. "
                "404 if the location does not exist.",
)
def get_location(request: HttpRequest, slug: str):
    location = _location_or_404(slug)
    now = timezone.now()
    detail = queries.location_detail(location, at=now)
    data = _location(request, location, detail.opening)
    data.update({
        "channels": {
            "phone": location.phone if location.offers_phone and location.phone else None,
            "email": location.email if location.offers_email and location.email else None,
            "contact_form_url": location.contact_form_url if location.offers_contact_form
            and location.contact_form_url else None,
            "online_callback": location.offers_online_callback,
            "online_booking": any(key == "online_booking" for key, _label, _value in detail.channels),
        },
        "how_to_book": location.how_to_book,
        "emergency_rule": location.emergency_rule,
        "accessibility": location.accessibility,
        "directions": location.directions,
        "teams": [{"slug": c.team.slug, "name": c.team.name, "phone": c.phone_number or None,
                   "email": c.team.email or None, "phone_hours": reach_out(c.phone)}
                  for c in detail.teams],
        "services": [{"slug": s.slug, "name": s.name,
                      "url": request.build_absolute_uri(s.get_absolute_url())} for s in detail.services],
    })
    return data


@router.get(
    "locations/{slug}/reachability", response={200: LocationReachabilityOut, **ERRORS},
    operation_id="directory_location_reachability", summary="Erreichbarkeit / Reachability",
    description="Jetzt geöffnet? Öffnungs-, Telefon-, Rückruf- und Vorsprachezeiten: laufendes und "
                "nächstes Zeitfenster, Statustext und Wochenübersicht (Europe/Berlin).\n\n"
                "Open now? Opening, phone, callback and walk-in hours: current and next window, "
                "status text and weekly summary (Europe/Berlin).",
)
def location_reachability(request: HttpRequest, slug: str):
    location = _location_or_404(slug)
    now = timezone.now()
    reach = hours.reachability_all(location, now)
    return {
        "location": location.slug,
        "at": now,
        **{kind: reach_out(reach[kind]) for kind in HoursKind.values},
    }


@router.get(
    "services", response={200: list[ServiceOut], 422: ValidationErrorOut},
    operation_id="directory_services", summary="Leistungen / Services",
    description="Öffentliche Leistungen; mit `q` gesucht nach Name und Suchbegriffen (ohne "
                "Groß-/Kleinschreibung, Umlaute auch als ae/oe/ue). 422 bei zu langem Suchbegriff.\n\n"
                "Public services; with `q` searched by name and synonyms (case-insensitive, umlauts "
                "also as ae/oe/ue). 422 if the search term is too long.",
)
def list_services(request: HttpRequest, filters: Query[ServiceQuery]):
    query = (filters.q or "").strip()
    services = queries.search_services(query) if query else list(queries.public_services())
    return [_service(request, s) for s in services]


@router.get(
    "services/{slug}", response={200: ServiceDetailOut, **ERRORS},
    operation_id="directory_service", summary="Leistung / Service",
    description="Eine Leistung mit Beschreibung, Unterlagen und allen Standorten samt Öffnungsstatus "
                "und nächster Telefonzeit. 404, wenn es die Leistung nicht gibt.\n\n"
                "One service with description, documents to bring and every location with opening "
                "status and next phone window. 404 if the service does not exist.",
)
def get_service(request: HttpRequest, slug: str):
    service = _public_or_404(queries.public_services(), slug, _("Diese Leistung gibt es nicht."))
    data = _service(request, service)
    data["description"] = service.description
    data["what_to_bring"] = service.bring_list
    data["locations"] = [
        {
            "slug": p.location.slug,
            "name": p.location.name,
            "address": _address(p.location),
            "url": request.build_absolute_uri(p.location.get_absolute_url()),
            "opening": reach_out(p.opening),
            "phone_number": p.phone.number or None,
            "phone": reach_out(p.phone.reach),
            "online_booking": p.online_booking,
            "visit_mode": p.visit_mode,
            "visit_mode_label": p.visit_mode_label,
            "how_to_book": p.location.how_to_book,
            "emergency_rule": p.location.emergency_rule,
        }
        for p in queries.service_locations(service)
    ]
    return data


@router.get(
    "teams/{slug}/contact", response={200: TeamContactOut, **ERRORS},
    operation_id="directory_team_contact", summary="Teamkontakt / Team contact",
    description="Teamtelefon, E-Mail und Telefonzeiten; Personen nur mit öffentlicher Freigabe, "
                "abwesende Personen ohne Durchwahl. 404, wenn es das Team nicht gibt.\n\n"
                "Team line, e-mail and phone hours; people only with public consent, absent people "
                "without direct data. 404 if the team does not exist.",
)
def team_contact(request: HttpRequest, slug: str):
    team = _public_or_404(queries.public_teams(), slug, _("Dieses Team gibt es nicht."))
    return _team_contact(request, team)


@router.get(
    "responsibility", response={200: ResponsibilityOut, **ERRORS},
    operation_id="directory_responsibility", summary="Zuständigkeit / Responsibility",
    description="Welches Team ist zuständig? Nach Nachname (Buchstabenbereich) und/oder Aktenzeichen, "
                "optional für eine Leistung. 404 bei unbekannter Behörde/Leistung oder ohne Treffer "
                "(mit Hinweis auf die zentrale Rufnummer), 422 ohne Nachname und Aktenzeichen.\n\n"
                "Which team is responsible? By surname (letter range) and/or case number, optionally "
                "for one service. 404 for an unknown authority/service or no match (pointing to the "
                "central line), 422 without surname and case number.",
)
def responsibility(request: HttpRequest, filters: Query[ResponsibilityQuery]):
    if not (filters.surname or "").strip() and not (filters.case_number or "").strip():
        raise HttpError(422, _("Bitte geben Sie einen Nachnamen oder ein Aktenzeichen an."))
    authority = Authority.objects.filter(slug=filters.authority).first()
    if authority is None:
        raise HttpError(404, _("Diese Behörde gibt es nicht."))
    service = None
    if filters.service:
        service = queries.public_services().filter(slug=filters.service, authority=authority).first()
        if service is None:
            raise HttpError(404, _("Diese Leistung gibt es bei dieser Behörde nicht."))
    rule = find_responsible_team(authority, surname=filters.surname, case_number=filters.case_number,
                                 service=service)
    if rule is None or not rule.team.is_public:
        central = authority.phone or authority.email
        message = _("Kein zuständiges Team gefunden.")
        if central:
            message = _("Kein zuständiges Team gefunden. Bitte wenden Sie sich an %(contact)s.") % {
                "contact": central}
        raise HttpError(404, message)
    return {"authority": authority.name, "team": _team_contact(request, rule.team)}

