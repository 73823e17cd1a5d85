"""Callback test data on top of ``tests.factories.build_org`` (real rows, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from buergerkontakt.core.models import Role, User
from buergerkontakt.directory.models import HoursKind, ResponsibilityRule, Service
from tests.factories import Org, build_org, make_user, weekly

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


# Monday 8 June 2026, 10:00: a normal working day.
MONDAY_10 = at(2026, 6, 8, 10)


@dataclass
class Office:
    org: Org
    service: Service
    deputy: User  # deputy of org.users["caseworker"], same team
    second_worker: User  # case worker of the second team
    second_lead: User


def build_office(org: Org | None = None) -> Office:
    """Callback hours Mon–Fri 08:00–15:00 for both teams, Jobcenter-like rules:

    10 case numbers 12000–12499 → team 1;  20 case numbers 12500–12999 → team 2;
    50 service "Bildung und Teilhabe" → team 2;
    100 surnames A–K → team 1, case worker "caseworker";  110 L–Z → team 2 (pool).
    """
    org = org or build_org()
    for team in (org.team, org.second_team):
        weekly(team, HoursKind.CALLBACK, range(0, 5), time(8), time(15))
    caseworker = org.users["caseworker"]
    deputy = make_user(
        "deputy",
        org.authority,
        Role.CASEWORKER,
        scope=org.team,
        last_name="Vertreterin",
        email="deputy@example.org",
    )
    deputy.teams.add(org.team)
    caseworker.deputy = deputy
    caseworker.save(update_fields=["deputy"])
    second_worker = make_user("second_worker", org.authority, Role.CASEWORKER, scope=org.second_team)
    second_worker.teams.add(org.second_team)
    second_lead = make_user(
        "second_lead", org.authority, Role.TEAMLEAD, scope=org.second_team, email="lead2@example.org"
    )
    second_lead.teams.add(org.second_team)
    User.objects.filter(pk=org.users["teamlead"].pk).update(email="lead1@example.org")
    service = Service.objects.create(authority=org.authority, name="Bildung und Teilhabe", slug="but")
    rules = [
        (10, {"case_number_pattern": r"^12[0-4]\d{2}"}, org.team, None),
        (20, {"case_number_pattern": r"^12[5-9]\d{2}"}, org.second_team, None),
        (50, {"service": service}, org.second_team, None),
        (100, {"surname_from": "A", "surname_to": "K"}, org.team, caseworker),
        (110, {"surname_from": "L", "surname_to": "Z"}, org.second_team, None),
    ]
    for priority, criteria, team, person in rules:
        ResponsibilityRule.objects.create(
            authority=org.authority, priority=priority, team=team, caseworker=person, **criteria
        )
    return Office(org, service, deputy, second_worker, second_lead)
