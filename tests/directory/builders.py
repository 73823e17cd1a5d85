"""Directory test data on top of ``tests.factories.build_org`` (real rows, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from django.utils import timezone

from buergerkontakt.core.models import Location, Team, User
from buergerkontakt.directory.models import (
    HoursKind,
    PublicationConsent,
    ResponsibilityRule,
    SecurityException,
    Service,
)
from tests.factories import Org, build_org, make_user, weekly


@dataclass
class Directory:
    org: Org
    perso: Service
    buergergeld: Service
    hidden_service: Service
    people: dict[str, User] = field(default_factory=dict)


def consent(person: User, level: int, recorded_by: User, **fields) -> PublicationConsent:
    return PublicationConsent.objects.create(staff=person, level=level, recorded_by=recorded_by, **fields)


def revoke(consent_row: PublicationConsent, by: User) -> None:
    consent_row.revoked_at = timezone.now()
    consent_row.revoked_by = by
    consent_row.save()


def hide(person: User, by: User) -> SecurityException:
    return SecurityException.objects.create(staff=person, reason="Bedrohungslage", created_by=by)


def staff_person(username: str, org: Org, team: Team, *, last_name: str, phone: str = "",
                 email: str = "", **fields) -> User:
    person = make_user(username, org.authority, None, last_name=last_name, phone=phone, email=email,
                       **fields)
    person.teams.add(team)
    return person


def rule(org: Org, team: Team, priority: int = 100, **fields) -> ResponsibilityRule:
    return ResponsibilityRule.objects.create(authority=org.authority, team=team, priority=priority,
                                             **fields)


def build_directory(org: Org | None = None) -> Directory:
    """build_org() plus services, channels, phone/walk-in hours and rich location texts."""
    org = org or build_org()
    location: Location = org.location
    location.phone = "069 1234-0"
    location.email = "mitte@jobcenter-test.invalid"
    location.offers_online_booking = True
    location.how_to_book = "Termine vereinbaren Sie online oder telefonisch."
    location.emergency_rule = "Bei akuter Notlage (kein Geld, drohende Räumung) kommen Sie ohne Termin."
    location.accessibility = "Stufenloser Zugang, Aufzug, barrierefreies WC."
    location.directions = "Straßenbahn 11, Haltestelle Rathaus."
    location.latitude = "50.110924"
    location.longitude = "8.682127"
    location.save()
    org.team.email = "leistung1@jobcenter-test.invalid"
    org.team.save()
    org.authority.phone = "069 1234-5"
    org.authority.email = "info@jobcenter-test.invalid"
    org.authority.save()
    weekly(location, HoursKind.PHONE, range(0, 5), time(8), time(12))
    weekly(location, HoursKind.WALK_IN, range(0, 2), time(8), time(10))
    perso = Service.objects.create(
        authority=org.other_authority, name="Personalausweis beantragen", slug="personalausweis",
        synonyms="Perso, Ausweis, Identitätskarte", description="Der Personalausweis gilt 10 Jahre.",
        what_to_bring="Altes Ausweisdokument\n- Biometrisches Passfoto\n", fee="37,00 Euro",
        duration_minutes=20, online_bookable=True,
    )
    perso.locations.add(org.other_location)
    buergergeld = Service.objects.create(
        authority=org.authority, name="Bürgergeld beantragen", slug="buergergeld",
        synonyms="Grundsicherung, ALG II, Hartz IV", description="Leistungen zur Sicherung des "
        "Lebensunterhalts.", what_to_bring="Personalausweis\nKontoauszüge der letzten 3 Monate",
        duration_minutes=45, online_bookable=True,
    )
    buergergeld.locations.add(location, org.second_location)
    buergergeld.teams.add(org.team)
    hidden_service = Service.objects.create(authority=org.authority, name="Interne Leistung",
                                            slug="intern", is_public=False)
    hidden_service.locations.add(location)
    # Bürgergeld is booked online at Mitte (a schedule there; Nord has none).
    from buergerkontakt.appointments.models import Schedule, ServiceGroup

    group = ServiceGroup.objects.create(authority=org.authority, name="Leistung", slug="leistung")
    group.services.add(buergergeld)
    Schedule.objects.create(group=group, location=location, weekday=0, start=time(8), end=time(12),
                            counters=1, online_quota=1)
    return Directory(org, perso, buergergeld, hidden_service)


def today() -> date:
    return timezone.localdate()
