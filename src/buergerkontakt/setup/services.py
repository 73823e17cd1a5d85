"""Setting up an office in a few steps (issue 26, 2026-12-04): the public write API of the set-up tools.

* :func:`apply_week_template` writes a location's weekly opening, phone and walk-in hours and one
  service group's weekly schedules for Monday to Friday in one transaction;
  :func:`copy_week` copies hours and schedules from another location of the authority.
  Rows are saved one by one (never ``bulk_create``), so the appointments app's receivers
  materialise the changed groups' slots when the transaction commits
  (``appointments/configuration.py``): a citizen can book the moment the template is saved.
* :func:`run_import` (``imports.py``) creates rooms, services and staff from CSV files, with a dry run;
  new staff get an invitation (``invitations.py``) instead of a password.

Every row passes the model's ``full_clean`` – the same rules as the admin forms (e.g. schedules only
within opening hours) – and a mistake rolls the whole change back with a German message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.appointments.models import Schedule, ServiceGroup
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import HoursKind, HoursRule, Weekday

WORKDAYS = range(5)  # Monday to Friday
TEMPLATE_KINDS = (HoursKind.OPENING, HoursKind.PHONE, HoursKind.WALK_IN)
COPY_KINDS = (HoursKind.OPENING, HoursKind.PHONE, HoursKind.CALLBACK, HoursKind.WALK_IN)

Window = tuple[time, time]


class SetupError(ServiceError):
    pass


@dataclass
class WeekTemplate:
    """Windows per kind and weekday (0 = Monday); a kind that is present replaces that kind's weekly
    rules Monday to Friday, also with no windows (closed)."""

    hours: dict[str, dict[int, list[Window]]] = field(default_factory=dict)
    group: ServiceGroup | None = None
    schedules: dict[int, list[Window]] = field(default_factory=dict)
    counters: int = 1
    online_quota: int = 1


def _saved(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        label = f"{Weekday(obj.weekday).label} {obj.start:%H:%M}–{obj.end:%H:%M}" \
            if obj.weekday is not None else f"{obj.start:%H:%M}–{obj.end:%H:%M}"
        raise SetupError(_("%(what)s %(when)s: %(message)s") % {
            "what": obj._meta.verbose_name, "when": label, "message": " ".join(exc.messages)}) from exc
    obj.save()


def _plain_weekly_rules(location: Location, kinds, weekdays):
    return HoursRule.objects.filter(location=location, team__isnull=True, kind__in=list(kinds),
                                    weekday__in=list(weekdays), valid_from__isnull=True,
                                    valid_until__isnull=True)


def current_week(location: Location, group: ServiceGroup | None) -> WeekTemplate:
    """The location's present weekly windows Monday to Friday (the template form's initial data)."""
    hours: dict[str, dict[int, list[Window]]] = {
        kind: {day: [] for day in WORKDAYS} for kind in TEMPLATE_KINDS}
    template = WeekTemplate(group=group, hours=hours)
    for rule in _plain_weekly_rules(location, TEMPLATE_KINDS, WORKDAYS).order_by("weekday", "start"):
        template.hours[rule.kind][rule.weekday].append((rule.start, rule.end))
    if group is not None:
        schedules = Schedule.objects.filter(group=group, location=location, weekday__in=list(WORKDAYS),
                                            valid_from__isnull=True, valid_until__isnull=True)
        for schedule in schedules.order_by("weekday", "start"):
            template.schedules.setdefault(schedule.weekday, []).append((schedule.start, schedule.end))
            template.counters, template.online_quota = schedule.counters, schedule.online_quota
    return template


@transaction.atomic
def apply_week_template(location: Location, template: WeekTemplate) -> dict[str, int]:
    """Replace the location's weekly hours (per kind given) and the group's weekly schedules for
    Monday to Friday. Returns how many windows were saved per kind (``schedule`` for schedules)."""
    if template.group is not None and template.group.authority_id != location.authority_id:
        raise SetupError(_("Die Leistungsgruppe gehört zu einer anderen Behörde."), 403)
    saved: dict[str, int] = {}
    for kind, days in template.hours.items():
        _plain_weekly_rules(location, [kind], WORKDAYS).delete()
        saved[kind] = 0
        for weekday in WORKDAYS:
            for start, end in sorted(days.get(weekday, [])):
                _saved(HoursRule(location=location, kind=kind, weekday=weekday, start=start, end=end))
                saved[kind] += 1
    if template.group is not None:
        if template.counters < 1 or not 0 <= template.online_quota <= template.counters:
            raise SetupError(_("Es können nicht mehr Schalter online buchbar sein, als es gibt."))
        Schedule.objects.filter(group=template.group, location=location, weekday__in=list(WORKDAYS),
                                valid_from__isnull=True, valid_until__isnull=True).delete()
        saved["schedule"] = 0
        for weekday in WORKDAYS:
            for start, end in sorted(template.schedules.get(weekday, [])):
                _saved(Schedule(group=template.group, location=location, weekday=weekday, start=start,
                                end=end, counters=template.counters, online_quota=template.online_quota))
                saved["schedule"] += 1
    return saved


@transaction.atomic
def copy_week(source: Location, target: Location, *, hours: bool = True, schedules: bool = True
              ) -> dict[str, int]:
    """Copy the location-wide hours (all kinds, all weekdays, with their validity) and the schedules
    (weekly ones and dated ones from today on) of ``source`` to ``target``, replacing the target's."""
    if source.pk == target.pk:
        raise SetupError(_("Bitte wählen Sie einen anderen Standort als Vorlage."))
    if source.authority_id != target.authority_id:
        raise SetupError(_("Der Standort gehört zu einer anderen Behörde."), 403)
    copied = {"hours": 0, "schedules": 0}
    if hours:
        HoursRule.objects.filter(location=target, team__isnull=True, kind__in=COPY_KINDS).delete()
        # Opening hours first: the schedules are checked against them.
        for rule in HoursRule.objects.filter(location=source, team__isnull=True, kind__in=COPY_KINDS
                                             ).order_by("kind", "weekday", "start"):
            _saved(HoursRule(location=target, kind=rule.kind, weekday=rule.weekday, start=rule.start,
                             end=rule.end, valid_from=rule.valid_from, valid_until=rule.valid_until,
                             note=rule.note))
            copied["hours"] += 1
    if schedules:
        Schedule.objects.filter(location=target).delete()
        today = timezone.localdate()
        rows = Schedule.objects.filter(location=source).exclude(date__lt=today).select_related("group")
        for schedule in rows.order_by("group_id", "date", "weekday", "start"):
            _saved(Schedule(group=schedule.group, location=target, weekday=schedule.weekday,
                            date=schedule.date, start=schedule.start, end=schedule.end,
                            counters=schedule.counters,
                            online_quota=schedule.online_quota, same_day_only=schedule.same_day_only,
                            valid_from=schedule.valid_from, valid_until=schedule.valid_until))
            copied["schedules"] += 1
    return copied
