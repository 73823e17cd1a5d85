"""Routing rules: letter ranges (umlauts, name particles), case-number patterns, services, the
responsible case worker, absence → deputy → team pool, and the agent's manual team choice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from buergerkontakt.callbacks.routing import route, surname_of
from buergerkontakt.core.models import User
from buergerkontakt.directory.models import ResponsibilityRule

from .builders import MONDAY_10, build_office

pytestmark = pytest.mark.django_db
DAY = MONDAY_10.date()


@pytest.fixture
def office():
    return build_office()


@pytest.mark.parametrize(
    "spoken, surname",
    [
        ("Erika Mustermann", "Mustermann"),
        ("Mustermann, Erika", "Mustermann"),
        ("Karl von Braun", "von Braun"),
        ("Ursula von der Leyen", "von der Leyen"),
        ("Jan van der Berg", "van der Berg"),
        ("von Braun", "von Braun"),
        ("Özdemir", "Özdemir"),
        ("Hans-Peter Müller-Lüdenscheidt", "Müller-Lüdenscheidt"),
        ("  Ärger  ", "Ärger"),
        ("", ""),
    ],
)
def test_surname_of_a_spoken_name(spoken, surname):
    assert surname_of(spoken) == surname


@pytest.mark.parametrize(
    "name, case_number, team_key, reason",
    [
        ("Erika Ärger", "", "team", "caseworker"),  # Ä sorts as A
        ("Karl von Braun", "", "team", "caseworker"),  # "von" is not sorted: B
        ("Ursula von der Leyen", "", "second_team", "pool"),  # L
        ("Ayşe Özdemir", "", "second_team", "pool"),  # Ö sorts as O
        ("Müller, Erika", "", "second_team", "pool"),
        ("Kzzz", "", "team", "caseworker"),  # the upper bound K is inclusive by prefix
        ("Zander", "12345", "team", "pool"),  # case-number rule first; Z has no person in team 1
        ("Adler", "12345", "team", "caseworker"),  # team by number, the person by the A–K rule
        ("Adler", "12777", "second_team", "pool"),
        ("Adler", " 123 45 ", "team", "caseworker"),  # spaces in the number are ignored
        ("Adler", "0012345", "team", "caseworker"),  # pattern anchored at the start: falls to A–K
    ],
)
def test_rules_route_to_team_and_person(office, name, case_number, team_key, reason):
    found = route(office.org.authority, name=name, case_number=case_number, on=DAY)
    assert found.team == getattr(office.org, team_key)
    assert found.reason == reason
    if reason == "caseworker":
        assert found.assignee == office.org.users["caseworker"]
    else:
        assert found.assignee is None


def test_case_number_rule_names_the_teams_person(office):
    """A case-number rule without a person goes to that team's pool even if the surname is A–K."""
    found = route(office.org.authority, name="Adler", case_number="12777", on=DAY)
    assert (found.team, found.assignee, found.rule.priority) == (office.org.second_team, None, 20)


def test_service_rule(office):
    found = route(office.org.authority, name="Adler", service=office.service, on=DAY)
    assert found.team == office.org.second_team and found.rule.service == office.service


@pytest.mark.parametrize(
    "absent_until, deputy_absent_until, deputy_active, expected, reason",
    [
        (None, None, True, "caseworker", "caseworker"),
        (DAY - timedelta(days=1), None, True, "caseworker", "caseworker"),  # absence is over
        (DAY, None, True, "deputy", "deputy"),  # absent until today inclusive
        (DAY + timedelta(days=14), None, True, "deputy", "deputy"),
        (DAY + timedelta(days=14), DAY + timedelta(days=2), True, None, "pool_absent"),
        (DAY + timedelta(days=14), None, False, None, "pool_absent"),  # deputy has left
    ],
)
def test_absence_goes_to_deputy_then_pool(
    office, absent_until, deputy_absent_until, deputy_active, expected, reason
):
    worker = office.org.users["caseworker"]
    User.objects.filter(pk=worker.pk).update(absent_until=absent_until)
    User.objects.filter(pk=office.deputy.pk).update(absent_until=deputy_absent_until, is_active=deputy_active)
    found = route(office.org.authority, name="Erika Ärger", on=DAY)
    assert found.team == office.org.team
    assert found.reason == reason
    people = {"caseworker": worker, "deputy": office.deputy, None: None}
    assert found.assignee == people[expected]
    if reason != "caseworker":
        assert found.absent == worker
        assert "abwesend" in str(found.note)


def test_without_deputy_the_pool_takes_over(office):
    worker = office.org.users["caseworker"]
    User.objects.filter(pk=worker.pk).update(absent_until=date(2030, 1, 1), deputy=None)
    found = route(office.org.authority, name="Adler", on=DAY)
    assert (found.team, found.assignee, found.reason) == (office.org.team, None, "pool_absent")


def test_inactive_caseworker_counts_as_absent(office):
    User.objects.filter(pk=office.org.users["caseworker"].pk).update(is_active=False)
    assert route(office.org.authority, name="Adler", on=DAY).assignee == office.deputy


def test_deputy_of_another_authority_never_gets_the_case(office):
    worker = office.org.users["caseworker"]
    foreign = office.org.users["other_teamlead"]
    User.objects.filter(pk=worker.pk).update(absent_until=date(2030, 1, 1), deputy=foreign)
    assert route(office.org.authority, name="Adler", on=DAY).assignee is None


def test_no_rule_matches(office):
    found = route(office.org.authority, name="", case_number="99999", on=DAY)
    assert found.team is None and found.reason == "none"
    assert route(office.org.other_authority, name="Adler", on=DAY).team is None


def test_team_chosen_by_hand_wins_and_uses_its_own_rules(office):
    found = route(office.org.authority, name="Zander", team=office.org.team, on=DAY)
    assert (found.team, found.reason) == (office.org.team, "chosen")
    found = route(office.org.authority, name="Adler", team=office.org.team, on=DAY)
    assert found.assignee == office.org.users["caseworker"]


def test_rule_order_is_data(office):
    """Moving a rule up in the admin changes the routing (rules are data, ordered)."""
    ResponsibilityRule.objects.filter(priority=100).update(priority=1)
    found = route(office.org.authority, name="Zander", case_number="12345", on=DAY)
    assert found.team == office.org.team and found.rule.priority == 10  # Z is not in A–K
    found = route(office.org.authority, name="Adler", case_number="12777", on=DAY)
    assert found.team == office.org.team and found.rule.priority == 1


def test_rule_caseworker_must_belong_to_the_team(office):
    from django.core.exceptions import ValidationError

    rule = ResponsibilityRule(
        authority=office.org.authority,
        team=office.org.second_team,
        surname_from="A",
        caseworker=office.org.users["caseworker"],
    )
    with pytest.raises(ValidationError, match="gehört nicht zu diesem Team"):
        rule.clean()
