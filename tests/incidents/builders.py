"""Incident-register test data on top of ``tests.factories.build_org`` (real rows, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from buergerkontakt.core.models import Floor, Role, Room, User
from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import AccessGrant, Entry, IncidentType, Measure, Report
from tests.factories import Org, build_org, make_user

BERLIN = ZoneInfo("Europe/Berlin")
NAME = "Jürgen Müller-Weiß"
BIRTH = date(1980, 2, 29)
CASE = "123A456789"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


NOW = at(2026, 6, 8, 10)


@dataclass
class Register:
    org: Org
    keeper: User
    keeper2: User
    other_keeper: User  # register keeper of another authority
    room: Room

    def users(self) -> dict[str, User]:
        return {**self.org.users, "register_keeper2": self.keeper2, "other_keeper": self.other_keeper}


def build_register(org: Org | None = None) -> Register:
    org = org or build_org()
    org.users["teamlead"].email = "lead@example.org"
    org.users["teamlead"].save()
    keeper = org.users["register_keeper"]
    keeper.email = "zentrale1@example.org"
    keeper.save()
    keeper2 = make_user(
        "register_keeper2", org.authority, Role.REGISTER_KEEPER, email="zentrale2@example.org"
    )
    other_keeper = make_user("other_keeper", org.other_authority, Role.REGISTER_KEEPER)
    floor = Floor.objects.create(location=org.second_location, name="EG", level=0)
    room = Room.objects.create(floor=floor, number="0.01")
    return Register(org, keeper, keeper2, other_keeper, room)


def report(reg: Register, *, by: User | None = None, level: int = 2, now: datetime = NOW, **fields) -> Report:
    values = {
        "location": reg.org.location,
        "room": reg.org.room,
        "occurred_at": now.replace(hour=9),
        "level": level,
        "types": [IncidentType.THREAT],
        "narrative": "Der Kunde drohte, wiederzukommen.",
        "person_name": NAME,
        "person_birth_date": BIRTH,
        "person_case_number": CASE,
        "criminal_complaint": True,
        "complaint_file_number": "StA 7 Js 1234/26",
        "now": now,
    }
    values.update(fields)
    return services.submit_report(by or reg.org.users["caseworker"], **values)


def entry(reg: Register, *, approve: bool = True, now: datetime = NOW, **fields) -> Entry:
    values = {
        "authority": reg.org.authority,
        "name": NAME,
        "birth_date": BIRTH,
        "case_number": CASE,
        "level": 2,
        "complaint_file_number": "StA 7 Js 1234/26",
        "reason": "Bedrohung am 08.06.2026, Anzeige erstattet.",
        "measures": [Measure.TWO_PERSONS, Measure.SECURITY],
        "now": now,
    }
    values.update(fields)
    created = services.create_entry(reg.keeper, **values)
    if approve:
        created = services.approve_entry(created, reg.keeper2, now=now)
    return created


def grant(
    reg: Register,
    user: User,
    *,
    until: date = date(2026, 12, 31),
    now: datetime = NOW,
    by: User | None = None,
) -> AccessGrant:
    requested = services.request_access(user, reason="Gespräche mit Kundschaft", until=until, now=now)
    return services.decide_access(requested, by or reg.org.users["admin"], approve=True, now=now)
