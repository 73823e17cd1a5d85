"""Reads of the incident register, already filtered by permission (deny by default).

Who sees what:

* any staff member of an authority: the report form, their own access requests;
* register keepers (Zentrale Stelle): the reports and entries of their authority, in full;
* staff with an approved, unexpired access grant (and keepers): lookups – answered only with
  :class:`~.services.Hint` (level and recommended measures), never details;
* the responsible case worker: the same minimal hint on an appointment or callback ticket;
* team leads of the reporter's teams: the key data of a report (aftercare), no narrative;
* team leads / administrators: access requests of the people they lead;
* the DPO: every log line, Art. 15 exports, and a report's narrative only by a logged inspection.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Authority, Location, Role, Room, User
from buergerkontakt.core.permissions import authority_ids_for, has_role, roles_of, team_ids_for

from . import services
from .models import AccessGrant, Entry, LogEntry, Report

KEEPER = Role.REGISTER_KEEPER
HINT_ROLES = (Role.CASEWORKER, Role.TEAMLEAD)
DECIDER_ROLES = (Role.TEAMLEAD, Role.ADMIN)


def is_keeper(user) -> bool:
    return has_role(user, KEEPER)


def is_dpo(user) -> bool:
    return has_role(user, Role.DPO)


def keeper_authority_ids(user) -> set[int]:
    return authority_ids_for(user, KEEPER)


def can_report(user) -> bool:
    return bool(getattr(user, "authority_id", None)) and bool(roles_of(user) - {Role.PROFESSIONAL})


# --- reports ---------------------------------------------------------------------------------------
def reports_for_keeper(user) -> QuerySet[Report]:
    return Report.objects.filter(authority_id__in=keeper_authority_ids(user)).select_related(
        "location", "room", "reported_by"
    )


def report_for_keeper(user, pk: int) -> Report | None:
    report = Report.objects.select_related("location", "room__floor", "reported_by").filter(pk=pk).first()
    if report is None or not has_role(user, KEEPER, obj=report.location):
        return None
    return report


def report_for_aftercare(user, pk: int) -> Report | None:
    """The report's key data for a team lead of one of the reporter's teams."""
    report = Report.objects.select_related("location", "room", "reported_by").filter(pk=pk).first()
    if report is None or report.reported_by is None:
        return None
    led = team_ids_for(user, Role.TEAMLEAD)
    if not report.reported_by.teams.filter(pk__in=led).exists():
        return None
    return report


def report_for_dpo(user, pk: int) -> Report | None:
    report = Report.objects.select_related("location", "room__floor", "reported_by").filter(pk=pk).first()
    if report is None or not has_role(user, Role.DPO, obj=report.location):
        return None
    return report


def reports_for_dpo(user) -> QuerySet[Report]:
    return Report.objects.filter(authority_id__in=authority_ids_for(user, Role.DPO)).select_related(
        "location"
    )


def form_locations(user) -> QuerySet[Location]:
    return Location.objects.filter(authority_id=user.authority_id).order_by("name")


def form_rooms(user) -> QuerySet[Room]:
    return (
        Room.objects.filter(floor__location__authority_id=user.authority_id)
        .select_related("floor__location")
        .order_by("floor__location__name", "floor__level", "number")
    )


def form_staff(user) -> QuerySet[User]:
    return User.objects.filter(authority_id=user.authority_id, is_active=True).order_by(
        "last_name", "first_name"
    )


# --- entries ---------------------------------------------------------------------------------------
def entries_for_keeper(user) -> QuerySet[Entry]:
    return Entry.objects.filter(authority_id__in=keeper_authority_ids(user)).select_related(
        "created_by", "approved_by"
    )


def entry_for_keeper(user, pk: int) -> Entry | None:
    entry = Entry.objects.select_related("created_by", "approved_by", "authority").filter(pk=pk).first()
    if entry is None or not has_role(user, KEEPER, obj=entry.authority):
        return None
    return entry


def entry_for_dpo(user, pk: int) -> Entry | None:
    entry = Entry.objects.select_related("authority").filter(pk=pk).first()
    if entry is None or not has_role(user, Role.DPO, obj=entry.authority):
        return None
    return entry


def keeper_authority(user) -> Authority | None:
    ids = keeper_authority_ids(user)
    if not ids:
        return None
    return Authority.objects.filter(pk=user.authority_id if user.authority_id in ids else min(ids)).first()


def dpo_authority(user) -> Authority | None:
    ids = authority_ids_for(user, Role.DPO)
    if not ids:
        return None
    return Authority.objects.filter(pk=user.authority_id if user.authority_id in ids else min(ids)).first()


# --- access ----------------------------------------------------------------------------------------
def active_grant(user, day: date | None = None) -> AccessGrant | None:
    if not getattr(user, "is_authenticated", False) or not user.authority_id:
        return None
    day = day or timezone.localdate()
    return (
        AccessGrant.objects.filter(
            user=user,
            authority_id=user.authority_id,
            status=AccessGrant.Status.APPROVED,
            valid_until__gte=day,
        )
        .order_by("-valid_until")
        .first()
    )


def can_lookup(user) -> bool:
    return is_keeper(user) or active_grant(user) is not None


def own_grants(user) -> QuerySet[AccessGrant]:
    return AccessGrant.objects.filter(user=user).select_related("decided_by")


def grants_to_decide(user) -> list[AccessGrant]:
    """Access requests and grants of the people the user leads (team lead) or administers."""
    admin_authorities = authority_ids_for(user, Role.ADMIN)
    led_teams = team_ids_for(user, Role.TEAMLEAD)
    condition = Q(authority_id__in=admin_authorities) | Q(user__teams__in=led_teams)
    grants = (
        AccessGrant.objects.filter(condition)
        .exclude(user=user)
        .select_related("user", "decided_by")
        .distinct()
        .order_by("-requested_at")
    )
    return [g for g in grants if services.can_decide_access(user, g)]


def can_decide_any(user) -> bool:
    return bool(roles_of(user) & set(DECIDER_ROLES))


# --- hints on appointments and callbacks -------------------------------------------------------------
def may_see_hint(user, *, assignee_id: int | None, authority_id: int) -> bool:
    """The responsible case worker *with* an approved, unexpired register access of that
    authority (SPEC §6): the assigned person, or – while nobody is assigned – case workers and
    team leads of the authority. Callers show the hint only on pages whose own permission check
    already let the user see the appointment or ticket."""
    if authority_id not in authority_ids_for(user, *HINT_ROLES):
        return False
    if not (assignee_id is None or assignee_id == user.pk):
        return False
    grant = active_grant(user)
    return grant is not None and grant.authority_id == authority_id


def safety_hint_for(
    user,
    *,
    authority_id: int,
    name: str = "",
    birth_date: date | None = None,
    case_number: str = "",
    purpose: str,
    action: str = LogEntry.Action.LOOKUP,
    object_ref: str = "",
) -> services.Hint | None:
    """The minimal hint for a person on a page (None when nothing matches); a match is logged."""
    return services.hint_for_object(
        user,
        authority_id=authority_id,
        action=action,
        object_ref=object_ref,
        purpose=purpose,
        name=name,
        birth_date=birth_date,
        case_number=case_number,
    )


def hint_for_appointment(user, appointment) -> services.Hint | None:
    location = appointment.location
    if not may_see_hint(user, assignee_id=appointment.staff_id, authority_id=location.authority_id):
        return None
    if not (appointment.name or appointment.case_number):
        return None
    start = timezone.localtime(appointment.start)
    return safety_hint_for(
        user,
        authority_id=location.authority_id,
        name=appointment.name,
        case_number=appointment.case_number,
        purpose=f"Termin {appointment.code} am {start:%d.%m.%Y %H:%M}",
        action=LogEntry.Action.HINT_APPOINTMENT,
        object_ref=f"appointment:{appointment.pk}",
    )


def hint_for_ticket(user, ticket) -> services.Hint | None:
    if not may_see_hint(user, assignee_id=ticket.assignee_id, authority_id=ticket.authority_id):
        return None
    return safety_hint_for(
        user,
        authority_id=ticket.authority_id,
        name=ticket.caller_name,
        case_number=ticket.case_number,
        purpose=f"Rückrufticket {ticket.number}",
        action=LogEntry.Action.HINT_CALLBACK,
        object_ref=f"callback:{ticket.number}",
    )


# --- alarms ------------------------------------------------------------------------------------------
def alarm_for_report(user, alarm_id) -> object | None:
    """The alarm a report is started from, if the user may see it: its trigger, a recipient, or
    security of its location."""
    from buergerkontakt.alarms.models import Alarm, Delivery

    try:
        pk = int(alarm_id)
    except (TypeError, ValueError):
        return None
    alarm = Alarm.objects.select_related("room__floor__location", "raised_by").filter(pk=pk).first()
    if alarm is None or alarm.authority_id != user.authority_id:
        return None
    if (
        alarm.raised_by_id == user.pk
        or Delivery.objects.filter(alarm=alarm, user=user).exists()
        or has_role(user, Role.SECURITY, obj=alarm.location)
    ):
        return alarm
    return None


def alarm_prefill(alarm) -> dict:
    """Initial form values from an alarm: time, place, level, who responded, the timeline as text."""
    from buergerkontakt.alarms.models import Delivery

    responders = [
        d.user for d in Delivery.objects.filter(alarm=alarm).exclude(response="").select_related("user")
    ]
    staff = [alarm.raised_by, *[u for u in responders if u.pk != alarm.raised_by_id]]
    lines = []
    for event in alarm.timeline.select_related("user"):
        who = (event.user.get_full_name() or event.user.get_username()) if event.user else ""
        parts = [
            timezone.localtime(event.at).strftime("%H:%M:%S"),
            str(event.get_kind_display()),
            who,
            event.detail,
        ]
        lines.append(" – ".join(p for p in parts if p))
    summary = _("Ablauf laut Alarm-Zeitleiste:") + "\n" + "\n".join(lines) + "\n\n" + _("Schilderung:") + "\n"
    return {
        "occurred_at": timezone.localtime(alarm.raised_at).replace(second=0, microsecond=0, tzinfo=None),
        "location": alarm.location_id,
        "room": alarm.room_id,
        "level": alarm.level,
        "staff_involved": [u.pk for u in staff],
        "narrative": summary,
        "alarm": alarm.pk,
    }


# --- logs ------------------------------------------------------------------------------------------
def logs_for_dpo(user) -> QuerySet[LogEntry]:
    return LogEntry.objects.filter(authority_id__in=authority_ids_for(user, Role.DPO)).select_related("user")


# --- Art. 14 letters -------------------------------------------------------------------------------
def letters_for_keeper(user):
    from .models import SubjectLetter

    return (SubjectLetter.objects.filter(entry__authority_id__in=keeper_authority_ids(user))
            .select_related("entry", "entry__authority").order_by("status", "created_at", "pk"))
