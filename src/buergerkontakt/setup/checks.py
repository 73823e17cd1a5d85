"""Konfigurationsprüfung: what is wrong with a location's set-up, each finding with a link to fix it
(issue 26, 2026-12-04).

Each check is one function ``check_*(location, now) -> list[Finding]`` that looks for one kind of
mistake an administrator makes when setting up an office; :func:`run_checks` runs them all. The
checks only read; the page that shows them is ``setup/admin.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.alarms.queries import security_reach
from buergerkontakt.appointments.models import Schedule, ServiceGroup, Slot
from buergerkontakt.core.models import Location, Role, RoleAssignment, Room
from buergerkontakt.directory.models import HoursKind, HoursRule, Service
from buergerkontakt.walkin.models import Queue, Screen

PREVIEW_DAYS = 14
# Rooms people work in: an alarm from there should reach a neighbour first.
WORK_ROOMS = (Room.Kind.OFFICE, Room.Kind.COUNTER, Room.Kind.RECEPTION)


@dataclass(frozen=True)
class Finding:
    text: str
    fix_url: str
    fix_label: str


@dataclass
class CheckResult:
    key: str
    title: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _add(model, **initial) -> str:
    query = "&".join(f"{key}={value}" for key, value in initial.items())
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    return f"{url}?{query}" if query else url


def _week_template(location: Location) -> str:
    return reverse("admin:setup_week_template", args=[location.pk])


def _groups_at(location: Location):
    return ServiceGroup.objects.filter(schedules__location=location).distinct().order_by("name")


# --- the checks ------------------------------------------------------------------------------------
def check_no_slots(location: Location, now: datetime) -> list[Finding]:
    """A service group with schedules here but no bookable time unit in the next 14 days; a location
    that takes online bookings for its services but has no schedule at all."""
    findings = []
    until = now + timedelta(days=PREVIEW_DAYS)
    for group in _groups_at(location):
        units = (Slot.objects.filter(group=group, location=location, start__gte=now, start__lt=until)
                 .exclude(online_capacity=0, internal_capacity=0).count())
        if not units:
            findings.append(Finding(
                _("Leistungsgruppe „%(group)s“: in den nächsten 14 Tagen keine buchbare Zeiteinheit.")
                % {"group": group.name}, _change(group), _("Sprechzeiten prüfen")))
    offered = Service.objects.filter(locations=location, online_bookable=True)
    if location.offers_online_booking and offered.exists() \
            and not Schedule.objects.filter(location=location).exists():
        findings.append(Finding(
            _("Der Standort nimmt Online-Buchungen an, hat aber keine Sprechzeiten."),
            _week_template(location), _("Wochenvorlage ausfüllen")))
    return findings


def check_schedule_outside_hours(location: Location, now: datetime) -> list[Finding]:
    """Weekly schedules outside the location's published opening hours (saved before the hours
    changed, or imported): they give no bookable times on that day."""
    findings = []
    schedules = (Schedule.objects.filter(location=location, weekday__isnull=False)
                 .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate(now)))
                 .select_related("group", "location"))
    for schedule in schedules:
        try:
            schedule._check_opening_hours()
        except ValidationError as exc:
            findings.append(Finding(
                _("Leistungsgruppe „%(group)s“: %(message)s") % {"group": schedule.group.name,
                                                                 "message": " ".join(exc.messages)},
                _change(schedule), _("Sprechzeit ändern")))
    if schedules.exists() and not HoursRule.objects.filter(
            location=location, kind=HoursKind.OPENING).exists():
        findings.append(Finding(
            _("Der Standort veröffentlicht keine Öffnungszeiten; Sprechzeiten werden nicht geprüft."),
            _week_template(location), _("Öffnungszeiten eintragen")))
    return findings


def check_unbookable_services(location: Location, now: datetime) -> list[Finding]:
    """Services offered online here that can never be booked: in no service group with schedules at
    this location, or longer than every schedule window."""
    findings = []
    services = Service.objects.filter(locations=location, online_bookable=True).order_by("name")
    for service in services:
        schedules = Schedule.objects.filter(location=location, group__services=service,
                                            online_quota__gt=0)
        if not schedules.exists():
            findings.append(Finding(
                _("Leistung „%(service)s“ ist online buchbar, hat an diesem Standort aber keine "
                  "Sprechzeit mit Online-Kontingent.") % {"service": service.name},
                _change(service), _("Leistung bearbeiten")))
            continue
        longest = max((s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute)
                      for s in schedules)
        if service.duration_minutes > longest:
            findings.append(Finding(
                _("Leistung „%(service)s“ dauert %(minutes)d Minuten, das längste Zeitfenster nur "
                  "%(longest)d Minuten – sie kann nie gebucht werden.")
                % {"service": service.name, "minutes": service.duration_minutes, "longest": longest},
                _change(service), _("Dauer anpassen")))
    if services.exists() and not location.offers_online_booking:
        findings.append(Finding(
            _("Leistungen sind online buchbar, der Standort nimmt aber keine Online-Buchungen an."),
            _change(location), _("Kontaktwege des Standorts bearbeiten")))
    return findings


def check_security_without_mobile(location: Location, now: datetime) -> list[Finding]:
    """Security staff without a valid mobile number for the alarm SMS (the alarm's fallback channel
    reaches them not), and a location without any security staff (``alarms.queries.security_reach``,
    the same answer as the security console's and the drills' warning)."""
    reach = security_reach(location)
    if not reach.holders:
        return [Finding(_("Für diesen Standort ist kein Sicherheitsdienst eingetragen."),
                        _add(RoleAssignment, role=Role.SECURITY, location=location.pk,
                             authority=location.authority_id),
                        _("Rolle Sicherheitsdienst zuweisen"))]
    return [Finding(_("Sicherheitsdienst %(name)s hat keine Mobilnummer für Alarm-SMS.")
                    % {"name": person}, _change(person), _("Mobilnummer eintragen"))
            for person in reach.without_mobile]


def check_queue_without_walk_in_hours(location: Location, now: datetime) -> list[Finding]:
    """Walk-in queues at a location without "Vorsprache ohne Termin" hours give out numbers at any
    time, also at night."""
    if HoursRule.objects.filter(location=location, kind=HoursKind.WALK_IN).exists():
        return []
    return [Finding(_("Warteschlange „%(queue)s“ gibt Wartenummern aus, der Standort hat aber keine "
                      "Zeiten für Vorsprache ohne Termin.") % {"queue": queue.name},
                    _week_template(location), _("Vorsprachezeiten eintragen"))
            for queue in Queue.objects.filter(location=location, is_active=True, walk_in=True)]


def check_screens_never_connected(location: Location, now: datetime) -> list[Finding]:
    """Call displays and kiosks whose address was never opened (set up, but not on the device)."""
    return [Finding(_("%(kind)s „%(name)s“ war noch nie verbunden. Bitte öffnen Sie die Adresse auf dem "
                      "Gerät.") % {"kind": screen.get_kind_display(), "name": screen.name},
                    _change(screen), _("Adresse des Geräts anzeigen"))
            for screen in Screen.objects.filter(location=location, is_active=True, last_seen_at__isnull=True)
            .order_by("kind", "name")]


def check_rooms_without_neighbours(location: Location, now: datetime) -> list[Finding]:
    """Offices, counters and reception without alarm neighbours: a level-1 alarm from there reaches
    no colleague next door."""
    rooms = (Room.objects.filter(floor__location=location, kind__in=WORK_ROOMS, neighbours__isnull=True)
             .select_related("floor__location").order_by("floor__level", "number"))
    return [Finding(_("Raum %(room)s hat keine Nachbarräume: ein Alarm von dort erreicht niemanden "
                      "nebenan.") % {"room": f"{room.number} {room.name}".strip()},
                    _change(room), _("Nachbarräume eintragen"))
            for room in rooms]


CHECKS: list[tuple[str, object, Callable[[Location, datetime], list[Finding]]]] = [
    ("no_slots", gettext_lazy("Buchbare Zeiten in den nächsten 14 Tagen"), check_no_slots),
    ("schedule_outside_hours", gettext_lazy("Sprechzeiten innerhalb der Öffnungszeiten"),
     check_schedule_outside_hours),
    ("unbookable_services", gettext_lazy("Online buchbare Leistungen"), check_unbookable_services),
    ("security_without_mobile", gettext_lazy("Sicherheitsdienst mit Mobilnummer für Alarm-SMS"),
     check_security_without_mobile),
    ("queue_without_walk_in_hours", gettext_lazy("Warteschlangen mit Vorsprachezeiten"),
     check_queue_without_walk_in_hours),
    ("screens_never_connected", gettext_lazy("Aufrufanzeigen und Kiosks verbunden"),
     check_screens_never_connected),
    ("rooms_without_neighbours", gettext_lazy("Alarm-Nachbarräume"), check_rooms_without_neighbours),
]


def run_checks(location: Location, now: datetime | None = None) -> list[CheckResult]:
    now = now or timezone.now()
    return [CheckResult(key, str(title), check(location, now)) for key, title, check in CHECKS]
