"""Plain builders for test data (no mocks: real rows in the test database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from buergerkontakt.core.models import (
    Authority,
    Floor,
    Location,
    Role,
    RoleAssignment,
    Room,
    Team,
    User,
)
from buergerkontakt.directory.models import HoursKind, HoursRule

PASSWORD = "Test-Passwort-2026"


def make_user(username: str, authority: Authority | None, role: str | None = None, *,
              scope: Location | Team | None = None, **fields) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, authority=authority,
                                    first_name=fields.pop("first_name", username.title()),
                                    last_name=fields.pop("last_name", "Test"), **fields)
    if user.workstation_room_id:  # staff built with a room work there (their current workplace)
        from buergerkontakt.alarms.workplace import Workplace, set_current_workplace

        set_current_workplace(user, room=user.workstation_room, source=Workplace.Source.ADMIN)
    if role:
        RoleAssignment.objects.create(
            user=user, role=role, authority=authority,
            location=scope if isinstance(scope, Location) else None,
            team=scope if isinstance(scope, Team) else None,
        )
    return user


def weekly(owner, kind: str, days: range, start: time, end: time) -> None:
    for day in days:
        HoursRule.objects.create(
            kind=kind, weekday=day, start=start, end=end,
            location=owner if isinstance(owner, Location) else None,
            team=owner if isinstance(owner, Team) else None,
        )


@dataclass
class Org:
    authority: Authority
    other_authority: Authority
    location: Location
    second_location: Location
    other_location: Location
    team: Team
    second_team: Team
    other_team: Team
    room: Room
    users: dict[str, User] = field(default_factory=dict)


def build_org() -> Org:
    authority = Authority.objects.create(name="Jobcenter Teststadt", slug="jc-test",
                                         kind=Authority.Kind.JOBCENTER, bundesland="HE")
    other = Authority.objects.create(name="Bürgerbüro Anderswo", slug="bb-anderswo",
                                     kind=Authority.Kind.BUERGERBUERO, bundesland="BY")
    loc = Location.objects.create(authority=authority, name="Jobcenter Mitte", slug="jc-mitte",
                                  street="Hauptstraße 1", postcode="63065", city="Teststadt",
                                  offers_online_booking=True)
    loc2 = Location.objects.create(authority=authority, name="Jobcenter Nord", slug="jc-nord",
                                   street="Nordring 5", postcode="63067", city="Teststadt",
                                   offers_online_booking=True)
    other_loc = Location.objects.create(authority=other, name="Bürgerbüro Anderswo",
                                        slug="bb-anderswo-zentrum", street="Markt 1",
                                        postcode="80331", city="Anderswo",
                                        offers_online_booking=True)
    floor = Floor.objects.create(location=loc, name="1. OG", level=1)
    room = Room.objects.create(floor=floor, number="1.10")
    team = Team.objects.create(authority=authority, location=loc, name="Leistung 1", slug="leistung-1",
                               phone="069 1234-100")
    team2 = Team.objects.create(authority=authority, location=loc2, name="Leistung 2",
                                slug="leistung-2", phone="069 1234-200")
    other_team = Team.objects.create(authority=other, location=other_loc, name="Meldewesen",
                                     slug="meldewesen", phone="089 555-1")
    for owner in (loc, loc2, other_loc):
        weekly(owner, HoursKind.OPENING, range(0, 4), time(7, 30), time(16, 30))
        weekly(owner, HoursKind.OPENING, range(4, 5), time(7, 30), time(14, 0))
    weekly(team, HoursKind.PHONE, range(0, 5), time(10), time(11))
    org = Org(authority, other, loc, loc2, other_loc, team, team2, other_team, room)
    org.users = {
        "agent": make_user("agent", authority, Role.AGENT),
        "caseworker": make_user("caseworker", authority, Role.CASEWORKER, scope=team,
                                workstation_room=room),
        "teamlead": make_user("teamlead", authority, Role.TEAMLEAD, scope=team),
        "security": make_user("security", authority, Role.SECURITY, scope=loc),
        "register_keeper": make_user("register_keeper", authority, Role.REGISTER_KEEPER),
        "dpo": make_user("dpo", authority, Role.DPO),
        "admin": make_user("admin", authority, Role.ADMIN),
        "professional": make_user("professional", None, Role.PROFESSIONAL),
        "other_admin": make_user("other_admin", other, Role.ADMIN),
        "other_teamlead": make_user("other_teamlead", other, Role.TEAMLEAD, scope=other_team),
    }
    org.users["caseworker"].teams.add(team)
    org.users["teamlead"].teams.add(team)
    return org
