"""Reads shared by the directory pages and the API.

Everything here returns public data only (``is_public`` services, locations and teams); the
reachability of each place comes from :mod:`buergerkontakt.directory.hours`, so a page and the API
always say the same.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.calendar import public_holidays
from buergerkontakt.core.models import Authority, Location, Team, VisitMode

from . import hours
from .hours import Reachability
from .models import CalendarException, HoursKind, HoursRule, Service
from .responsibility import fold_letters

MAX_QUERY_LENGTH = 100
SPECIAL_DAYS_AHEAD = 90


# --- search ------------------------------------------------------------------------------------
def fold_search(text: str) -> str:
    """Fold text for tolerant matching: case, umlauts written either way, accents.

    "Bürgergeld", "Buergergeld" and "Burgergeld" all become "burgergeld".
    """
    folded = fold_letters(text)
    folded = folded.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return re.sub(r"[^\w]+", " ", folded).strip()


def public_services() -> QuerySet[Service]:
    return Service.objects.filter(is_public=True).select_related("authority").order_by("name", "pk")


def _haystack(service: Service) -> tuple[str, str]:
    return fold_search(service.name), fold_search(service.synonyms.replace(",", " "))


def search_services(query: str) -> list[Service]:
    """Public services whose name or synonyms contain every word of ``query``, best first."""
    words = fold_search(query[:MAX_QUERY_LENGTH]).split()
    if not words:
        return []
    ranked: list[tuple[int, str, Service]] = []
    for service in public_services():
        name, synonyms = _haystack(service)
        text = f"{name} {synonyms}"
        if not all(word in text for word in words):
            continue
        if name.startswith(words[0]):
            rank = 0
        elif all(word in name for word in words):
            rank = 1
        else:
            rank = 2
        ranked.append((rank, service.name.casefold(), service))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [service for _rank, _name, service in ranked]


def search_suggestions(query: str, limit: int = 5) -> list[Service]:
    """Services whose words are close to the query's (for typos like "Persnalausweis")."""
    words = fold_search(query[:MAX_QUERY_LENGTH]).split()
    if not words:
        return []
    scored: list[tuple[float, Service]] = []
    for service in public_services():
        name, synonyms = _haystack(service)
        vocabulary = set(f"{name} {synonyms}".split())
        best = 0.0
        for word in words:
            for candidate in vocabulary:
                best = max(best, difflib.SequenceMatcher(None, word, candidate).ratio())
                if len(word) >= 3 and candidate.startswith(word[:3]):
                    best = max(best, 0.7)
        if best >= 0.7:
            scored.append((best, service))
    scored.sort(key=lambda item: (-item[0], item[1].name))
    return [service for _score, service in scored[:limit]]


def popular_services(limit: int = 6) -> list[Service]:
    """Services offered at the most public locations (a stand-in until usage is counted)."""
    return list(
        public_services()
        .annotate(n_locations=Count("locations", filter=Q(locations__is_public=True)))
        .order_by("-online_bookable", "-n_locations", "name")[:limit]
    )


def services_by_authority() -> list[tuple[Authority, list[Service]]]:
    groups: dict[int, tuple[Authority, list[Service]]] = {}
    for service in public_services().order_by("authority__name", "name"):
        groups.setdefault(service.authority_id, (service.authority, []))[1].append(service)
    return list(groups.values())


def get_public_service(slug: str) -> Service:
    service = public_services().filter(slug=slug).first()
    if service is None:
        raise Http404(_("Diese Leistung gibt es nicht."))
    return service


# --- locations ---------------------------------------------------------------------------------
def public_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_public=True).select_related("authority")


def get_public_location(slug: str) -> Location:
    location = public_locations().filter(slug=slug).first()
    if location is None:
        raise Http404(_("Diesen Standort gibt es nicht."))
    return location


def public_teams() -> QuerySet[Team]:
    return Team.objects.filter(is_public=True, location__is_public=True).select_related(
        "authority", "location")


def get_public_team(slug: str) -> Team:
    team = public_teams().filter(slug=slug).first()
    if team is None:
        raise Http404(_("Dieses Team gibt es nicht."))
    return team


def status_class(reach: Reachability) -> str:
    if not reach.has_hours:
        return "status-none"
    return "status-open" if reach.open_now else "status-closed"


@dataclass
class PhoneWindow:
    """The phone line to call and when it is next staffed."""

    number: str
    owner_name: str
    reach: Reachability

    @property
    def status_class(self) -> str:
        return status_class(self.reach)


def _no_online_locations(service: Service | None = None) -> set[int]:
    return set()


# Which locations take online bookings (for one service, or any) is the appointments app's knowledge.
# The directory sits below it (docs/architecture.md), so the appointments app hands the answer in
# when it loads (appointments/apps.py) instead of the directory importing it.
_online_location_ids = _no_online_locations


def set_online_locations_source(source) -> None:
    global _online_location_ids
    _online_location_ids = source


def _no_duration_problems(service_id: int | None, duration_minutes: int, location_ids) -> list[str]:
    return []


# Whether a service's duration fits the capacity windows of its service groups is the appointments
# app's knowledge too (appointments.configuration.service_duration_problems, handed in when it loads).
_duration_problems = _no_duration_problems


def set_duration_check(check) -> None:
    global _duration_problems
    _duration_problems = check


def service_duration_problems(service_id: int | None, duration_minutes: int, location_ids) -> list[str]:
    """German messages when an online-bookable service of this duration, offered at these locations,
    could never be booked (longer than every capacity window of its group); empty when it fits."""
    return _duration_problems(service_id, duration_minutes, location_ids)


def _takes_online_bookings(owner: Location | Team) -> bool:
    """The flag alone promises nothing: a schedule of an online-bookable service must exist there."""
    location_id = owner.pk if isinstance(owner, Location) else owner.location_id
    return location_id in _online_location_ids()


def channels(owner: Location | Team) -> list[tuple[str, str, str]]:
    """The ways in a location or team offers: (key, label, value or link)."""
    result = []
    if owner.offers_phone and owner.phone:
        result.append(("phone", _("Telefon"), owner.phone))
    if owner.offers_email and owner.email:
        result.append(("email", _("E-Mail"), owner.email))
    if owner.offers_contact_form and owner.contact_form_url:
        result.append(("contact_form", _("Kontaktformular"), owner.contact_form_url))
    # The online channels are links to this platform's own pages.
    if owner.offers_online_callback:
        target = (reverse("callbacks:request", args=[owner.slug]) if isinstance(owner, Team)
                  else reverse("callbacks:start"))
        result.append(("online_callback", _("Rückruf online anfordern"), target))
    if owner.offers_online_booking and _takes_online_bookings(owner):
        result.append(("online_booking", _("Termin online buchen"), reverse("appointments:start")))
    return result


def phone_window(location: Location, teams: list[Team], at: datetime | None = None) -> PhoneWindow:
    """The team's phone hours if a responsible team sits here, else the location's phone hours.

    With several teams, the one reachable now or soonest wins.
    """
    at = at or timezone.now()
    candidates: list[PhoneWindow] = []
    for team in teams:
        reach = hours.reachability(team, HoursKind.PHONE, at)
        if reach.has_hours:
            candidates.append(PhoneWindow(team.phone or location.phone, team.name, reach))
    if not candidates:
        reach = hours.reachability(location, HoursKind.PHONE, at)
        return PhoneWindow(location.phone, location.name, reach)

    def key(window: PhoneWindow) -> tuple[int, datetime]:
        if window.reach.open_now:
            return (0, at)
        nxt = window.reach.next_window
        return (1, nxt.start) if nxt else (2, at)

    return min(candidates, key=key)


@dataclass
class LocationStatus:
    """A location with its opening status (lists, cards)."""

    location: Location
    opening: Reachability

    @property
    def status_class(self) -> str:
        return status_class(self.opening)


def location_statuses(locations: QuerySet[Location] | list[Location] | None = None,
                      at: datetime | None = None) -> list[LocationStatus]:
    at = at or timezone.now()
    locations = public_locations() if locations is None else locations
    return [LocationStatus(loc, hours.reachability(loc, HoursKind.OPENING, at)) for loc in locations]


def visit_mode_label(value: str) -> str:
    return str(VisitMode(value).label) if value in VisitMode.values else ""


@dataclass
class ServiceAtLocation:
    """Everything a citizen needs to reach one location about one service."""

    location: Location
    teams: list[Team]
    opening: Reachability
    phone: PhoneWindow
    online_booking: bool
    channels: list[tuple[str, str, str]]
    visit_mode: str

    @property
    def status_class(self) -> str:
        return status_class(self.opening)

    @property
    def visit_mode_label(self) -> str:
        return visit_mode_label(self.visit_mode)


def service_locations(service: Service, at: datetime | None = None) -> list[ServiceAtLocation]:
    at = at or timezone.now()
    teams = list(service.teams.filter(is_public=True).select_related("location"))
    online = _online_location_ids(service) if service.online_bookable and service.is_public else set()
    result = []
    for location in service.locations.filter(is_public=True).select_related("authority"):
        here = [team for team in teams if team.location_id == location.pk]
        visit_mode = here[0].effective_visit_mode if here else location.visit_mode
        location_channels = channels(location)
        for team in here:
            for channel in channels(team):
                if channel[0] not in {c[0] for c in location_channels}:
                    location_channels.append(channel)
        result.append(ServiceAtLocation(
            location=location,
            teams=here,
            opening=hours.reachability(location, HoursKind.OPENING, at),
            phone=phone_window(location, here, at),
            online_booking=location.pk in online,
            channels=location_channels,
            visit_mode=visit_mode,
        ))
    return result


@dataclass
class TeamContact:
    team: Team
    phone: Reachability
    callback: Reachability
    channels: list[tuple[str, str, str]]

    @property
    def phone_number(self) -> str:
        return self.team.phone or self.team.location.phone

    @property
    def status_class(self) -> str:
        return status_class(self.phone)


def team_contact(team: Team, at: datetime | None = None) -> TeamContact:
    at = at or timezone.now()
    return TeamContact(
        team=team,
        phone=hours.reachability(team, HoursKind.PHONE, at),
        callback=hours.reachability(team, HoursKind.CALLBACK, at),
        channels=channels(team),
    )


@dataclass
class DayException:
    date: date
    reason: str
    closed: bool
    hours: str = ""
    applies_to: str = ""  # e.g. "Vorsprache ohne Termin"; empty when it applies to all hours


def _kinds_label(exc: CalendarException) -> str:
    return ", ".join(str(HoursKind(k).label) for k in exc.kind_list if k in HoursKind.values)


def exceptions_between(location: Location, first: date, last: date,
                       kind: str | None = HoursKind.OPENING) -> list[CalendarException]:
    """Calendar exceptions of the location and its authority (of one kind of hours, or all)."""
    return [
        exc for exc in CalendarException.objects.filter(
            Q(location=location) | Q(authority_id=location.authority_id),
            date__gte=first, date__lte=last,
        ).order_by("date", "start", "pk")
        if kind is None or exc.applies_to(kind)
    ]


def day_exceptions(location: Location, day: date) -> list[DayException]:
    """Closures, special hours and public holidays on ``day`` (any kind of hours)."""
    result = []
    for exc in CalendarException.objects.filter(
            Q(location=location) | Q(authority_id=location.authority_id), date=day).order_by("start", "pk"):
        span = "" if exc.closed else f"{exc.start:%H:%M}–{exc.end:%H:%M}"
        result.append(DayException(exc.date, exc.reason, exc.closed, span, _kinds_label(exc)))
    holiday = public_holidays(location.holiday_region).get(day)
    if holiday and not any(e.closed for e in result):
        result.append(DayException(day, _("Feiertag: %(name)s") % {"name": holiday}, True))
    return result


def upcoming_exceptions(location: Location, today: date, days: int = SPECIAL_DAYS_AHEAD
                        ) -> list[DayException]:
    """Special days after today: closures and extra hours (of any kind of hours)."""
    result = []
    for exc in exceptions_between(location, today + timedelta(days=1), today + timedelta(days=days),
                                  kind=None):
        span = "" if exc.closed else f"{exc.start:%H:%M}–{exc.end:%H:%M}"
        result.append(DayException(exc.date, exc.reason, exc.closed, span, _kinds_label(exc)))
    return result


@dataclass
class LocationDetail:
    location: Location
    reach: dict[str, Reachability]
    today_exceptions: list[DayException]
    upcoming: list[DayException]
    channels: list[tuple[str, str, str]]
    teams: list[TeamContact]
    services: list[Service]
    json_ld: str = ""
    hours_sections: list[Reachability] = field(default_factory=list)

    @property
    def opening(self) -> Reachability:
        return self.reach[HoursKind.OPENING]

    @property
    def status_class(self) -> str:
        return status_class(self.opening)

    @property
    def visit_mode_label(self) -> str:
        return visit_mode_label(self.location.visit_mode)


def location_detail(location: Location, at: datetime | None = None, base_url: str = ""
                    ) -> LocationDetail:
    at = at or timezone.now()
    today = timezone.localtime(at).date()
    reach = hours.reachability_all(location, at)
    teams = [team_contact(team, at) for team in
             Team.objects.filter(location=location, is_public=True).select_related("location")]
    services = list(public_services().filter(locations=location))
    detail = LocationDetail(
        location=location,
        reach=reach,
        today_exceptions=day_exceptions(location, today),
        upcoming=upcoming_exceptions(location, today),
        channels=channels(location),
        teams=teams,
        services=services,
        hours_sections=[r for r in reach.values() if r.has_hours],
    )
    detail.json_ld = json_ld(government_office(location, today, base_url))
    return detail


# --- schema.org --------------------------------------------------------------------------------
SCHEMA_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_LD_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def government_office(location: Location, today: date, base_url: str = "") -> dict:
    """A schema.org ``GovernmentOffice`` for the location (opening hours and special days)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "GovernmentOffice",
        "name": location.name,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": location.street,
            "postalCode": location.postcode,
            "addressLocality": location.city,
            "addressCountry": "DE",
        },
        "parentOrganization": {"@type": "GovernmentOrganization", "name": location.authority.name},
    }
    if base_url:
        data["url"] = base_url + location.get_absolute_url()
    if location.phone:
        data["telephone"] = location.phone
    if location.email:
        data["email"] = location.email
    if location.latitude is not None and location.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": float(location.latitude),
                       "longitude": float(location.longitude)}
    rules = [r for r in HoursRule.objects.filter(location=location, kind=HoursKind.OPENING)
             .order_by("weekday", "start")
             if (r.valid_from is None or r.valid_from <= today)
             and (r.valid_until is None or r.valid_until >= today)]
    data["openingHoursSpecification"] = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[r.weekday]}",
            "opens": f"{r.start:%H:%M}",
            "closes": f"{r.end:%H:%M}",
        }
        for r in rules
    ]
    special = []
    last = today + timedelta(days=SPECIAL_DAYS_AHEAD)
    exception_days = set()
    for exc in exceptions_between(location, today, last):
        exception_days.add(exc.date)
        special.append({
            "@type": "OpeningHoursSpecification",
            "name": exc.reason,
            "opens": "00:00" if exc.closed else f"{exc.start:%H:%M}",
            "closes": "00:00" if exc.closed else f"{exc.end:%H:%M}",
            "validFrom": exc.date.isoformat(),
            "validThrough": exc.date.isoformat(),
        })
    open_weekdays = {r.weekday for r in rules}
    holidays = public_holidays(location.holiday_region)
    day = today
    while day <= last:
        name = holidays.get(day)
        if name and day.weekday() in open_weekdays and day not in exception_days:
            special.append({
                "@type": "OpeningHoursSpecification",
                "name": str(name),
                "opens": "00:00",
                "closes": "00:00",
                "validFrom": day.isoformat(),
                "validThrough": day.isoformat(),
            })
        day += timedelta(days=1)
    special.sort(key=lambda spec: spec["validFrom"])
    if special:
        data["specialOpeningHoursSpecification"] = special
    return data


def json_ld(data: dict) -> str:
    """JSON for a ``<script type="application/ld+json">`` block; safe against ``</script>``."""
    return json.dumps(data, ensure_ascii=False, indent=None).translate(_LD_ESCAPES)
