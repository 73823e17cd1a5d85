"""Responsibility matching (table-driven): letter ranges, particles, patterns, priority, services."""

from __future__ import annotations

import pytest

from buergerkontakt.directory.models import ResponsibilityRule
from buergerkontakt.directory.responsibility import (
    Criteria,
    find_responsible_team,
    normalize_surname,
    rule_matches,
    surname_in_range,
)

from .builders import build_directory, rule


@pytest.mark.parametrize("name, key", [
    ("Müller", "muller"),
    ("MÜLLER", "muller"),
    ("Ärger", "arger"),
    ("Özdemir", "ozdemir"),
    ("Strauß", "strauss"),
    ("von Müller", "muller"),
    ("von Braun", "braun"),
    ("Von der Leyen", "leyen"),
    ("van der Berg", "berg"),
    ("de la Cruz", "cruz"),
    ("zu Guttenberg", "guttenberg"),
    ("vom Hofe", "hofe"),
    ("von und zu Lichtenstein", "lichtenstein"),
    ("Müller-Lüdenscheidt", "mullerludenscheidt"),
    ("Çelik", "celik"),
    ("Nowak  ", "nowak"),
    ("Šimić", "simic"),
    ("D'Angelo", "dangelo"),
    ("Zu", "zu"),  # a particle alone is the name itself
    ("", ""),
])
def test_normalize_surname(name, key):
    assert normalize_surname(name) == key


@pytest.mark.parametrize("surname, low, high, expected", [
    ("Ärger", "A", "K", True),
    ("Özdemir", "O", "O", True),
    ("Özdemir", "A", "N", False),
    ("Müller", "M", "O", True),
    ("Kzzzz", "A", "K", True),
    ("Lange", "A", "K", False),
    ("Adler", "A", "K", True),
    ("von Braun", "B", "B", True),
    ("von Braun", "V", "Z", False),
    ("van der Berg", "A", "C", True),
    ("de la Cruz", "C", "C", True),
    ("de la Cruz", "D", "D", False),
    ("Schmitt", "Sch", "Schm", True),
    ("Schäfer", "Sch", "Schm", True),
    ("Schneider", "Sch", "Schm", False),
    ("Scarlatti", "Sch", "Schm", False),
    ("Sauer", "S", "Sch", True),
    ("Schulz", "Sci", "Z", False),
    ("Schulz", "Schn", "", True),
    ("Zander", "", "M", False),
    ("Abel", "", "M", True),
    ("", "A", "Z", False),
])
def test_surname_ranges(surname, low, high, expected):
    assert surname_in_range(normalize_surname(surname), low, high) is expected


@pytest.fixture
def setup(db):
    directory = build_directory()
    return directory.org, directory


def test_table_of_rules_first_match_wins(setup):
    org, directory = setup
    second, other = org.team, org.second_team
    rule(org, second, priority=10, service=directory.buergergeld, surname_from="A", surname_to="Z")
    rule(org, other, priority=20, case_number_pattern=r"123[0-4]\d")
    rule(org, second, priority=30, surname_from="A", surname_to="K")
    rule(org, other, priority=40, surname_from="L", surname_to="Sch")
    rule(org, second, priority=50, surname_from="Sci", surname_to="Z")
    cases = [
        # (surname, case number, service, expected team)
        ("Ärger", None, None, second),
        ("Müller", None, None, other),
        ("Özdemir", None, None, other),
        ("Schmitt", None, None, other),
        ("Schulz", None, None, other),
        ("Seidel", None, None, second),
        ("von Braun", None, None, second),
        ("Zander", None, None, second),
        (None, "12345", None, other),
        (None, " 123 45 ", None, other),
        (None, "12355", None, None),
        (None, "0012345", None, None),  # anchored at the start
        ("Zander", "12301", None, other),  # the case-number rule has a higher priority
        ("Zander", None, directory.buergergeld, second),  # service rule first
        (None, None, directory.buergergeld, None),  # service rule also needs a surname in A–Z
        (None, None, None, None),
        ("", "", None, None),
    ]
    for surname, case_number, service, expected in cases:
        found = find_responsible_team(org.authority, surname=surname, case_number=case_number,
                                      service=service)
        team = found.team if found else None
        assert team == expected, (surname, case_number, service)


def test_priority_order_not_insertion_order(setup):
    org, _directory = setup
    rule(org, org.second_team, priority=200, surname_from="A", surname_to="Z")
    late = rule(org, org.team, priority=5, surname_from="M", surname_to="M")
    assert find_responsible_team(org.authority, surname="Meier") == late
    assert find_responsible_team(org.authority, surname="Adler").team == org.second_team


def test_equal_priority_older_rule_wins(setup):
    org, _directory = setup
    first = rule(org, org.team, priority=1, surname_from="A", surname_to="Z")
    rule(org, org.second_team, priority=1, surname_from="A", surname_to="Z")
    assert find_responsible_team(org.authority, surname="Meier") == first


def test_service_specific_rule_only_for_that_service(setup):
    org, directory = setup
    special = rule(org, org.second_team, priority=1, service=directory.buergergeld)
    general = rule(org, org.team, priority=2, surname_from="A", surname_to="Z")
    assert find_responsible_team(org.authority, surname="Meier", service=directory.buergergeld) == special
    assert find_responsible_team(org.authority, surname="Meier",
                                 service=directory.buergergeld.pk) == special
    assert find_responsible_team(org.authority, surname="Meier") == general
    assert find_responsible_team(org.authority, surname="Meier", service=directory.perso) == general


def test_rule_with_both_criteria_needs_both(setup):
    org, _directory = setup
    both = rule(org, org.team, surname_from="A", surname_to="K", case_number_pattern="^9")
    assert find_responsible_team(org.authority, surname="Adler", case_number="900") == both
    assert find_responsible_team(org.authority, surname="Adler") is None
    assert find_responsible_team(org.authority, case_number="900") is None
    assert find_responsible_team(org.authority, surname="Zander", case_number="900") is None


def test_rules_of_other_authorities_are_ignored(setup):
    org, _directory = setup
    ResponsibilityRule.objects.create(authority=org.other_authority, team=org.other_team,
                                      surname_from="A", surname_to="Z")
    assert find_responsible_team(org.authority, surname="Meier") is None
    assert find_responsible_team(org.other_authority.pk, surname="Meier").team == org.other_team


def test_invalid_stored_pattern_never_matches():
    broken = ResponsibilityRule(case_number_pattern="([", priority=1)
    assert not rule_matches(broken, Criteria.build(case_number="123"))


def test_rule_without_criteria_is_the_catch_all():
    """Issue 26 defect 9 (2026-12-04): a rule without criteria takes everything (put it last)."""
    assert rule_matches(ResponsibilityRule(priority=1), Criteria.build(surname="Meier"))
    assert rule_matches(ResponsibilityRule(priority=1), Criteria.build(case_number="123"))


def test_overlong_input_is_cut_not_an_error(setup):
    org, _directory = setup
    rule(org, org.team, surname_from="A", surname_to="Z")
    assert find_responsible_team(org.authority, surname="M" * 10_000, case_number="1" * 10_000) is not None
