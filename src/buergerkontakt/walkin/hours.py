"""When a queue gives out numbers without an appointment: within the location's walk-in hours
("Vorsprache ohne Termin"), up to the queue's cut-off before a window ends. A location without
walk-in hours issues at any time (as before walk-in hours existed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from buergerkontakt.directory.hours import calendar_for, day_label, rules_for
from buergerkontakt.directory.models import HoursKind

from .models import Queue


@dataclass(frozen=True)
class WalkInHours:
    open: bool
    next_start: datetime | None  # the next moment numbers are given out, when closed
    now: datetime

    @property
    def closed_text(self) -> str:
        if self.next_start is None:
            return _("Derzeit werden keine Wartenummern ohne Termin ausgegeben.")
        local = timezone.localtime(self.next_start)
        when = day_label(local, self.now)
        return (_("Wartenummern ohne Termin gibt es wieder %(day)s ab %(time)s Uhr.")
                % {"day": when, "time": formats.time_format(local, "H:i")})


def walk_in_hours(queue: Queue, now: datetime) -> WalkInHours:
    location = queue.location
    if not rules_for(location, HoursKind.WALK_IN):
        return WalkInHours(open=True, next_start=None, now=now)
    calendar = calendar_for(location, HoursKind.WALK_IN, today=timezone.localtime(now).date())
    cutoff = timedelta(minutes=queue.walk_in_cutoff_minutes)
    window = calendar.current_window(now)
    if window is not None and now < window.end - cutoff:
        return WalkInHours(open=True, next_start=None, now=now)
    probe = window.end if window is not None else now
    for upcoming in calendar.windows(probe, days=30):
        if upcoming.start >= probe and upcoming.end - cutoff > upcoming.start:
            return WalkInHours(open=False, next_start=upcoming.start, now=now)
    return WalkInHours(open=False, next_start=None, now=now)
