"""Public write API of the directory sign-in: provisioning, group → role mapping, leavers.

:func:`sign_in` runs at every directory sign-in (LDAP and OpenID Connect): it links the user to the
directory entry, applies the group mappings (new groups add roles, missing groups take the mapped roles
away at once) and says whether the account may sign in at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import RoleAssignment, User

from .models import DirectoryAccount, GroupRoleMapping, MappedAssignment

NO_ROLE = _("Ihr Konto hat noch keine Rolle in Bürgerkontakt. Bitte wenden Sie sich an die "
            "Administration Ihrer Behörde.")
DIRECTORY_DOWN = _("Der Verzeichnisdienst ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen "
                   "Minuten erneut oder wenden Sie sich an die IT-Betreuung.")
PROVIDER_DOWN = _("Der Anmeldedienst Ihrer Behörde ist gerade nicht erreichbar. Bitte versuchen Sie es in "
                  "einigen Minuten erneut oder wenden Sie sich an die IT-Betreuung.")
PROVIDER_ANSWER_INVALID = _("Die Anmeldung über Ihr Dienstkonto ist fehlgeschlagen oder abgelaufen. Bitte "
                            "starten Sie die Anmeldung erneut.")
DEACTIVATED = _("Dieses Konto ist deaktiviert. Bitte wenden Sie sich an die Administration Ihrer Behörde.")

# The attribute a backend sets on the request to replace the generic "wrong password" message.
REQUEST_ERROR_ATTR = "sign_in_error"


def refuse(request, message) -> None:
    """Tell the sign-in form why the directory refused this sign-in (no personal data)."""
    if request is not None:
        setattr(request, REQUEST_ERROR_ATTR, message)


def normalise(groups: Iterable[str]) -> set[str]:
    return {str(g).strip().lower() for g in groups if str(g).strip()}


@dataclass(frozen=True)
class MappingResult:
    added: int
    removed: int
    has_role: bool


@transaction.atomic
def apply_mappings(user: User, groups: Iterable[str]) -> MappingResult:
    """Make the user's mapped role assignments (and mapped team memberships) match ``groups``."""
    mappings = list(GroupRoleMapping.objects.filter(group__in=normalise(groups)))
    wanted = {m.scope_key: m for m in mappings}
    removed = added = 0
    dropped_teams: set[int] = set()
    current = MappedAssignment.objects.filter(assignment__user=user).select_related("assignment")
    have: set[tuple] = set()
    for mapped in current:
        a = mapped.assignment
        key = (a.role, a.authority_id, a.location_id, a.team_id)
        if key in wanted:
            have.add(key)
            continue
        if a.team_id:
            dropped_teams.add(a.team_id)
        a.delete()  # the core signal brings groups and admin access in step
        removed += 1
    for key, mapping in wanted.items():
        if key in have:
            continue
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=mapping.role, authority_id=mapping.authority_id,
            location_id=mapping.location_id, team_id=mapping.team_id)
        if created:  # one an administrator made by hand stays theirs
            MappedAssignment.objects.create(assignment=assignment)
            added += 1
    wanted_teams = {m.team_id for m in mappings if m.team_id}
    if wanted_teams:
        user.teams.add(*wanted_teams)
    if dropped_teams - wanted_teams:
        user.teams.remove(*(dropped_teams - wanted_teams))
    if user.authority_id is None and mappings:
        user.authority_id = mappings[0].authority_id
        user.save(update_fields=["authority"])
    user.__dict__.pop("_bk_assignments", None)
    return MappingResult(added, removed, RoleAssignment.objects.filter(user=user).exists())


@transaction.atomic
def sign_in(user: User, *, kind: str, external_id: str, groups: Iterable[str],
            department: str = "") -> MappingResult:
    """Record a directory sign-in (just-in-time provisioning of the link) and apply the mappings."""
    now = timezone.now()
    account, _created = DirectoryAccount.objects.select_for_update().get_or_create(
        user=user, defaults={"kind": kind, "external_id": external_id})
    account.kind, account.external_id = kind, external_id
    account.groups = sorted(normalise(groups))
    account.department = department[:200]
    account.last_sign_in = account.last_seen_in_directory = now
    account.save()
    return apply_mappings(user, groups)


def _unique_username(wanted: str, subject: str) -> str:
    import hashlib

    base = (wanted or "oidc")[:120]
    if not User.objects.filter(username=base).exists():
        return base
    # A local account with that name is never taken over by a directory sign-in.
    return f"{base}.{hashlib.sha256(subject.encode()).hexdigest()[:8]}"


@transaction.atomic
def provision_oidc_user(*, issuer: str, subject: str, username: str, first_name: str = "",
                        last_name: str = "", email: str = "", phone: str = "") -> User:
    """The user linked to (issuer, subject); created just in time at the first sign-in."""
    external_id = f"{issuer}|{subject}"
    account = (DirectoryAccount.objects.select_related("user")
               .filter(kind=DirectoryAccount.Kind.OIDC, external_id=external_id).first())
    if account is None:
        user = User(username=_unique_username(username, external_id))
        user.set_unusable_password()
    else:
        user = account.user
    user.first_name, user.last_name = first_name[:150], last_name[:150]
    user.email = email[:254]
    if phone:
        user.phone = phone[:40]
    user.save()
    return user


@dataclass(frozen=True)
class HandOver:
    deputy_id: int | None
    tickets: int
    appointments: int


def _berlin_today(now):
    from zoneinfo import ZoneInfo

    return timezone.localtime(now, ZoneInfo("Europe/Berlin")).date()


def _available_deputy(user: User, day) -> User | None:
    deputy = user.deputy
    if deputy is None or not deputy.is_active or deputy.is_absent_on(day):
        return None
    return deputy if deputy.authority_id == user.authority_id else None


def deactivate_leaver(user: User, *, now=None) -> HandOver:
    """A person left the directory: deactivate the account (their sessions end with the next request),
    take the mapped roles away and hand their open work over as for an absence – callbacks to the
    deputy if they are in the ticket's team, else to the team pool; upcoming appointments to the
    deputy, else back to the team."""
    from buergerkontakt.appointments.staff_services import hand_over_appointments
    from buergerkontakt.callbacks import services as callbacks
    from buergerkontakt.callbacks.models import Ticket

    now = now or timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = False
        user.save(update_fields=["is_active"])
        DirectoryAccount.objects.filter(user=user).update(deactivated_at=now)
        RoleAssignment.objects.filter(user=user, mapped__isnull=False).delete()
        deputy = _available_deputy(user, _berlin_today(now))
        deputy_teams = set(deputy.teams.values_list("pk", flat=True)) if deputy else set()
        tickets = list(Ticket.objects.filter(assignee=user, status=Ticket.Status.OPEN).order_by("pk"))
        for ticket in tickets:
            callbacks.reassign(ticket, deputy if ticket.team_id in deputy_teams else None, by=None, now=now)
        appointments = hand_over_appointments(user, deputy, now=now)
    return HandOver(deputy.pk if deputy else None, len(tickets), appointments)


@transaction.atomic
def refresh_from_directory(user: User, *, groups: Iterable[str], department: str = "",
                           now=None) -> MappingResult:
    """The sync found the person in the directory: their groups and department as they are now."""
    now = now or timezone.now()
    DirectoryAccount.objects.filter(user=user).update(
        groups=sorted(normalise(groups)), department=department[:200], last_seen_in_directory=now)
    return apply_mappings(user, groups)
