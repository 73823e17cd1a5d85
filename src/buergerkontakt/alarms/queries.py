"""Reads of the silent alarm: what a client is shown, who is coming, who is reachable."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location, Role, User
from buergerkontakt.core.permissions import has_role

from . import recipients
from .models import Alarm, Delivery, Workstation
from .services import offline_q


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def alarm_payload(alarm_id: int) -> dict:
    alarm = Alarm.objects.select_related("room__floor__location", "raised_by").get(pk=alarm_id)
    return {
        "id": alarm.pk,
        "level": alarm.level,
        "level_label": alarm.get_level_display(),
        "room": alarm.room.number,
        "room_name": alarm.room.name,
        "floor": alarm.room.floor.name,
        "location": alarm.room.floor.location.name,
        "location_id": alarm.location_id,
        "person": _name(alarm.raised_by),
        "raised_at": alarm.raised_at.isoformat(),
        "time": alarm.raised_at.astimezone(local_zone()).strftime("%H:%M:%S"),
        "drill": alarm.is_drill,
        "trigger_id": alarm.raised_by_id,
    }


def instruction(level: int, role: str, room: str) -> str:
    """What the recipient should do – never sends colleagues into the room at level 3."""
    if level >= 3:
        if role == recipients.SECURITY:
            return _(
                "Polizei über 110 verständigen (Waffe/Amok/Geisel). Lage vor Ort nur aus sicherer "
                "Entfernung erkunden."
            )
        return _(
            "Gefahr im Gebäude: Meiden Sie Raum %(room)s und den Flur davor. Schließen Sie Ihre Tür, "
            "bleiben Sie im Raum und warten Sie auf Entwarnung."
        ) % {"room": room}
    if role == recipients.SECURITY:
        return _("Bitte sofort hingehen und 110 verständigen, wenn die Lage es erfordert.")
    if level == 2:
        return _("Bitte kommen Sie – der Sicherheitsdienst ist informiert.")
    return _("Bitte kommen Sie als Zeugin oder Zeuge dazu.")


def responders(alarm_id: int) -> list[dict]:
    rows = (
        Delivery.objects.filter(alarm_id=alarm_id)
        .exclude(response="")
        .select_related("user")
        .order_by("responded_at")
    )
    return [{"name": _name(d.user), "response": d.response, "label": d.get_response_display()} for d in rows]


def active_for(user: User) -> tuple[list[dict], list[dict]]:
    """The active alarms the user must see as recipient, and those they raised (for (re)connecting
    clients)."""
    result = []
    for delivery in Delivery.objects.filter(user=user, alarm__status=Alarm.Status.ACTIVE).order_by(
        "alarm__raised_at"
    ):
        payload = alarm_payload(delivery.alarm_id)
        result.append(
            {
                "alarm": payload,
                "role": delivery.role,
                "instruction": instruction(payload["level"], delivery.role, payload["room"]),
                "response": delivery.response,
            }
        )
    own = Alarm.objects.filter(raised_by=user, status=Alarm.Status.ACTIVE).values_list("pk", flat=True)
    return result, [{"alarm": alarm_payload(pk), "responders": responders(pk)} for pk in own]


def reachable(user: User, workstation: Workstation | None, now: datetime | None = None) -> int:
    """How many recipients of a level-2 alarm from here are online right now (0: warn the user)."""
    now = now or timezone.now()
    room = workstation.room if workstation else user.workstation_room
    if room is None:
        return 0
    ids = [r.user_id for r in recipients.initial(room, 2, user)]
    return (
        Workstation.objects.filter(is_active=True, last_user_id__in=ids)
        .exclude(offline_q(now))
        .values("last_user_id")
        .distinct()
        .count()
    )


def security_locations(user: User) -> list[Location]:
    """Locations of the user's authority where they hold the security role (their consoles)."""
    return [location for location in Location.objects.filter(authority_id=user.authority_id)
            if has_role(user, Role.SECURITY, obj=location)]
