"""Deadlines of callback tickets on the business calendar (pure functions, no database).

The model (see docs/adr/0005-callbacks.md):

* **normal** – end of the n-th working day after the day of the call (default 2);
* **dringend** – end of the same working day (n = 0 by default); if less than ``urgent_min_minutes``
  of working time are left that day, end of the next working day;
* **existenzsichernd** – a number of working minutes (default 120).

Working days and working time come from the team's callback hours (or its location's opening hours)
with public holidays and closures (``directory.hours.calendar_for``). A call outside the hours
counts from the next opening, as a letter received after closing counts as received the next
working day.

**Pauses**: while a ticket's clock is paused no working time passes. A closed pause from ``s`` to
``e`` that began before the deadline moves it: the working time that was left at ``s`` is added
again from ``e``. The warning moment (``warn_share`` of the working time until the deadline) moves
the same way. While a pause is open there is no deadline.

An online request for a later window never gets a deadline before the end of that window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from buergerkontakt.core.calendar import BusinessCalendar

NORMAL, URGENT, EMERGENCY = "normal", "urgent", "emergency"


@dataclass(frozen=True)
class Policy:
    normal_working_days: int = 2
    urgent_working_days: int = 0
    urgent_min_minutes: int = 60
    emergency_working_minutes: int = 120
    warn_share_percent: int = 75

    @classmethod
    def of(cls, policy) -> Policy:
        """From a ``CallbackPolicy`` row (or anything with the same attributes)."""
        return cls(**{name: getattr(policy, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    warn_at: datetime


def base_due(calendar: BusinessCalendar, start: datetime, urgency: str, policy: Policy) -> datetime:
    """The deadline of a ticket created at ``start``, before pauses."""
    if urgency == EMERGENCY:
        return calendar.add_working_time(start, timedelta(minutes=policy.emergency_working_minutes))
    if urgency == URGENT:
        due = calendar.add_working_days(start, policy.urgent_working_days)
        if (policy.urgent_working_days == 0
                and calendar.working_time_between(start, due) < timedelta(minutes=policy.urgent_min_minutes)):
            due = calendar.add_working_days(start, 1)
        return due
    if urgency == NORMAL:
        return calendar.add_working_days(start, policy.normal_working_days)
    raise ValueError(urgency)


def warn_moment(calendar: BusinessCalendar, start: datetime, due: datetime, share_percent: int) -> datetime:
    """When ``share_percent`` of the working time between ``start`` and ``due`` has passed."""
    total = calendar.working_time_between(start, due)
    if total <= timedelta(0):
        return due
    return calendar.add_working_time(start, total * share_percent / 100)


def shift_for_pauses(calendar: BusinessCalendar, moment: datetime,
                     pauses: Iterable[tuple[datetime, datetime]]) -> datetime:
    """``moment`` moved by the working time of every closed pause that began before it."""
    for started, ended in sorted(pauses):
        if started >= moment:
            continue
        left = calendar.working_time_between(started, moment)
        moment = max(moment, ended) if left <= timedelta(0) else calendar.add_working_time(ended, left)
    return moment


def compute(calendar: BusinessCalendar, created_at: datetime, urgency: str, policy: Policy, *,
            pauses: Iterable[tuple[datetime, datetime | None]] = (),
            not_before: datetime | None = None) -> Deadline | None:
    """Deadline and warning moment; None while a pause is open (the clock stands still)."""
    pauses = list(pauses)
    if any(ended is None for _started, ended in pauses):
        return None
    due = base_due(calendar, created_at, urgency, policy)
    if not_before is not None and not_before > due:
        due = not_before
    warn = warn_moment(calendar, created_at, due, policy.warn_share_percent)
    closed = [(started, ended) for started, ended in pauses if ended is not None]
    return Deadline(due_at=shift_for_pauses(calendar, due, closed),
                    warn_at=shift_for_pauses(calendar, warn, closed))
