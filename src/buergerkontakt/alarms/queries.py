"""Reads of the silent alarm: what a client is shown, who is coming, who is reachable."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location, Role, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.core.phones import sms_number

from . import recipients
from .models import HELPING, Alarm, Delivery, Drill, Workstation
from .services import offline_q
from .workplace import current_place


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def alarm_payload(alarm_id: int) -> dict:
    alarm = Alarm.objects.select_related("room__floor__location", "location", "raised_by").get(pk=alarm_id)
    room = alarm.room
    return {
        "id": alarm.pk,
        "level": alarm.level,
        "level_label": alarm.get_level_display(),
        "room": room.number if room else "",
        "room_name": room.name if room else "",
        "floor": room.floor.name if room else "",
        "location": alarm.location.name,
        "place": alarm.where,
        "room_known": room is not None,
        "location_id": alarm.location_id,
        "person": _name(alarm.raised_by),
        "raised_at": alarm.raised_at.isoformat(),
        "time": alarm.raised_at.astimezone(local_zone()).strftime("%H:%M:%S"),
        "drill": alarm.is_drill,
        "trigger_id": alarm.raised_by_id,
    }


def instruction(level: int, role: str, room: str) -> str:
    """What the recipient should do – never sends colleagues into the room at level 3."""
    if level >= 3 and not room and role != recipients.SECURITY:
        return _(
            "Gefahr im Gebäude (Raum unbekannt): Schließen Sie Ihre Tür, bleiben Sie im Raum und "
            "warten Sie auf Entwarnung."
        )
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


NAMES_SHOWN = 12  # the trigger's screen lists at most this many names per line, then "und N weitere"


def trigger_status(alarm_id: int) -> dict:
    """What the trigger's screen shows, from the database (never from what a push claimed): delivered
    to N (the first circle by name), seen by M, who answered what, and who has not got it yet.
    Counted in one statement and named with short limited reads: it is pushed after every batch of
    receipts, so it must stay cheap for a building-wide alarm of a thousand recipients."""
    alarm = Alarm.objects.filter(pk=alarm_id).values("status", "circle", "escalated_at").first()
    if alarm is None:
        return {"alarm": alarm_id, "active": False}
    rows = Delivery.objects.filter(alarm_id=alarm_id)
    delivered, seen = Q(received_at__isnull=False), Q(seen_at__isnull=False)
    first, undelivered = delivered & Q(circle=1), Q(received_at__isnull=True)
    cannot = Q(response=Delivery.Response.CANNOT)
    counts = rows.aggregate(
        total=Count("pk"), delivered=Count("pk", filter=delivered), seen=Count("pk", filter=seen),
        first=Count("pk", filter=first), undelivered=Count("pk", filter=undelivered),
        cannot=Count("pk", filter=cannot),
    )
    ordered = rows.select_related("user").order_by("circle", "sent_at", "pk")

    def names(condition: Q, count: int, order=ordered) -> dict:
        shown = order.filter(condition)[:NAMES_SHOWN] if count else []
        return {"count": count, "names": [_name(d.user) for d in shown]}

    answered = rows.exclude(response="").select_related("user").order_by("responded_at")
    return {
        "alarm": alarm_id,
        "active": alarm["status"] == Alarm.Status.ACTIVE,
        "recipients": counts["total"],
        "delivered": names(delivered, counts["delivered"]),
        "first_circle": names(first, counts["first"]),
        "seen": names(seen, counts["seen"]),
        "undelivered": names(undelivered, counts["undelivered"]),
        "coming": [
            {"name": _name(d.user), "response": d.response, "label": d.get_response_display()}
            for d in answered.filter(response__in=HELPING)
        ],
        "cannot": names(cannot, counts["cannot"], answered),
        "circle": alarm["circle"],
        "escalated": alarm["escalated_at"] is not None,
    }


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
    return result, [
        {"alarm": alarm_payload(pk), "responders": responders(pk), "status": trigger_status(pk)} for pk in own
    ]


# The active alarms of the whole platform, read at most once a second per process: a thousand clients
# re-syncing every few seconds cost one query per second, plus one per person actually involved.
INDEX_SECONDS = 1.0
_index: tuple[float, frozenset[int], int] = (float("-inf"), frozenset(), 0)


def involved_users(now: float | None = None) -> tuple[frozenset[int], int]:
    """Triggers and recipients of the active alarms, and the newest alarm id when this was read
    (per-process cache of ``INDEX_SECONDS``)."""
    global _index
    now = time.monotonic() if now is None else now
    stamp, users, newest = _index
    if now - stamp >= INDEX_SECONDS:
        newest = Alarm.objects.aggregate(newest=Max("pk"))["newest"] or 0
        active = Alarm.objects.filter(status=Alarm.Status.ACTIVE, pk__lte=newest)
        users = frozenset(
            [*Delivery.objects.filter(alarm__in=active).values_list("user_id", flat=True),
             *active.values_list("raised_by_id", flat=True)]
        )
        _index = (now, users, newest)
    return users, newest


def sync_for(user: User, showing=()) -> dict:
    """The client's periodic re-read: every active alarm it must see and the status of its own (a
    push lost while the channel layer was away shows here). ``showing``: the alarms the page shows;
    one newer than the index is read from the database, never hidden by a stale index."""
    users, newest = involved_users()
    if user.pk not in users and all(alarm_id <= newest for alarm_id in showing):
        return {"event": "sync", "alarms": [], "own": []}
    received, own = active_for(user)
    return {"event": "sync", "alarms": received, "own": own}


def reachable(user: User, workstation: Workstation | None, now: datetime | None = None) -> int:
    """How many recipients of a level-2 alarm from here are online right now (0: warn the user)."""
    now = now or timezone.now()
    place = current_place(user, workstation=workstation)
    location = place.location
    if location is None:
        return 0
    ids = [r.user_id for r in recipients.initial(place.room, 2, user, location_id=location.pk)]
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


@dataclass
class SecurityReach:
    """Whom the alarm's SMS fallback reaches at one location: the security staff covering it
    (``holders``), those with a valid mobile number for alarm SMS (``reachable``) and those without
    (``without_mobile``). ``unreachable``: the fallback would text nobody."""

    location: Location
    holders: list[User] = field(default_factory=list)
    reachable: list[User] = field(default_factory=list)
    without_mobile: list[User] = field(default_factory=list)

    @property
    def unreachable(self) -> bool:
        return not self.reachable

    @property
    def names_without_mobile(self) -> str:
        return ", ".join(_name(u) for u in self.without_mobile)


def security_reach(location: Location) -> SecurityReach:
    """The SMS reach of the location's security (see :class:`SecurityReach`)."""
    reach = SecurityReach(location=location)
    reach.holders = recipients.security_staff(authority_id=location.authority_id, location_id=location.pk)
    for user in reach.holders:
        (reach.reachable if sms_number(user.alarm_mobile) else reach.without_mobile).append(user)
    return reach


def security_without_mobile(location: Location) -> list[User]:
    """Security staff covering ``location`` (authority-wide or for this location) whom the alarm's
    SMS fallback cannot reach: no valid ``User.alarm_mobile`` ("Mobilnummer für Alarm-SMS"). Ordered
    by name. An empty list does not mean that somebody is reachable – a location without any security
    staff gives an empty list too; use :func:`security_reach` (``unreachable``) for that question.
    Called by the security console, drills and the configuration check of a location."""
    return security_reach(location).without_mobile


def security_reach_warnings(locations) -> list[SecurityReach]:
    """The reach of every location in ``locations`` where some security person has no mobile number
    for alarm SMS, or nobody can be texted at all (the console's and drills' warning)."""
    return [reach for reach in map(security_reach, locations) if reach.without_mobile or reach.unreachable]


def nearest_rank(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (no interpolation: every figure is one that was measured)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class ResponseReport:
    """Receipt and response figures of one alarm or drill (the drill report, the alarm page)."""

    recipients: int = 0
    received: int = 0
    receipt_p50_ms: float | None = None
    receipt_p95_ms: float | None = None
    receipt_max_ms: float | None = None
    coming: int = 0
    on_site: int = 0
    first_coming_s: float | None = None
    median_coming_s: float | None = None
    first_on_site_s: float | None = None
    escalated: bool = False
    rows: list[dict] = field(default_factory=list)

    @property
    def received_percent(self) -> int:
        return round(100 * self.received / self.recipients) if self.recipients else 0


def pseudonymised(authority_id: int) -> bool:
    """Whether the authority's response reports hide names (the default, ``ReportPrivacy``)."""
    from .models import ReportPrivacy

    setting = ReportPrivacy.objects.filter(authority_id=authority_id).values_list("pseudonymise", flat=True)
    return next(iter(setting), True)


def response_report(alarm: Alarm, *, named: bool = True) -> ResponseReport:
    """Receipt and responses of an alarm; ``named=False``: "Person 1", "Person 2" … instead of names
    (in the order of the rows: circle, then time sent)."""
    deliveries = list(alarm.deliveries.select_related("user").order_by("circle", "sent_at", "pk"))
    latencies = [d.latency_ms for d in deliveries if d.latency_ms is not None]

    def after(moment: datetime | None) -> float | None:
        return None if moment is None else round((moment - alarm.raised_at).total_seconds(), 1)

    coming = sorted(s for d in deliveries if d.response and (s := after(d.responded_at)) is not None)
    on_site = sorted(after(d.responded_at) for d in deliveries if d.response == Delivery.Response.ON_SITE)
    return ResponseReport(
        recipients=len(deliveries),
        received=len(latencies),
        receipt_p50_ms=nearest_rank(latencies, 0.5),
        receipt_p95_ms=nearest_rank(latencies, 0.95),
        receipt_max_ms=max(latencies) if latencies else None,
        coming=len(coming),
        on_site=len(on_site),
        first_coming_s=coming[0] if coming else None,
        median_coming_s=nearest_rank(coming, 0.5),
        first_on_site_s=on_site[0] if on_site else None,
        escalated=alarm.escalated_at is not None,
        rows=[
            {
                "name": _name(d.user) if named else _("Person %(n)d") % {"n": number},
                "role": d.get_role_display(),
                "circle": d.circle,
                "latency_ms": d.latency_ms,
                "response": d.get_response_display() if d.response else "",
                "response_s": after(d.responded_at),
            }
            for number, d in enumerate(deliveries, start=1)
        ],
    )


def drills_for(user: User):
    """Drills at the locations where the user is security."""
    return Drill.objects.filter(location__in=security_locations(user)).select_related(
        "room__floor__location", "alarm", "created_by"
    )
