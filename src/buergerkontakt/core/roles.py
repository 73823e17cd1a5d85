"""Granting the sensitive roles (register keeper, DPO) with four eyes, and the refusals.

* :func:`request_role` – an administrator (or the operator) asks for a register/DPO role for
  somebody else; never for oneself.
* :func:`decide` – the DPO of the authority (or the operator, a superuser) approves or rejects;
  never the requester and never the person concerned. Approval creates the role assignment.
* :func:`refuse` – every refused attempt to escalate (own roles, sensitive roles without a
  request, credential resets of register/DPO holders) is logged on ``buergerkontakt.security``
  with ids only and answered with a German message.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import Authority, Role, RoleAssignment, RoleRequest, User
from .permissions import has_role

security_log = logging.getLogger("buergerkontakt.security")

SENSITIVE_ROLES = frozenset({Role.REGISTER_KEEPER, Role.DPO})
"""Roles that open the incident register or its log: granted only through a role request."""


class RoleError(ServiceError):
    """A refused role grant, with a German message."""


def refuse(actor, what: str, *, target_id: int | None = None, role: str = "") -> None:
    """Log a refused escalation attempt (ids and codes only, no names)."""
    security_log.warning(
        "Rechteausweitung verweigert: %s (handelnd: Konto %s, betroffen: Konto %s, Rolle: %s)",
        what,
        getattr(actor, "pk", None),
        target_id,
        role or "–",
    )


def holds_sensitive_role(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user, role__in=SENSITIVE_ROLES).exists()


def may_decide(actor: User, request: RoleRequest) -> bool:
    if actor.pk in (request.requested_by_id, request.user_id):
        return False
    return actor.is_superuser or has_role(actor, Role.DPO, obj=Authority(pk=request.authority_id))


def check_request(actor: User, user: User, role: str, authority: Authority) -> None:
    if role not in SENSITIVE_ROLES:
        raise RoleError(_("Rollenanträge gibt es nur für die Zentrale Stelle und den Datenschutz."))
    if actor.pk == user.pk:
        refuse(actor, "Rollenantrag für sich selbst", target_id=user.pk, role=role)
        raise RoleError(_("Eine Rolle können Sie nicht für sich selbst beantragen."), 403)
    if user.authority_id != authority.pk:
        raise RoleError(_("Die Person gehört nicht zu dieser Behörde."))
    if RoleRequest.objects.filter(
        user=user, role=role, authority=authority, status=RoleRequest.Status.REQUESTED
    ).exists():
        raise RoleError(_("Für diese Person und Rolle gibt es bereits einen offenen Antrag."), 409)


@transaction.atomic
def request_role(actor: User, user: User, role: str, authority: Authority) -> RoleRequest:
    check_request(actor, user, role, authority)
    security_log.info("Rollenantrag gestellt (Konto %s für Konto %s, Rolle %s)", actor.pk, user.pk, role)
    return RoleRequest.objects.create(user=user, role=role, authority=authority, requested_by=actor)


@transaction.atomic
def decide(actor: User, request: RoleRequest, *, approve: bool) -> RoleRequest:
    request = RoleRequest.objects.select_for_update().get(pk=request.pk)
    if not may_decide(actor, request):
        refuse(actor, "Entscheidung über Rollenantrag ohne Befugnis", target_id=request.user_id,
               role=request.role)
        raise RoleError(
            _(
                "Über Rollenanträge entscheidet der Datenschutz der Behörde – nicht die beantragende "
                "oder die betroffene Person."
            ),
            403,
        )
    if request.status != RoleRequest.Status.REQUESTED:
        raise RoleError(_("Über diesen Antrag ist bereits entschieden."), 409)
    request.status = RoleRequest.Status.APPROVED if approve else RoleRequest.Status.REJECTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        RoleAssignment.objects.get_or_create(user=request.user, role=request.role,
                                             authority=request.authority, location=None, team=None)
    security_log.info("Rollenantrag %s: %s (Konto %s)", request.pk, request.status, actor.pk)
    return request
