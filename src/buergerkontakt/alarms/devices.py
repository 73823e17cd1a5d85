"""Devices that raise and receive the silent alarm without a browser: the desktop agent on a staff
PC, a USB/IoT panic button behind a small gateway, a desk phone or the telephone system (PBX).

Every device belongs to one registered workstation (and so to its room); a PBX key may instead
stand for the whole authority and find the workstation by the calling extension
(``Workstation.phone_extension``). A device is created in the admin with a **one-time enrolment
code** (shown once, valid ``ALARM_ENROL_HOURS``); the device exchanges it for its **device token**
(``POST /api/alarms/enrol``). Code and token are stored only as SHA-256 digests, like partner API
keys (``core/apikeys.py``); revoking is final and refuses the token at once (HTTP 401, the agent's
socket is closed at its next heartbeat). No user password is ever on the device.

Who raises: the person whose current workplace is the device's workstation (``workplace.py``),
else the person last signed in there, else the person who registered the workstation. Where: always
the device's workstation's room – a device never guesses from a person's profile.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.core.commit import after_commit
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.models import Authority, User

TOKEN_PREFIX = "bkd_"  # noqa: S105 – the visible start of every device token
# Unambiguous characters for a code read aloud or typed from a sheet of paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class DeviceError(ServiceError):
    """A device request that cannot be done (German message, HTTP status)."""


class Device(models.Model):
    class Kind(models.TextChoices):
        AGENT = "agent", gettext_lazy("Desktop-Agent (PC)")
        BUTTON = "button", gettext_lazy("Alarmknopf / Fußtaster (Gerät)")
        PHONE = "phone", gettext_lazy("Tischtelefon / Telefonanlage")

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("Behörde")
    )
    workstation = models.ForeignKey(
        "alarms.Workstation", on_delete=models.CASCADE, null=True, blank=True, related_name="devices",
        verbose_name=gettext_lazy("Arbeitsplatz"),
        help_text=gettext_lazy("Leer nur für eine Telefonanlage: dann gilt die anrufende Durchwahl "
                               "(Durchwahl am Arbeitsplatz)."),
    )
    kind = models.CharField(gettext_lazy("Art"), max_length=8, choices=Kind.choices, default=Kind.AGENT)
    name = models.CharField(gettext_lazy("Bezeichnung"), max_length=120)
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(gettext_lazy("Code gültig bis"), null=True, blank=True,
                                           editable=False)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    token_prefix = models.CharField(gettext_lazy("Tokenanfang"), max_length=10, blank=True, editable=False)
    created_at = models.DateTimeField(gettext_lazy("angelegt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=gettext_lazy("angelegt von"), editable=False,
    )
    enrolled_at = models.DateTimeField(gettext_lazy("eingerichtet am"), null=True, blank=True,
                                       editable=False)
    revoked_at = models.DateTimeField(gettext_lazy("widerrufen am"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(gettext_lazy("zuletzt benutzt"), null=True, blank=True,
                                        editable=False)
    last_heartbeat_at = models.DateTimeField(gettext_lazy("letztes Lebenszeichen"), null=True, blank=True,
                                             editable=False)
    agent_version = models.CharField(gettext_lazy("Agent-Version"), max_length=40, blank=True,
                                     editable=False)
    hostname = models.CharField(gettext_lazy("Rechnername"), max_length=120, blank=True, editable=False)
    offline_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "alarms"
        verbose_name = gettext_lazy("Alarmgerät")
        verbose_name_plural = gettext_lazy("Alarmgeräte (Agent, Knopf, Telefon)")
        ordering = ["authority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def permission_scope(self):
        return self.workstation.room if self.workstation_id else self.authority

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "enrolled" if self.token_hash else "waiting"


# --- enrolment ----------------------------------------------------------------------------------------
def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _normal_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue_code(device: Device, *, now: datetime | None = None) -> str:
    """Give the (unsaved or saved) device a fresh enrolment code; returns it (shown once)."""
    code = new_code()
    device.code_hash = digest(_normal_code(code))
    device.code_expires_at = (now or timezone.now()) + timedelta(hours=settings.ALARM_ENROL_HOURS)
    return code


def create_device(authority: Authority, *, workstation, name: str, kind: str = Device.Kind.AGENT,
                  created_by: User | None = None) -> tuple[Device, str]:
    """A new device waiting for its enrolment; returns it and its one-time code."""
    if workstation is not None and workstation.authority_id != authority.pk:
        raise DeviceError(_("Der Arbeitsplatz gehört nicht zu dieser Behörde."))
    if workstation is None and kind != Device.Kind.PHONE:
        raise DeviceError(_("Nur eine Telefonanlage darf ohne Arbeitsplatz eingerichtet werden."))
    device = Device(authority=authority, workstation=workstation, name=name[:120], kind=kind,
                    created_by=created_by)
    code = issue_code(device)
    device.save()
    return device, code


def enrol(code: str, *, version: str = "", hostname: str = "", now: datetime | None = None
          ) -> tuple[Device, str]:
    """Exchange a one-time enrolment code for the device token (returned once, stored as a digest).
    The code is used up; an expired, used or unknown code is refused with the same message."""
    now = now or timezone.now()
    normal = _normal_code(code)
    refused = DeviceError(_("Dieser Einrichtungscode ist ungültig, abgelaufen oder schon benutzt. Bitte "
                            "lassen Sie in der Administration einen neuen Code erzeugen."), 400)
    if not 6 <= len(normal) <= 16:
        raise refused
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        device = (Device.objects.select_for_update()
                  .filter(code_hash=digest(normal), revoked_at__isnull=True, code_expires_at__gt=now)
                  .first())
        if device is None:
            raise refused
        device.code_hash, device.code_expires_at = "", None
        device.token_hash, device.token_prefix = digest(token), token[:10]
        device.enrolled_at, device.last_used_at = now, now
        device.agent_version, device.hostname = version[:40], hostname[:120]
        device.save()
    return device, token


def revoke(device: Device, *, now: datetime | None = None) -> None:
    Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def device_for(token: str | None) -> Device | None:
    """The enrolled, not revoked device of a token (None for anything else)."""
    if not token or len(token) > 200:
        return None
    return (
        Device.objects.filter(token_hash=digest(token), revoked_at__isnull=True)
        .select_related("authority", "workstation__room__floor__location")
        .first()
    )


def is_verified(token: str | None) -> bool:
    return device_for(token) is not None


# --- who is at the device -----------------------------------------------------------------------------
def person_at(workstation) -> User | None:
    """The person the workstation's agent receives alarms for: whoever's current workplace it is
    (latest first), else the person last signed in there."""
    from .workplace import Workplace

    if workstation is None:
        return None
    current = (Workplace.objects.filter(workstation=workstation, user__is_active=True)
               .select_related("user").order_by("-since").first())
    if current is not None:
        return current.user
    last = workstation.last_user
    return last if last is not None and last.is_active else None


def trigger_for(workstation) -> User | None:
    """Who an alarm from the device is raised in the name of (see the module's docstring)."""
    person = person_at(workstation)
    if person is None and workstation.registered_by is not None and workstation.registered_by.is_active:
        person = workstation.registered_by
    return person


def workstation_for_extension(device: Device, extension: str):
    """A PBX key's workstation by the calling extension ("durchwahl"); a device bound to a
    workstation always raises from there."""
    from .models import Workstation

    if device.workstation_id:
        return device.workstation
    # "210", "sip:210@pbx.example" (Snom's $local), "210@10.0.0.5" → "210"
    extension = (extension or "").strip().removeprefix("sip:").split("@", 1)[0]
    extension = "".join(ch for ch in extension if ch.isalnum() or ch in "+*#")[:30]
    if not extension:
        raise DeviceError(_("Die anrufende Durchwahl fehlt (Parameter ext)."), 400)
    workstation = (Workstation.objects.filter(authority_id=device.authority_id, phone_extension=extension,
                                              is_active=True)
                   .select_related("room__floor__location").first())
    if workstation is None:
        raise DeviceError(_("Für die Durchwahl %(ext)s ist kein Arbeitsplatz eingetragen.")
                          % {"ext": extension}, 404)
    return workstation


# --- raising ------------------------------------------------------------------------------------------
def raise_from_device(device: Device, *, level: int | None = None, press_id: str = "", extension: str = "",
                      now: datetime | None = None):
    """Raise an alarm from a device, idempotently: the same press (``press_id``, e.g. a retry from the
    agent's offline queue) always answers with its first alarm, and any further press within
    ``ALARM_DEVICE_DEBOUNCE_SECONDS`` of an active alarm of this device (a bouncing button, a
    double press) raises nothing new. Returns (alarm, replayed)."""
    from . import services
    from .models import Alarm, Level

    now = now or timezone.now()
    level = int(level) if level is not None else Level.SECURITY
    if level not in Level.values:
        raise DeviceError(_("Unbekannte Alarmstufe."), 400)
    press_id = (press_id or "")[:64]
    workstation = workstation_for_extension(device, extension)
    with transaction.atomic():
        # The first write of the transaction: presses of one device queue here one after the other
        # (a row lock in PostgreSQL, the write lock in SQLite), so two bounces never both raise.
        Device.objects.filter(pk=device.pk).update(last_used_at=now)
        earlier = Alarm.objects.filter(device=device)
        window = now - timedelta(seconds=settings.ALARM_DEVICE_DEBOUNCE_SECONDS)
        replay = None
        if press_id:
            replay = earlier.filter(press_id=press_id).first()
        if replay is None:
            replay = (earlier.filter(raised_at__gte=window, status=Alarm.Status.ACTIVE)
                      .filter(workstation=workstation).order_by("-raised_at").first())
        if replay is not None:
            return replay, True
        trigger = trigger_for(workstation)
        if trigger is None:
            raise DeviceError(_("Für diesen Arbeitsplatz ist keine Person eingetragen, in deren Namen der "
                                "Alarm ausgelöst werden kann."), 409)
        alarm = services.raise_alarm(trigger, level=level, workstation=workstation, room=workstation.room,
                                     device=device, press_id=press_id, now=now)
    return alarm, False


# --- heartbeat ----------------------------------------------------------------------------------------
def heartbeat(device: Device, *, version: str | None = None, now: datetime | None = None) -> None:
    """The device is alive: the device and its workstation count as online."""
    heartbeats({device.pk: version}, now=now)


def heartbeats(versions: dict[int, str | None], *, now: datetime | None = None) -> None:
    """{device id: agent version or None}: one statement per distinct version."""
    from .models import Workstation

    if not versions:
        return
    now = now or timezone.now()
    with transaction.atomic():
        by_version: dict[str | None, list[int]] = {}
        for pk, version in versions.items():
            by_version.setdefault(version, []).append(pk)
        for version, ids in by_version.items():
            changes = {"last_heartbeat_at": now, "offline_warned_at": None}
            if version:
                changes["agent_version"] = version[:40]
            Device.objects.filter(pk__in=ids, revoked_at__isnull=True).update(**changes)
        stations = Device.objects.filter(pk__in=list(versions), workstation__isnull=False,
                                         revoked_at__isnull=True).values_list("workstation_id", flat=True)
        Workstation.objects.filter(pk__in=list(stations)).update(last_seen_at=now, offline_warned_at=None)


def agent_offline_q(now: datetime | None = None) -> Q:
    limit = (now or timezone.now()) - timedelta(seconds=settings.ALARM_OFFLINE_SECONDS)
    return Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=limit)


def is_online(device: Device, now: datetime | None = None) -> bool:
    limit = timedelta(seconds=settings.ALARM_OFFLINE_SECONDS)
    return bool(device.last_heartbeat_at and (now or timezone.now()) - device.last_heartbeat_at <= limit)


def agents():
    """Enrolled agents in force."""
    return Device.objects.filter(kind=Device.Kind.AGENT, revoked_at__isnull=True, token_hash__isnull=False)


def mark_used(device: Device, now: datetime | None = None) -> None:
    Device.objects.filter(pk=device.pk).update(last_used_at=now or timezone.now())



# --- supervision --------------------------------------------------------------------------------------
def offline_agent_warnings(*, now: datetime | None = None) -> list[int]:
    """Like the browsers' warning (``services.offline_warnings``): security is told once per
    offline spell about enrolled agents without a heartbeat for ``ALARM_OFFLINE_WARN_MINUTES``
    during their location's opening hours (counted from the later of last heartbeat and today's
    opening). Returns the ids of the devices newly warned about."""
    from buergerkontakt.directory.hours import calendar_for
    from buergerkontakt.directory.models import HoursKind

    from . import notifications

    now = now or timezone.now()
    limit = now - timedelta(minutes=settings.ALARM_OFFLINE_WARN_MINUTES)
    candidates = agents().filter(offline_warned_at__isnull=True, workstation__is_active=True)
    locations = {d.workstation.room.floor.location
                 for d in candidates.select_related("workstation__room__floor__location")}
    warned: list[int] = []
    for location in locations:
        window = calendar_for(location, HoursKind.OPENING, timezone.localdate(now)).current_window(now)
        if window is None or window.start > limit:
            continue
        stale = candidates.filter(workstation__room__floor__location=location).filter(
            Q(last_heartbeat_at__lt=limit) | Q(last_heartbeat_at__isnull=True, enrolled_at__lt=limit))
        with transaction.atomic():
            rows = list(stale.select_for_update(of=("self",)).values_list("pk", "workstation_id"))
            if not rows:
                continue
            ids = [pk for pk, _ws in rows]
            Device.objects.filter(pk__in=ids).update(offline_warned_at=now)
            stations = sorted({ws for _pk, ws in rows})
            after_commit(notifications.offline_warning, location.pk, stations, agents=True)
            warned += ids
    return warned
