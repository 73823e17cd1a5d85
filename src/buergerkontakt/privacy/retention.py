"""The deletion concept as code: one category per kind of personal data, its period (settings, see
docs/privacy/loeschkonzept.md) and the Berlin day from which it is removed.

Every period counts whole Berlin days (Europe/Berlin, never the UTC date): data of day ``D`` with a
period of ``N`` days is removed on day ``D + N`` – by the first run of the task on that day – and
not before. :func:`cutoff` turns "today" into the first moment that is *not* yet due.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.calendar import local_zone


@dataclass(frozen=True)
class Category:
    key: str
    label: object
    setting: str
    unit: str = "days"  # or "months"

    @property
    def period(self) -> int:
        return int(getattr(settings, self.setting))


CATEGORIES = (
    Category("appointments", _("Termine: persönliche Angaben nach dem Termintag"),
             "PRIVACY_APPOINTMENT_DAYS"),
    Category("walkin", _("Wartenummern: Freitexte nach dem Tag der Ausgabe"), "PRIVACY_WALKIN_DAYS"),
    Category("callbacks", _("Rückruftickets: Angaben zur anrufenden Person nach dem Abschluss"),
             "PRIVACY_CALLBACK_DAYS"),
    Category("waitlist", _("Bedarfsmeldungen: persönliche Angaben nach Ablauf oder Abschluss"),
             "PRIVACY_WAITLIST_DAYS"),
    Category("messages", _("Mail- und SMS-Dateien nach dem Versand"), "PRIVACY_MESSAGE_FILE_DAYS"),
    Category("calls", _("Anrufe: Rufnummern nach dem Anruftag"), "PRIVACY_CALL_DAYS"),
    Category("alarms", _("Alarm-Zeitleisten: pseudonymisiert nach Monaten"), "PRIVACY_ALARM_MONTHS",
             "months"),
    Category("requests", _("Betroffenenanfragen nach dem Abschluss"), "PRIVACY_REQUEST_DAYS"),
)
BY_KEY = {category.key: category for category in CATEGORIES}


def local_today(now: datetime) -> date:
    return timezone.localtime(now, local_zone()).date()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def plus_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier, if negative); the month's last day if shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_due_day(category: Category, today: date) -> date:
    """The latest Berlin day whose data is due today (its day + period ≤ today)."""
    if category.unit == "months":
        earlier = plus_months(today, -category.period)
        if today.day == calendar.monthrange(today.year, today.month)[1]:
            # the month's last day: the days of the longer month that map onto it are due too
            # (31 March + 6 months = 30 September)
            return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
        return earlier
    return today - timedelta(days=category.period)


def cutoff(category: Category, now: datetime) -> datetime:
    """Data stamped before this moment is due: midnight (Berlin) after the last due day."""
    return local_midnight(last_due_day(category, local_today(now)) + timedelta(days=1))


def cutoff_day(category: Category, now: datetime) -> date:
    """Data of days before this Berlin day is due (for rows that carry a day, not a time)."""
    return last_due_day(category, local_today(now)) + timedelta(days=1)
