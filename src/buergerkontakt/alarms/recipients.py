"""Who an alarm reaches, after the Aachener Modell, in circles (nearest first).

Level 1 (verbal aggression): colleagues in the neighbour rooms (configured per room; none
configured → the same floor) and the trigger's team leads come as witnesses.
Level 2 (threat, violence): also the location's security and management; security is told to
call 110.
Level 3 (weapon, Amok, hostage): security with the police instruction, and every colleague at the
location gets a silent lockdown message that names the room to avoid.

Circle 1 (sent first): neighbours and security. Circle 2: team leads, management, the building
(level 3). Escalation widens an unanswered alarm to the floor (circle 3), then the whole building
and security (circle 4). Only staff of the same authority are ever recipients; never the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from buergerkontakt.core.models import Role, RoleAssignment, Room, User

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


def initial(room: Room, level: int, raised_by: User, *, drill: bool = False) -> list[Recipient]:
    """The recipients when the alarm is raised, circle 1 first. A drill simulates an alarm from
    ``room``: the team leads are those of the staff working there, and the planner (security) is a
    recipient too, so that the drill measures security's receipt as well."""
    authority_id, location_id = raised_by.authority_id, room.floor.location_id
    chosen: dict[int, Recipient] = {}

    def add(user_ids, role: str, circle: int) -> None:
        for uid in sorted(user_ids):
            if (drill or uid != raised_by.pk) and uid not in chosen:
                chosen[uid] = Recipient(uid, role, circle)

    add(
        _staff(authority_id)
        .filter(workstation_room_id__in=neighbour_rooms(room))
        .values_list("pk", flat=True),
        NEIGHBOUR,
        1,
    )
    if level >= 2:
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
    add(leads, LEAD, 2)
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
        add(
            _staff(authority_id)
            .filter(workstation_room__floor__location_id=location_id)
            .values_list("pk", flat=True),
            BUILDING,
            2,
        )
    return sorted(chosen.values(), key=lambda r: (r.circle, r.user_id))


def widening(room: Room, raised_by: User, circle: int, already: set[int]) -> list[Recipient]:
    """Nobody confirmed receipt: the next circle (3 = the floor, 4 = the building and security)."""
    authority_id, location_id = raised_by.authority_id, room.floor.location_id
    if circle == 3:
        ids = set(
            _staff(authority_id).filter(workstation_room__floor_id=room.floor_id).values_list("pk", flat=True)
        )
        role = FLOOR
    elif circle == 4:
        ids = set(
            _staff(authority_id)
            .filter(workstation_room__floor__location_id=location_id)
            .values_list("pk", flat=True)
        )
        ids |= role_holders(Role.SECURITY, authority_id=authority_id, location_id=location_id)
        role = BUILDING
    else:
        return []
    return [Recipient(uid, role, circle) for uid in sorted(ids - already - {raised_by.pk})]
