"""Reachability: builds business calendars from the directory data and answers 'open now?'.

Pages and the API both call :func:`reachability`, so they can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.calendar import BusinessCalendar, WeeklyRule, Window, public_holidays
from buergerkontakt.core.models import Location, Team

from .models import CalendarException, HoursKind, HoursRule

EXCEPTION_HORIZON_DAYS = 400


def _owner_location(owner: Location | Team) -> Location:
    return owner if isinstance(owner, Location) else owner.location


def rules_for(owner: Location | Team, kind: str) -> list[HoursRule]:
    """Weekly rules of ``kind``; a team without its own rules uses its location's."""
    if isinstance(owner, Team):
        own = list(HoursRule.objects.filter(team=owner, kind=kind))
        if own:
            return own
    return list(HoursRule.objects.filter(location=_owner_location(owner), kind=kind))


def calendar_for(owner: Location | Team, kind: str, today: date | None = None) -> BusinessCalendar:
    location = _owner_location(owner)
    today = today or timezone.localdate()
    exceptions = CalendarException.objects.filter(
        Q(location=location) | Q(authority_id=location.authority_id),
        date__gte=today - timedelta(days=1),
        date__lte=today + timedelta(days=EXCEPTION_HORIZON_DAYS),
    )
    closures: set[date] = set()
    special: dict[date, list[tuple[time, time]]] = defaultdict(list)
    for exc in exceptions:
        if not exc.applies_to(kind):
            continue
        if exc.closed:
            closures.add(exc.date)
        else:
            special[exc.date].append((exc.start, exc.end))
    return BusinessCalendar(
        weekly=[WeeklyRule(r.weekday, r.start, r.end, r.valid_from, r.valid_until)
                for r in rules_for(owner, kind)],
        holidays=public_holidays(location.holiday_region),
        closures=closures,
        special_days=dict(special),
    )


@dataclass
class WeeklyLine:
    days: str  # e.g. "Mo–Do"
    hours: str  # e.g. "07:30–16:30" or "07:30–12:00, 13:00–16:30"


@dataclass
class Reachability:
    kind: str
    label: str
    has_hours: bool
    open_now: bool
    current: Window | None
    next_window: Window | None
    today: list[Window]
    weekly: list[WeeklyLine]
    closed_reason: str | None
    status_text: str

    def as_dict(self) -> dict:
        def iso(window: Window | None) -> dict | None:
            if window is None:
                return None
            return {"start": window.start.isoformat(), "end": window.end.isoformat()}

        return {
            "kind": self.kind,
            "label": self.label,
            "open_now": self.open_now,
            "current": iso(self.current),
            "next": iso(self.next_window),
            "status": self.status_text,
            "today": [iso(w) for w in self.today],
            "weekly": [{"days": line.days, "hours": line.hours} for line in self.weekly],
        }


def _hm(moment: datetime | time) -> str:
    return moment.strftime("%H:%M")


def day_label(moment: datetime, now: datetime) -> str:
    """'heute', 'morgen' or the weekday with date, in the local zone."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now).date()
    if local.date() == today:
        return _("heute")
    if local.date() == today + timedelta(days=1):
        return _("morgen")
    if local.date() < today + timedelta(days=7):
        return formats.date_format(local, "D")
    return formats.date_format(local, "D, d.m.")


def weekly_summary(rules: list[HoursRule] | list[WeeklyRule], on: date) -> list[WeeklyLine]:
    """Group consecutive weekdays with identical hours: 'Mo–Do 07:30–16:30', 'Fr 07:30–14:00'."""
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for rule in rules:
        valid_from = getattr(rule, "valid_from", None)
        valid_until = getattr(rule, "valid_until", None)
        if (valid_from and valid_from > on) or (valid_until and valid_until < on):
            continue
        by_day[rule.weekday].append((rule.start, rule.end))
    short = [formats.date_format(date(2024, 1, 1) + timedelta(days=i), "D") for i in range(7)]
    lines: list[WeeklyLine] = []
    day = 0
    while day < 7:
        hours = sorted(by_day.get(day, []))
        if not hours:
            day += 1
            continue
        last = day
        while last + 1 < 7 and sorted(by_day.get(last + 1, [])) == hours:
            last += 1
        days = short[day] if last == day else f"{short[day]}–{short[last]}"
        if last == day + 1:
            days = f"{short[day]}, {short[last]}"
        text = ", ".join(f"{_hm(s)}–{_hm(e)}" for s, e in hours)
        lines.append(WeeklyLine(days, text))
        day = last + 1
    return lines


def closed_reason(owner: Location | Team, kind: str, day: date) -> str | None:
    location = _owner_location(owner)
    exception = (
        CalendarException.objects.filter(
            Q(location=location) | Q(authority_id=location.authority_id), date=day, closed=True)
        .order_by("pk").first()
    )
    if exception and exception.applies_to(kind):
        return exception.reason
    holiday = public_holidays(location.holiday_region).get(day)
    return _("Feiertag: %(name)s") % {"name": holiday} if holiday else None


def reachability(owner: Location | Team, kind: str, at: datetime | None = None) -> Reachability:
    at = at or timezone.now()
    local_day = timezone.localtime(at).date()
    calendar = calendar_for(owner, kind, today=local_day)
    rules = rules_for(owner, kind)
    current = calendar.current_window(at)
    upcoming = calendar.next_opening(at) if current is None else calendar.next_window(at)
    today = calendar.windows_on(local_day)
    reason = closed_reason(owner, kind, local_day) if not today else None
    label = HoursKind(kind).label
    if not rules and not today:
        status = _("Keine festen Zeiten")
    elif current is not None:
        status = _("jetzt erreichbar – bis %(end)s Uhr") % {"end": _hm(timezone.localtime(current.end))}
        if kind == HoursKind.OPENING:
            status = _("jetzt geöffnet – bis %(end)s Uhr") % {"end": _hm(timezone.localtime(current.end))}
    elif upcoming is not None:
        when = f"{day_label(upcoming.start, at)} {_hm(timezone.localtime(upcoming.start))}"
        prefix = _("geschlossen") if kind == HoursKind.OPENING else _("derzeit nicht erreichbar")
        if reason:
            prefix = f"{prefix} ({reason})"
        status = _("%(prefix)s – wieder ab %(when)s Uhr") % {"prefix": prefix, "when": when}
        if kind == HoursKind.OPENING:
            status = _("%(prefix)s – öffnet %(when)s Uhr") % {"prefix": prefix, "when": when}
    else:
        status = _("derzeit keine Zeiten geplant")
    return Reachability(
        kind=kind,
        label=str(label),
        has_hours=bool(rules) or bool(today),
        open_now=current is not None,
        current=current,
        next_window=upcoming,
        today=today,
        weekly=weekly_summary(rules, local_day),
        closed_reason=reason,
        status_text=status,
    )


def reachability_all(owner: Location | Team, at: datetime | None = None) -> dict[str, Reachability]:
    return {kind: reachability(owner, kind, at) for kind in HoursKind.values}
