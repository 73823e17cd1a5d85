"""Reads shared by the staff pages and the API: querysets already filtered by permission.

Who sees which tickets (deny by default):

* case workers and team leads: the tickets of the teams their role assignments cover;
* agents (Servicecenter) and administrators: every ticket of their authority, read-only, so the
  phone centre can tell a caller where their callback stands;
* nobody else.

Who may *work* a ticket (log attempts, pause, reassign): case workers and team leads covering the
ticket's team (:func:`can_work`). Team leads may give it to anybody in the team, case workers take
it themselves or put it back into the pool.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from buergerkontakt.core.models import Authority, Role, Team, User
from buergerkontakt.core.permissions import authority_ids_for, has_role, team_ids_for
from buergerkontakt.directory.models import Service

from .models import Ticket

WORK_ROLES = (Role.CASEWORKER, Role.TEAMLEAD)
CREATE_ROLES = (Role.AGENT, Role.ADMIN)
BROAD_READ_ROLES = (Role.AGENT, Role.ADMIN)
STAFF_PAGE_ROLES = (Role.AGENT, Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN)


def visible_q(user) -> Q:
    teams = team_ids_for(user, *WORK_ROLES)
    authorities = authority_ids_for(user, *BROAD_READ_ROLES)
    return Q(team_id__in=teams) | Q(authority_id__in=authorities)


def visible_tickets(user) -> QuerySet[Ticket]:
    return (Ticket.objects.filter(visible_q(user))
            .select_related("team", "assignee", "service", "team__location"))


def ticket_for(user, number: str) -> Ticket | None:
    return visible_tickets(user).filter(number=(number or "").strip().upper()[:20]).first()


def can_work(user, ticket: Ticket) -> bool:
    return has_role(user, *WORK_ROLES, obj=ticket)


def can_lead(user, ticket: Ticket) -> bool:
    return has_role(user, Role.TEAMLEAD, obj=ticket)


def worklist_teams(user) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=team_ids_for(user, *WORK_ROLES)).order_by("name")


def worklist(user, *, view: str = "mine", team: Team | None = None, closed: bool = False
             ) -> QuerySet[Ticket]:
    """The worklist, ordered by deadline (paused tickets, without a deadline, last).

    ``view`` "mine": the user's own tickets and the pools of their teams; "team": every ticket of
    the user's teams (or of ``team``).
    """
    teams = team_ids_for(user, *WORK_ROLES)
    if team is not None:
        teams &= {team.pk}
    tickets = visible_tickets(user).filter(team_id__in=teams)
    if view == "mine":
        tickets = tickets.filter(Q(assignee=user) | Q(assignee__isnull=True))
    if closed:
        return tickets.exclude(status=Ticket.Status.OPEN).order_by("-closed_at", "-pk")
    return tickets.filter(status=Ticket.Status.OPEN).order_by(F("due_at").asc(nulls_last=True), "pk")


def creating_authority(user) -> Authority | None:
    """The authority an agent creates tickets for (their own, if they may create there)."""
    allowed = authority_ids_for(user, *CREATE_ROLES)
    if not allowed:
        return None
    authority_id = user.authority_id if user.authority_id in allowed else min(allowed)
    return Authority.objects.filter(pk=authority_id).first()


def services_of(authority: Authority) -> QuerySet[Service]:
    return Service.objects.filter(authority=authority).order_by("name")


def teams_of(authority: Authority) -> QuerySet[Team]:
    return Team.objects.filter(authority=authority).order_by("name")


def assignable(ticket: Ticket) -> QuerySet[User]:
    return ticket.team.members.filter(is_active=True).order_by("last_name", "first_name")
