"""Routing of callback tickets: rules as data (``directory.ResponsibilityRule``).

The authority's responsibility rules are checked in their order (service, case-number pattern,
surname letter range → team, optionally a responsible case worker). The first matching rule names
the team; the case worker is that rule's, or else the one of the first matching rule of the same
team that names a person; on a day of absence their deputy takes over, else the team pool. The
same code answers
the preview "Welches Team bekäme das?" on the agent screen and in the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from buergerkontakt.core.models import Authority, Team, User
from buergerkontakt.directory.models import ResponsibilityRule, Service
from buergerkontakt.directory.responsibility import (
    NAME_PARTICLES,
    Criteria,
    normalize_surname,
    responsible_person,
    rule_matches,
    rules_for,
)

_PARTICLE_WORDS = {word for particle in NAME_PARTICLES for word in particle}


def surname_of(full_name: str) -> str:
    """The surname in what a caller says: "Müller, Erika" → "Müller"; "Karl von Braun" → "von Braun".

    With a comma the part before it is the surname; otherwise the last word together with the
    name particles ("von", "van der", "de la", …) in front of it.
    """
    name = (full_name or "").strip()
    if "," in name:
        return name.split(",", 1)[0].strip()
    words = re.split(r"\s+", name)
    start = len(words) - 1
    while start > 0 and words[start - 1].casefold() in _PARTICLE_WORDS:
        start -= 1
    return " ".join(words[start:])


@dataclass(frozen=True)
class Route:
    team: Team | None
    assignee: User | None
    rule: ResponsibilityRule | None
    reason: str  # "caseworker", "deputy", "pool", "pool_absent", "chosen", "none"
    absent: User | None = None
    surname_key: str = ""

    @property
    def note(self) -> str:
        """A short German sentence for the agent and the ticket ("Vertretung für …")."""
        if self.team is None:
            return _("Keine Regel passt.")
        if self.reason == "deputy":
            return _("Vertretung für %(person)s (abwesend)") % {"person": self.absent}
        if self.reason == "pool_absent":
            return _("Team-Postkorb: %(person)s und Vertretung abwesend") % {"person": self.absent}
        if self.reason == "chosen":
            return _("Team von Hand gewählt")
        if self.assignee is None:
            return _("Team-Postkorb")
        return _("zuständige Sachbearbeitung")


def route(authority: Authority | int, *, name: str = "", case_number: str = "",
          service: Service | int | None = None, team: Team | None = None,
          on: date | None = None) -> Route:
    """Who gets a ticket. ``team`` (chosen by hand) wins over the rules; then the first matching
    rule of that team names the case worker."""
    from django.utils import timezone

    day = on or timezone.localdate()
    criteria = Criteria.build(surname=surname_of(name), case_number=case_number, service=service)
    rules = rules_for(authority)
    if team is not None:
        rules = [rule for rule in rules if rule.team_id == team.pk]
    # With nothing said, only a catch-all rule (one without criteria) can match.
    matched = next((rule for rule in rules if rule_matches(rule, criteria)), None)
    if matched is None:
        if team is not None:
            return Route(team, None, None, "chosen", surname_key=criteria.surname_key)
        return Route(None, None, None, "none", surname_key=criteria.surname_key)
    # The team's person: the matched rule's, else the first matching rule of that team naming one
    # (e.g. the team by case-number range, the person within the team by surname letters).
    person_rule = matched
    if matched.caseworker_id is None:
        person_rule = next((rule for rule in rules if rule.team_id == matched.team_id and rule.caseworker_id
                            and rule_matches(rule, criteria)), matched)
    person = responsible_person(person_rule, day)
    return Route(matched.team, person.person, matched, person.reason, person.absent,
                 surname_key=criteria.surname_key)


__all__ = ["Route", "normalize_surname", "route", "surname_of"]
