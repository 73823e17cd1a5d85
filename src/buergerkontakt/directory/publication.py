"""Who may see whom in the staff directory (publication levels, consent, security exceptions).

One implementation for the pages and the API:

* Team and office lines are always public; people are a different matter.
* A person's *effective level* is the level of their latest non-revoked
  :class:`~buergerkontakt.directory.models.PublicationConsent` (None without consent).
* A viewer's *level* for an authority is the narrowest level they may see there: anonymous
  citizens see ``PUBLIC``; professionals (advice centres, lawyers with an account) and staff of
  other authorities also see ``PROFESSIONALS``; staff of the same authority see everything
  including ``INTERNAL``.
* A person is listed when their effective level is at least the viewer's level; without consent
  only staff of the same authority see them (name and team, never the direct data).
* A :class:`~buergerkontakt.directory.models.SecurityException` hides a person from everybody.
* An absent person is shown without direct dial and e-mail; callers are routed to the team line
  and, if set and visible, to the deputy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from buergerkontakt.core.models import Authority, Role, Team, User
from buergerkontakt.core.permissions import has_role, is_staff_member

from .models import PublicationConsent, PublicationLevel


def _latest_consent_level() -> Subquery:
    return Subquery(
        PublicationConsent.objects.filter(staff=OuterRef("pk"), revoked_at__isnull=True)
        .order_by("-granted_at", "-pk")
        .values("level")[:1]
    )


def effective_level(user: User) -> int | None:
    """The level of the person's latest non-revoked consent, or None without consent."""
    cached = getattr(user, "consent_level", "missing")
    if cached != "missing":
        return cached
    return (
        PublicationConsent.objects.filter(staff=user, revoked_at__isnull=True)
        .order_by("-granted_at", "-pk")
        .values_list("level", flat=True)
        .first()
    )


def is_hidden(user: User) -> bool:
    """True if a security exception hides the person from every listing."""
    cached = getattr(user, "has_security_exception", None)
    if cached is not None:
        return bool(cached)
    return hasattr(user, "security_exception") and user.security_exception is not None


def _verified(user: Any) -> bool:
    """Signed in with the second factor (as the staff pages require), unless 2FA is switched off."""
    return not settings.REQUIRE_2FA or (hasattr(user, "is_verified") and user.is_verified())


def viewer_level(request_user: Any, authority: Authority | int | None) -> int:
    """The narrowest publication level ``request_user`` may see for people of ``authority``.

    Without a verified second factor a signed-in user sees what the public sees.
    """
    if request_user is None or not getattr(request_user, "is_authenticated", False) \
            or not request_user.is_active or not _verified(request_user):
        return PublicationLevel.PUBLIC
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    if request_user.is_superuser:
        return PublicationLevel.INTERNAL
    if is_staff_member(request_user):
        if authority_id is not None and request_user.authority_id == authority_id:
            return PublicationLevel.INTERNAL
        return PublicationLevel.PROFESSIONALS
    if has_role(request_user, Role.PROFESSIONAL):
        return PublicationLevel.PROFESSIONALS
    return PublicationLevel.PUBLIC


@dataclass
class PersonEntry:
    """One person as a given viewer may see them."""

    person: User
    level: int | None
    show_contact: bool
    absent: bool
    teams: list[Team] = field(default_factory=list)
    deputy: PersonEntry | None = None

    @property
    def name(self) -> str:
        return self.person.get_full_name() or self.person.username

    @property
    def job_title(self) -> str:
        return self.person.job_title

    @property
    def phone(self) -> str:
        return self.person.phone if self.show_contact else ""

    @property
    def email(self) -> str:
        return self.person.email if self.show_contact else ""

    @property
    def team_phone(self) -> str:
        """The line to call instead of this person (first team with a phone)."""
        for team in self.teams:
            if team.phone:
                return team.phone
        for team in self.teams:
            if team.location.phone:
                return team.location.phone
        return ""


def people_queryset() -> QuerySet[User]:
    """Active staff members with their consent level and teams, hidden people excluded."""
    return (
        User.objects.filter(is_active=True, authority__isnull=False, security_exception__isnull=True)
        .annotate(consent_level=_latest_consent_level())
        .select_related("authority", "deputy")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.select_related("location")))
        .order_by("last_name", "first_name", "pk")
    )


def entry_for(viewer: Any, person: User, *, today: date | None = None, with_deputy: bool = True,
              levels: dict[int, int] | None = None) -> PersonEntry | None:
    """How ``viewer`` may see ``person``, or None if the person must not be listed for them."""
    if not person.is_active or person.authority_id is None or is_hidden(person):
        return None
    today = today or timezone.localdate()
    levels = levels if levels is not None else {}
    if person.authority_id not in levels:
        levels[person.authority_id] = viewer_level(viewer, person.authority_id)
    needed = levels[person.authority_id]
    level = effective_level(person)
    consented = level is not None and level >= needed
    if not consented and needed != PublicationLevel.INTERNAL:
        return None
    absent = person.is_absent_on(today)
    entry = PersonEntry(person=person, level=level, show_contact=consented and not absent,
                        absent=absent, teams=list(person.teams.all()))
    if absent and with_deputy and person.deputy_id:
        deputy = _with_level(person.deputy)
        deputy_entry = entry_for(viewer, deputy, today=today, with_deputy=False, levels=levels)
        if deputy_entry is not None and not deputy_entry.absent:
            entry.deputy = deputy_entry
    return entry


def _with_level(user: User) -> User:
    """Reload a related user with the annotations :func:`entry_for` relies on."""
    return people_queryset().filter(pk=user.pk).first() or user


def visible_people(viewer: Any, authority: Authority | None = None, team: Team | None = None,
                   *, today: date | None = None) -> list[PersonEntry]:
    """Everybody ``viewer`` may see, optionally only of one authority or one team.

    Each entry says whether the direct dial and e-mail may be shown (``show_contact``) and, for
    absent people, the visible deputy.
    """
    people = people_queryset()
    if authority is not None:
        people = people.filter(authority=authority)
    if team is not None:
        people = people.filter(teams=team)
    today = today or timezone.localdate()
    levels: dict[int, int] = {}
    entries = []
    for person in people.distinct():
        entry = entry_for(viewer, person, today=today, levels=levels)
        if entry is not None:
            entries.append(entry)
    return entries
