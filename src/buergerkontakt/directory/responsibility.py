"""Responsibility matching: which team handles a citizen's case?

Rules (:class:`~buergerkontakt.directory.models.ResponsibilityRule`) map a surname letter range
and/or a case-number pattern (optionally restricted to one service) to a team. This module is the
single implementation of that matching; the public lookup page, the API, the admin preview and the
phone-centre routing all call :func:`find_responsible_team`.

Surnames are compared in a normalised form (see :func:`normalize_surname`): case-folded, umlauts
sorted like their base letter (DIN 5007-1: "Ä" under "A"), other accents removed and leading
name particles dropped ("von Braun" sorts under "B").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from buergerkontakt.core.models import Authority, User

from .models import ResponsibilityRule, Service

# Leading name particles, longest first so "von der" wins over "von".
NAME_PARTICLES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "von", "von der", "von dem", "von den", "von und zu", "vom", "zu", "zum", "zur",
                "van", "van der", "van den", "van de", "de", "de la", "de las", "de los", "del",
                "ten", "ter",
            )
        ),
        key=len,
        reverse=True,
    )
)

# Longest accepted inputs; anything longer is not a surname or a case number.
MAX_SURNAME_LENGTH = 100
MAX_CASE_NUMBER_LENGTH = 40

_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o"})


def fold_letters(text: str) -> str:
    """Case-fold, map German umlauts to their base letter and strip other accents."""
    text = text.casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_surname(name: str | None) -> str:
    """The sort key of a surname: ``"von Müller"`` → ``"muller"``, ``"Özdemir"`` → ``"ozdemir"``.

    Steps: case-fold; ä→a, ö→o, ü→u, ß→ss; other accents removed; leading name particles
    ("von", "von der", "van der", "de la", "zu", …) dropped when a main name follows; finally
    everything that is not a letter or digit is removed ("Müller-Lüdenscheidt" → "mullerludenscheidt").
    """
    if not name:
        return ""
    tokens = [t for t in re.split(r"[\s'’]+", fold_letters(name.strip())) if t]
    stripped = True
    while stripped:
        stripped = False
        for particle in NAME_PARTICLES:
            n = len(particle)
            if len(tokens) > n and tuple(tokens[:n]) == particle:
                tokens = tokens[n:]
                stripped = True
                break
    return "".join(ch for ch in "".join(tokens) if ch.isalnum())


def _bound(value: str) -> str:
    """A range bound from the admin ("Sch", "Ä") in the same normal form as surnames."""
    return "".join(ch for ch in fold_letters(value.strip()) if ch.isalnum())


def surname_in_range(surname_key: str, surname_from: str = "", surname_to: str = "") -> bool:
    """True if a normalised surname lies in the inclusive prefix range [from, to].

    ``to`` is inclusive by prefix: "A"–"K" covers "Kzzz…", "Sch"–"Schm" covers "Schmitt" but
    not "Schneider". An empty bound is open.
    """
    if not surname_key:
        return False
    low, high = _bound(surname_from), _bound(surname_to)
    if low and surname_key < low:
        return False
    return not (high and surname_key[: len(high)] > high)


def normalize_case_number(case_number: str | None) -> str:
    """Strip surrounding whitespace and inner spaces ("123 45" → "12345")."""
    return re.sub(r"\s+", "", case_number or "")


def case_number_matches(pattern: str, case_number: str) -> bool:
    """``re.match`` anchored at the start; an invalid stored pattern never matches."""
    if not case_number:
        return False
    try:
        return re.match(pattern, case_number) is not None
    except re.error:
        return False


@dataclass(frozen=True)
class Criteria:
    """What a citizen (or an agent) tells us, already normalised."""

    surname_key: str = ""
    case_number: str = ""
    service_id: int | None = None

    @classmethod
    def build(cls, *, surname: str | None = None, case_number: str | None = None,
              service: Service | int | None = None) -> Criteria:
        service_id = service.pk if isinstance(service, Service) else service
        return cls(
            surname_key=normalize_surname((surname or "")[:MAX_SURNAME_LENGTH]),
            case_number=normalize_case_number(case_number)[:MAX_CASE_NUMBER_LENGTH],
            service_id=service_id,
        )

    @property
    def empty(self) -> bool:
        return not (self.surname_key or self.case_number or self.service_id)


def rule_matches(rule: ResponsibilityRule, criteria: Criteria) -> bool:
    """A rule matches if every criterion it sets matches; a rule that sets none is the catch-all
    and matches everything."""
    if rule.service_id is not None and rule.service_id != criteria.service_id:
        return False
    if (rule.surname_from or rule.surname_to) and not surname_in_range(
            criteria.surname_key, rule.surname_from, rule.surname_to):
        return False
    return not (rule.case_number_pattern
                and not case_number_matches(rule.case_number_pattern, criteria.case_number))


def first_matching_rule(rules: Iterable[ResponsibilityRule], criteria: Criteria
                        ) -> ResponsibilityRule | None:
    """The first rule (in the given order) that matches ``criteria``."""
    if criteria.empty:
        return None
    return next((rule for rule in rules if rule_matches(rule, criteria)), None)


def rules_for(authority: Authority | int) -> list[ResponsibilityRule]:
    """The authority's rules in the order they are checked (priority, then age)."""
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    return list(
        ResponsibilityRule.objects.filter(authority_id=authority_id)
        .select_related("team", "team__location", "service", "caseworker", "caseworker__deputy")
        .order_by("priority", "pk")
    )


def find_responsible_team(authority: Authority | int, *, surname: str | None = None,
                          case_number: str | None = None,
                          service: Service | int | None = None) -> ResponsibilityRule | None:
    """The first of the authority's rules (by ``priority``) that matches, or None.

    A rule matches if every criterion it sets matches: its surname letter range (inclusive, by
    prefix, on :func:`normalize_surname`), its case-number pattern (``re.match`` at the start of
    the number with spaces removed) and its service. The matched rule's ``team`` is responsible.
    """
    criteria = Criteria.build(surname=surname, case_number=case_number, service=service)
    return first_matching_rule(rules_for(authority), criteria)


@dataclass(frozen=True)
class Assignee:
    """Who within the matched rule's team takes the case on a given day.

    ``person`` is None for the team pool (Team-Postkorb). ``reason`` is one of "caseworker",
    "deputy" (the responsible person is absent and their deputy is not), "pool" (the rule names
    nobody) and "pool_absent" (the person and their deputy are both absent or inactive).
    """

    person: User | None
    reason: str
    absent: User | None = None  # the responsible person who is away (deputy / pool_absent)


def _available(person: User | None, day: date) -> bool:
    return person is not None and person.is_active and not person.is_absent_on(day)


def responsible_person(rule: ResponsibilityRule, day: date) -> Assignee:
    """The rule's case worker on ``day``; when absent, their deputy; else the team pool.

    A deputy only takes over when they are available on that day and belong to the rule's team or
    at least to its authority (a deputy in another authority never gets the case).
    """
    person = rule.caseworker
    if person is None:
        return Assignee(None, "pool")
    if _available(person, day):
        return Assignee(person, "caseworker")
    deputy = person.deputy
    if _available(deputy, day) and deputy.authority_id == rule.authority_id:
        return Assignee(deputy, "deputy", absent=person)
    return Assignee(None, "pool_absent", absent=person)
