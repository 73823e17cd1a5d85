"""Where a staff member works now: one notion for the alarm, the call desk and supervision.

A person's *workplace* is the latest explicit statement of where they work: choosing a call desk
("Aufrufen"), registering a workstation, signing in at a registered workstation, the desktop agent,
or the administration. Every one of these writes the same row (``set_current_workplace``); every
reader asks ``current_place``. The room in the staff profile is a home room, not a place: it is
never used to say where an alarm comes from. When no place is known, the alarm still goes out and
says so – "Raum unbekannt – Person: …, zuletzt: …" – instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location, Room, User


class Workplace(models.Model):
    """The current workplace of one staff member (one row per person, replaced on every change)."""

    class Source(models.TextChoices):
        DESK = "desk", gettext_lazy("Aufruf-Arbeitsplatz gewählt")
        WORKSTATION = "workstation", gettext_lazy("Arbeitsplatz registriert")
        SIGN_IN = "sign_in", gettext_lazy("Anmeldung an registriertem Arbeitsplatz")
        AGENT = "agent", gettext_lazy("Desktop-Agent")
        ADMIN = "admin", gettext_lazy("von der Administration festgelegt")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workplace",
        verbose_name=gettext_lazy("Person"),
    )
    room = models.ForeignKey(
        "core.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=gettext_lazy("Raum"),
    )
    workstation = models.ForeignKey(
        "alarms.Workstation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=gettext_lazy("registrierter Arbeitsplatz"),
    )
    source = models.CharField(gettext_lazy("festgelegt durch"), max_length=12, choices=Source.choices)
    since = models.DateTimeField(gettext_lazy("seit"))

    class Meta:
        app_label = "alarms"
        verbose_name = gettext_lazy("aktueller Arbeitsplatz")
        verbose_name_plural = gettext_lazy("aktuelle Arbeitsplätze")
        ordering = ["room__floor__location", "room__floor__level", "room__number"]

    def __str__(self) -> str:
        return f"{self.user} – {self.room.number if self.room else '?'}"

    def permission_scope(self):
        return self.room.floor.location if self.room else None


def set_current_workplace(
    user: User, *, source: str, room: Room | None = None, workstation=None, now: datetime | None = None
) -> Workplace:
    """Record where ``user`` works from now on: a room (desk choice), or a registered workstation
    (its room). Replaces the previous workplace; the one write every setter shares."""
    if room is None and workstation is None:
        raise ValueError("a workplace needs a room or a workstation")
    room = room if room is not None else workstation.room
    workplace, _created = Workplace.objects.update_or_create(
        user=user,
        defaults={"room": room, "workstation": workstation, "source": source,
                  "since": now or timezone.now()},
    )
    return workplace


def signed_in_at(user: User, workstation) -> None:
    """Signing in at a registered workstation places the person there (until a desk choice or
    another registration says otherwise)."""
    current = Workplace.objects.filter(user=user).values_list("workstation_id", "room_id").first()
    if current != (workstation.pk, workstation.room_id):
        set_current_workplace(user, workstation=workstation, source=Workplace.Source.SIGN_IN)


def room_label(room: Room) -> str:
    """"Raum E.10 (Empfang) · Erdgeschoss · Bürgeramt Mitte"."""
    number = f"{room.number} ({room.name})" if room.name else room.number
    return _("Raum %(room)s · %(floor)s · %(location)s") % {
        "room": number, "floor": room.floor.name, "location": room.floor.location.name}


def _moment(at: datetime) -> str:
    local = at.astimezone(local_zone())
    if local.date() == timezone.now().astimezone(local_zone()).date():
        return date_format(local, "H:i")
    return date_format(local, "d.m.Y H:i")


@dataclass(frozen=True)
class Place:
    """Where a person works now (``room``), or – when unknown – the last place known of them."""

    user: User
    room: Room | None
    source: str = ""
    since: datetime | None = None
    workstation: object | None = None
    last_room: Room | None = None
    last_seen: datetime | None = None

    @property
    def known(self) -> bool:
        return self.room is not None

    @property
    def location(self) -> Location | None:
        """The location an alarm from here belongs to (the last known one when the room is not)."""
        for room in (self.room, self.last_room, self.user.workstation_room):
            if room is not None:
                return room.floor.location
        return Location.objects.filter(authority_id=self.user.authority_id).order_by("pk").first()

    @property
    def source_label(self) -> str:
        return str(Workplace.Source(self.source).label) if self.source in Workplace.Source.values else ""

    @property
    def label(self) -> str:
        return room_label(self.room) if self.room else _("Raum unbekannt")

    @property
    def since_label(self) -> str:
        return _moment(self.since) if self.since else ""

    @property
    def last_known(self) -> str:
        if self.last_room is None:
            return _("kein Ort bekannt")
        text = room_label(self.last_room)
        return f"{text}, {_moment(self.last_seen)}" if self.last_seen else text

    def alarm_text(self) -> str:
        """What every recipient reads about where the alarm comes from."""
        if self.known:
            return self.label
        name = self.user.get_full_name() or self.user.get_username()
        return _("Raum unbekannt – Person: %(name)s, zuletzt: %(last)s") % {
            "name": name, "last": self.last_known}


def current_place(user: User, *, workstation=None) -> Place:
    """Where ``user`` works now: the recorded workplace, else the registered workstation the
    request comes from, else unknown (with the last place known: the last registered workstation
    the person was seen at)."""
    workplace = (
        Workplace.objects.filter(user=user).select_related("room__floor__location", "workstation").first()
    )
    if workplace is not None and workplace.room is not None:
        return Place(user, workplace.room, workplace.source, workplace.since, workplace.workstation)
    if workstation is not None:
        return Place(user, workstation.room, Workplace.Source.WORKSTATION, None, workstation)
    from .models import Workstation

    last = (
        Workstation.objects.filter(last_user=user, last_seen_at__isnull=False)
        .select_related("room__floor__location").order_by("-last_seen_at").first()
    )
    if last is not None:
        return Place(user, None, last_room=last.room, last_seen=last.last_seen_at)
    return Place(user, None)


def occupant_ids(room_ids, *, authority_id: int) -> set[int]:
    """Staff whose current workplace is one of ``room_ids`` (for the alarm's neighbour circle)."""
    return set(
        Workplace.objects.filter(
            room_id__in=list(room_ids), user__is_active=True, user__authority_id=authority_id
        ).values_list("user_id", flat=True)
    )


def on_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: at a registered workstation of the person's authority, that is now
    where they work."""
    from .consumers import DEVICE_COOKIE
    from .services import workstation_for

    if request is None or not getattr(user, "authority_id", None):
        return
    workstation = workstation_for(request.COOKIES.get(DEVICE_COOKIE), user)
    if workstation is not None:
        signed_in_at(user, workstation)


def workplace_room_at(user: User, location_id: int) -> Room | None:
    """The room of the person's recorded workplace if it is at the location (the call desk's room)."""
    workplace = Workplace.objects.filter(user=user, room__floor__location_id=location_id).select_related(
        "room__floor").first()
    return workplace.room if workplace else None


def workplaces_at(locations):
    """The recorded workplaces in the locations (the security console), by room."""
    return (
        Workplace.objects.filter(room__floor__location__in=locations, user__is_active=True)
        .select_related("user", "room__floor__location", "workstation")
        .order_by("room__floor__location__name", "room__floor__level", "room__number", "user__last_name")
    )
