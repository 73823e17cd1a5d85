"""Phone service levels, as the 115 promise measures them (read API for reports and open data).

The arithmetic of rates and percentiles stays with the reports (``reports.kpis``); this module
counts. Counted are *inbound* calls that reached the authority within its phone hours ("angeboten");
calls outside the phone hours are counted separately, forwarded and blocked calls not at all.

* answer rate: answered / offered;
* within the service level (``TELEPHONY_SERVICE_LEVEL_SECONDS``, 30 s): calls answered within it
  / offered (the 115 yardstick "75 % der Anrufe innerhalb von 30 Sekunden");
* time to answer: the waits of answered calls (from the first ring; the reports take p50 and p90);
* abandoned: the caller hung up before anybody answered;
* first-contact rate: answered calls the agent marked "direkt gelöst" / answered calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Call, Direction, Outcome

NOT_OFFERED = (Outcome.FORWARDED, Outcome.BLOCKED)


@dataclass
class Levels:
    offered: int = 0
    answered: int = 0
    within: int = 0
    abandoned: int = 0
    first_contact: int = 0
    outside_hours: int = 0
    waits: list[float] = field(default_factory=list)

    def add(self, row: dict, limit: int) -> None:
        if row["outside_hours"]:
            self.outside_hours += 1
            return
        self.offered += 1
        if row["answered"]:
            self.answered += 1
            wait = row["wait"]
            if wait is not None:
                self.waits.append(wait)
                self.within += wait <= limit
            self.first_contact += row["first_contact"]
        elif row["outcome"] == Outcome.ABANDONED:
            self.abandoned += 1


def inbound(start: datetime, end: datetime, *, team_ids: Iterable[int] = (),
            authority_ids: Iterable[int] = ()) -> list[dict]:
    """Ended inbound calls that started in [start, end) for the teams (or whole authorities)."""
    where = Q(team_id__in=list(team_ids)) | Q(authority_id__in=list(authority_ids))
    found = (Call.objects.filter(where, direction=Direction.IN, started_at__gte=start, started_at__lt=end,
                                 ended_at__isnull=False)
             .exclude(outcome__in=NOT_OFFERED)
             .values("started_at", "answered_at", "answered", "outcome", "outside_hours", "first_contact",
                     "team_id"))
    rows = []
    for row in found:
        answered_at = row.pop("answered_at")
        row["wait"] = (max((answered_at - row["started_at"]).total_seconds(), 0.0)
                       if answered_at is not None else None)
        row["local"] = timezone.localtime(row["started_at"])
        rows.append(row)
    return rows


def levels(rows: Iterable[dict]) -> Levels:
    result = Levels()
    limit = settings.TELEPHONY_SERVICE_LEVEL_SECONDS
    for row in rows:
        result.add(row, limit)
    return result


def grouped(rows: Iterable[dict], key: Callable[[dict], object]) -> dict[object, Levels]:
    result: dict[object, Levels] = {}
    limit = settings.TELEPHONY_SERVICE_LEVEL_SECONDS
    for row in rows:
        result.setdefault(key(row), Levels()).add(row, limit)
    return result


def for_location(location_id: int, start: datetime, end: datetime) -> Levels:
    """The service levels of the teams of one location (public reachability page, open data)."""
    from buergerkontakt.core.models import Team

    teams = Team.objects.filter(location_id=location_id).values_list("pk", flat=True)
    return levels(inbound(start, end, team_ids=teams))
