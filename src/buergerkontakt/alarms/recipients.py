"""Who an alarm reaches, after the Aachener Modell, in circles (nearest first).

Level 1 (verbal aggression): colleagues in the neighbour rooms (configured per room; none
configured → the same floor) and the trigger's team leads come as witnesses.
Level 2 (threat, violence): also the location's security and management; security is told to
call 110.
Level 3 (weapon, Amok, hostage): security with the police instruction, and every colleague at the
location gets a silent lockdown message that names the room to avoid.

Colleagues are found where they work now (their current workplace, alarms/workplace.py) and in
their home room from the staff profile – both, since one more witness is better than one too few.
When the trigger's room is unknown there are no neighbours: security (at every level) and the team
leads are told, with the person's name and last known place.

Circle 1 (sent first): neighbours and security. Circle 2: team leads, management, the building
(level 3). Escalation widens an unanswered alarm to the floor (circle 3), then the whole building
and security (circle 4). Only staff of the same authority are ever recipients; never the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from buergerkontakt.core.models import Role, RoleAssignment, Room, User
from buergerkontakt.core.phones import sms_number

from .workplace import occupant_ids

NEIGHBOUR, SECURITY, LEAD, MANAGEMENT, FLOOR, BUILDING = (
    "neighbour",
    "security",
    "lead",
    "management",
    "floor",
    "building",
)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    role: str
    circle: int


def _staff(authority_id: int):
    return User.objects.filter(is_active=True, authority_id=authority_id)


def neighbour_rooms(room: Room) -> list[int]:
    configured = list(room.neighbours.values_list("pk", flat=True))
    if configured:
        return configured
    return list(Room.objects.filter(floor_id=room.floor_id).exclude(pk=room.pk).values_list("pk", flat=True))


def role_holders(role: str, *, authority_id: int, location_id: int, team_ids=()) -> set[int]:
    """Users holding ``role`` covering the location (authority- or location-wide) or one of the teams."""
    scope = Q(authority_id=authority_id, location__isnull=True, team__isnull=True) | Q(
        location_id=location_id
    )
    if team_ids:
        scope |= Q(team_id__in=list(team_ids))
    return set(
        RoleAssignment.objects.filter(
            scope, role=role, user__is_active=True, user__authority_id=authority_id
        ).values_list("user_id", flat=True)
    )


def security_staff(*, authority_id: int, location_id: int) -> list[User]:
    """Active security staff covering the location (authority-wide or for this location), by name."""
    return list(User.objects.filter(
        pk__in=role_holders(Role.SECURITY, authority_id=authority_id, location_id=location_id)
    ).order_by("last_name", "first_name", "pk"))


def security_mobiles(*, authority_id: int, location_id: int) -> list[str]:
    """The E.164 mobile numbers for alarm SMS of the location's security (the SMS fallback). Only
    ``User.alarm_mobile`` counts – never the desk extension ``User.phone``."""
    numbers = (sms_number(u.alarm_mobile) for u in security_staff(authority_id=authority_id,
                                                                     location_id=location_id))
    return sorted({n for n in numbers if n})


def _in_rooms(authority_id: int, room_ids) -> set[int]:
    """Staff working in one of the rooms now, or with it as their home room."""
    room_ids = list(room_ids)
    home = set(_staff(authority_id).filter(workstation_room_id__in=room_ids).values_list("pk", flat=True))
    return home | occupant_ids(room_ids, authority_id=authority_id)


def _at_location(authority_id: int, location_id: int) -> set[int]:
    """Staff working at the location now, or with a home room there."""
    home = _staff(authority_id).filter(workstation_room__floor__location_id=location_id)
    home = set(home.values_list("pk", flat=True))
    rooms = Room.objects.filter(floor__location_id=location_id).values_list("pk", flat=True)
    return home | occupant_ids(rooms, authority_id=authority_id)


def initial(
    room: Room | None, level: int, raised_by: User, *, drill: bool = False, location_id: int | None = None
) -> list[Recipient]:
    """The recipients when the alarm is raised, circle 1 first. A drill simulates an alarm from
    ``room``: the team leads are those of the staff working there, and the planner (security) is a
    recipient too, so that the drill measures security's receipt as well. ``room`` None: the place
    is unknown (``location_id`` is the last known location) – security and the team leads first."""
    authority_id = raised_by.authority_id
    location_id = room.floor.location_id if room is not None else location_id
    chosen: dict[int, Recipient] = {}

    def add(user_ids, role: str, circle: int) -> None:
        for uid in sorted(user_ids):
            if (drill or uid != raised_by.pk) and uid not in chosen:
                chosen[uid] = Recipient(uid, role, circle)

    if room is not None:
        add(_in_rooms(authority_id, neighbour_rooms(room)), NEIGHBOUR, 1)
    if level >= 2 or room is None:
        add(role_holders(Role.SECURITY, authority_id=authority_id, location_id=location_id), SECURITY, 1)
    occupants = User.teams.through.objects.filter(user__workstation_room=room) if drill else None
    team_ids = list(
        occupants.values_list("team_id", flat=True) if drill else raised_by.teams.values_list("pk", flat=True)
    )
    leads = (
        set(
            RoleAssignment.objects.filter(role=Role.TEAMLEAD, team_id__in=team_ids).values_list(
                "user_id", flat=True
            )
        )
        if team_ids
        else set()
    )
    add(leads, LEAD, 2 if room is not None else 1)
    if level >= 2:
        management = set(
            RoleAssignment.objects.filter(
                Q(location_id=location_id)
                | Q(authority_id=authority_id, location__isnull=True, team__isnull=True),
                role=Role.TEAMLEAD,
                user__authority_id=authority_id,
            ).values_list("user_id", flat=True)
        )
        add(management, MANAGEMENT, 2)
    if level >= 3:
        add(_at_location(authority_id, location_id), BUILDING, 2)
    return sorted(chosen.values(), key=lambda r: (r.circle, r.user_id))


def widening(
    room: Room | None, raised_by: User, circle: int, already: set[int], *, location_id: int | None = None
) -> list[Recipient]:
    """Nobody confirmed receipt: the next circle (3 = the floor, 4 = the building and security).
    An alarm from an unknown room has no floor: it widens to the building at once."""
    authority_id = raised_by.authority_id
    location_id = room.floor.location_id if room is not None else location_id
    if circle == 3:
        if room is None:
            return []
        ids = set(
            _staff(authority_id).filter(workstation_room__floor_id=room.floor_id).values_list("pk", flat=True)
        )
        ids |= occupant_ids(room.floor.rooms.values_list("pk", flat=True), authority_id=authority_id)
        role = FLOOR
    elif circle == 4:
        ids = _at_location(authority_id, location_id)
        ids |= role_holders(Role.SECURITY, authority_id=authority_id, location_id=location_id)
        role = BUILDING
    else:
        return []
    return [Recipient(uid, role, circle) for uid in sorted(ids - already - {raised_by.pk})]
