"""Scoped roles: who may do what where.

A role assignment covers an authority, one location or one team. An object's scope is the triple
(authority, location, team) it belongs to; an assignment covers the object when its narrowest set
field matches. Everything is denied unless an assignment says otherwise. ``rules`` predicates built
on this are registered in ``rules.py`` of each app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import Q

from .models import Authority, Floor, Location, Role, RoleAssignment, Room, Team, User

STAFF_ROLES = frozenset(Role.values) - {Role.PROFESSIONAL}


@dataclass(frozen=True)
class Scope:
    authority_id: int | None
    location_id: int | None = None
    team_id: int | None = None


def scope_of(obj: Any) -> Scope | None:
    """The organisational scope an object belongs to (None if it has none)."""
    if obj is None:
        return None
    if isinstance(obj, Scope):
        return obj
    if isinstance(obj, Authority):
        return Scope(obj.pk)
    if isinstance(obj, Location):
        return Scope(obj.authority_id, obj.pk)
    if isinstance(obj, Team):
        return Scope(obj.authority_id, obj.location_id, obj.pk)
    if isinstance(obj, Floor):
        return Scope(obj.location.authority_id, obj.location_id)
    if isinstance(obj, Room):
        return Scope(obj.floor.location.authority_id, obj.floor.location_id)
    if isinstance(obj, User):
        return Scope(obj.authority_id)
    # Objects of other apps expose the scope they belong to.
    if hasattr(obj, "permission_scope"):
        return scope_of(obj.permission_scope())
    return None


def assignments(user: Any) -> list[RoleAssignment]:
    """The user's role assignments, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_bk_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("team", "location"))
        user._bk_assignments = cached
    return cached


def covers(assignment: RoleAssignment, scope: Scope) -> bool:
    if assignment.team_id is not None:
        return scope.team_id == assignment.team_id
    if assignment.location_id is not None:
        return scope.location_id == assignment.location_id
    if assignment.authority_id is not None:
        return scope.authority_id == assignment.authority_id
    return False


def has_role(user: Any, *roles: str, obj: Any = None) -> bool:
    """True if the user holds one of ``roles`` (anywhere when obj is None, else covering obj)."""
    wanted = set(roles)
    scope = scope_of(obj)
    for assignment in assignments(user):
        if assignment.role not in wanted:
            continue
        if obj is None or (scope is not None and covers(assignment, scope)):
            return True
    return False


def roles_of(user: Any) -> set[str]:
    return {a.role for a in assignments(user)}


def is_staff_member(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def team_ids_for(user: Any, *roles: str) -> set[int]:
    """Ids of all teams the user's assignments in ``roles`` cover."""
    result: set[int] = set()
    for assignment in assignments(user):
        if assignment.role not in roles:
            continue
        if assignment.team_id is not None:
            result.add(assignment.team_id)
        elif assignment.location_id is not None:
            result.update(Team.objects.filter(location_id=assignment.location_id)
                          .values_list("pk", flat=True))
        elif assignment.authority_id is not None:
            result.update(Team.objects.filter(authority_id=assignment.authority_id)
                          .values_list("pk", flat=True))
    return result


def locations_q(user: Any, *roles: str) -> Q:
    """Locations the user's assignments in ``roles`` cover: a team's location, one location, or
    every location of the authority (matches nothing without such an assignment)."""
    condition = Q(pk__in=[])
    for assignment in assignments(user):
        if assignment.role not in roles or not assignment.authority_id:
            continue
        if assignment.team_id is not None:
            condition |= Q(pk=assignment.team.location_id)
        elif assignment.location_id is not None:
            condition |= Q(pk=assignment.location_id)
        else:
            condition |= Q(authority_id=assignment.authority_id)
    return condition


def authority_ids_for(user: Any, *roles: str) -> set[int]:
    return {a.authority_id for a in assignments(user) if a.role in roles and a.authority_id}


# --- rules predicates -------------------------------------------------------------------------
@rules.predicate
def staff_member(user: Any) -> bool:
    return is_staff_member(user)


def role_predicate(*roles: str) -> rules.Predicate:
    """A predicate: the user holds one of ``roles`` covering the object (or anywhere, no object)."""

    def check(user: Any, obj: Any = None) -> bool:
        return has_role(user, *roles, obj=obj)

    return rules.predicate(check, name=f"has_role:{'|'.join(roles)}")


is_admin = role_predicate(Role.ADMIN)
is_teamlead = role_predicate(Role.TEAMLEAD)
is_professional = role_predicate(Role.PROFESSIONAL)
