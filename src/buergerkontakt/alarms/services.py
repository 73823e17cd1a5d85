"""The silent alarm's public write API: register workstations, raise, confirm receipt, respond,
withdraw, resolve, escalate, supervise.

The alarm and its deliveries are committed *before* anything is pushed (``live.fan_out`` runs on
commit), so a crash after the push can never lose an alarm, and a client that reconnects is shown
every active alarm from the database.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.commit import after_commit
from buergerkontakt.core.erasure import in_batches
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Role, Room, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.notifications.sms import send_sms

from . import escalation, live, recipients, workplace
from .models import (
    HELPING,
    Alarm,
    Delivery,
    Drill,
    Level,
    TimelineEvent,
    Workstation,
    hash_token,
    new_device_token,
)

Kind = TimelineEvent.Kind


class AlarmError(ServiceError):
    """An alarm request that cannot be done (German message, HTTP status)."""


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _event(alarm: Alarm, kind: str, now: datetime, user: User | None = None, detail: str = "") -> None:
    TimelineEvent.objects.create(alarm=alarm, kind=kind, at=now, user=user, detail=detail[:300])


# --- workstations -------------------------------------------------------------------------------------
def register_workstation(user: User, room: Room, name: str) -> tuple[Workstation, str]:
    """Register this browser/PC to a room; returns the workstation and its device token (shown once,
    kept in a cookie)."""
    if room.floor.location.authority_id != user.authority_id:
        raise AlarmError(_("Der Raum gehört nicht zu Ihrer Behörde."))
    name = " ".join((name or "").split())[:120] or f"{room.number}"
    token = new_device_token()
    workstation = Workstation.objects.create(
        authority_id=user.authority_id,
        room=room,
        name=name,
        token_hash=hash_token(token),
        registered_by=user,
        last_user=user,
    )
    workplace.set_current_workplace(
        user, workstation=workstation, source=workplace.Workplace.Source.WORKSTATION
    )
    return workstation, token


def workstation_for(token: str | None, user: User | None = None) -> Workstation | None:
    if not token:
        return None
    ws = (
        Workstation.objects.filter(token_hash=hash_token(token), is_active=True)
        .select_related("room__floor__location")
        .first()
    )
    if ws is None or (user is not None and ws.authority_id != user.authority_id):
        return None
    return ws


def connected(workstation_id: int, user: User, now: datetime | None = None) -> None:
    now = _now(now)
    Workstation.objects.filter(pk=workstation_id).update(
        last_seen_at=now, last_user=user, offline_warned_at=None, connections=F("connections") + 1
    )


def heartbeat(workstation_id: int, now: datetime | None = None) -> None:
    heartbeats([workstation_id], now=now)


def heartbeats(workstation_ids, now: datetime | None = None) -> None:
    """One statement for every workstation heard from since the last write."""
    Workstation.objects.filter(pk__in=list(workstation_ids)).update(last_seen_at=_now(now))


def disconnected(workstation_id: int) -> None:
    disconnected_many({object(): workstation_id})


def disconnected_many(closed: dict) -> None:
    """Connections closed since the last write ({any unique key: workstation id}): one statement
    per distinct count, in one transaction."""
    counts = Counter(closed.values())
    by_count: dict[int, list[int]] = {}
    for workstation_id, count in counts.items():
        by_count.setdefault(count, []).append(workstation_id)
    with transaction.atomic():
        for count, ids in by_count.items():
            Workstation.objects.filter(pk__in=ids).update(
                connections=Case(When(connections__gt=count, then=F("connections") - count), default=0)
            )


def is_online(workstation: Workstation, now: datetime | None = None) -> bool:
    limit = timedelta(seconds=settings.ALARM_OFFLINE_SECONDS)
    return bool(workstation.last_seen_at and _now(now) - workstation.last_seen_at <= limit)


# --- raising ------------------------------------------------------------------------------------------
def raise_alarm(
    user: User,
    *,
    level: int = Level.SECURITY,
    workstation: Workstation | None = None,
    drill: bool = False,
    room: Room | None = None,
    device=None,
    press_id: str = "",
    now: datetime | None = None,
) -> Alarm:
    """Store the alarm and its deliveries, then (after commit) push it, nearest circle first. A
    ``device`` (alarms/devices.py) raises from its workstation's ``room``."""
    now = _now(now)
    if level not in Level.values:
        raise AlarmError(_("Unbekannte Alarmstufe."))
    if not user.authority_id:
        raise AlarmError(_("Nur Mitarbeitende einer Behörde können einen Alarm auslösen."), 403)
    if room is None:  # where the person works now (alarms/workplace.py); unknown is said, never guessed
        place = workplace.current_place(user, workstation=workstation)
        room, location, where = place.room, place.location, place.alarm_text()
    else:  # a drill simulates an alarm from a chosen room; a device raises from its own room
        location, where = room.floor.location, workplace.room_label(room)
    if location is None:
        raise AlarmError(_("Ihre Behörde hat keinen Standort, an den ein Alarm gehen könnte."), 409)
    chosen = recipients.initial(room, level, user, drill=drill, location_id=location.pk)
    with transaction.atomic():
        alarm = Alarm.objects.create(
            authority_id=user.authority_id,
            location_id=location.pk,
            room=room,
            place=where[:300],
            workstation=workstation,
            raised_by=user,
            device=device,
            press_id=press_id,
            level=level,
            is_drill=drill,
            raised_at=now,
            circle=2 if any(r.circle == 2 for r in chosen) else 1,
        )
        source = _("Probealarm") if drill else ""
        if device is not None:
            source = _("über %(device)s") % {"device": f"{device.name} ({device.get_kind_display()})"}
        _event(alarm, Kind.RAISED, now, user, detail=source)
        _event(alarm, Kind.SENT, now, detail=_("%(count)s Empfänger") % {"count": len(chosen)})
        if not chosen:
            _event(
                alarm, Kind.NOBODY, now, detail=_("Für diesen Raum ist niemand als Empfänger eingerichtet.")
            )
        # Every circle is stored in this one transaction: nothing (a periodic escalation while the
        # layer hangs, a crash) can come between the circles. After the commit the nearest circle is
        # pushed first, then the rest of the building.
        first = [r for r in chosen if r.circle == 1]
        rest = [r for r in chosen if r.circle != 1]
        _store_deliveries(alarm, chosen, now)
        live.fan_out(alarm.pk, first)
        if rest:
            live.fan_out(alarm.pk, rest, console=False)
        if settings.ALARM_ESCALATION_TIMER:  # this process escalates it; the periodic task is the backstop
            after_commit(escalation.schedule, alarm.pk)
    return alarm


def _store_deliveries(alarm: Alarm, chosen, now: datetime) -> None:
    """One multi-row insert. A building-wide alarm stores about a thousand rows before it is sent on;
    ``bulk_create`` spent ~250 ms building model instances for them, this takes a few ms. Idempotent:
    a person who already has a delivery of this alarm keeps it (``ON CONFLICT DO NOTHING`` on the
    one-delivery-per-person constraint), so a raise and an escalation can never fail on each other."""
    if not chosen:
        return
    meta, connection = Delivery._meta, connections[Delivery.objects.db]
    columns = ["alarm", "user", "role", "circle", "sent_at", "response", "received_visibility"]
    sent_at = meta.get_field("sent_at").get_db_prep_value(now, connection)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}, {}) DO NOTHING".format(  # noqa: S608 – names from the model
        quote(meta.db_table),
        ", ".join(quote(meta.get_field(name).column) for name in columns),
        ", ".join(["%s"] * len(columns)),
        quote(meta.get_field("alarm").column),
        quote(meta.get_field("user").column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(alarm.pk, r.user_id, r.role, r.circle, sent_at, "", "") for r in chosen])


# --- recipients: delivered, seen, answered -----------------------------------------------------------
Receipt = tuple[datetime, str]  # moment of arrival, page visibility ("visible", "hidden" or "")


def visibility(value) -> str:
    if value is True or value == Delivery.Visibility.VISIBLE:
        return Delivery.Visibility.VISIBLE
    if value is False or value == Delivery.Visibility.HIDDEN:
        return Delivery.Visibility.HIDDEN
    return Delivery.Visibility.UNKNOWN


def confirm_receipt(
    alarm_id: int, user: User, *, now: datetime | None = None, visible: bool | None = None
) -> Delivery | None:
    """The recipient's client got the alarm (sent automatically, before anything is shown): stores
    the delivery latency once, with whether the page was visible. Delivered is not answered."""
    confirm_receipts({(alarm_id, user.pk): (_now(now), visibility(visible))})
    return Delivery.objects.filter(alarm_id=alarm_id, user=user).first()


def confirm_receipts(receipts: dict[tuple[int, int], Receipt | datetime]) -> list[int]:
    """Many receipts in one transaction: {(alarm id, user id): (moment of arrival, visibility)}. Only
    the first receipt of each delivery counts; a receipt on a visible page is also *seen*. Returns the
    ids of the alarms whose deliveries changed."""
    if not receipts:
        return []
    receipts = {k: v if isinstance(v, tuple) else (v, "") for k, v in receipts.items()}
    with transaction.atomic():
        unreceived = Delivery.objects.select_for_update().filter(_pairs(receipts), received_at__isnull=True)
        deliveries = list(unreceived.order_by("pk"))
        events = []
        for d in deliveries:
            at, page = receipts[(d.alarm_id, d.user_id)]
            d.received_at, d.received_visibility = at, visibility(page)
            d.latency_ms = max(0.0, (at - d.sent_at).total_seconds() * 1000)
            detail = f"{d.latency_ms:.0f} ms"
            if d.received_visibility:
                detail += f" ({d.get_received_visibility_display()})"
            events.append(TimelineEvent(alarm_id=d.alarm_id, kind=Kind.RECEIVED, at=at, user_id=d.user_id,
                                        detail=detail))
            if d.received_visibility == Delivery.Visibility.VISIBLE and d.seen_at is None:
                d.seen_at = at
                events.append(TimelineEvent(alarm_id=d.alarm_id, kind=Kind.SEEN, at=at, user_id=d.user_id))
        Delivery.objects.bulk_update(
            deliveries, ["received_at", "received_visibility", "latency_ms", "seen_at"]
        )
        TimelineEvent.objects.bulk_create(events)
        changed = sorted({d.alarm_id for d in deliveries})
        live.status_changed(changed)
    return changed


def _pairs(keys) -> Q:
    """One condition per alarm (a level-3 alarm brings a thousand receipts at once)."""
    users_by_alarm: dict[int, list[int]] = {}
    for alarm_id, user_id in keys:
        users_by_alarm.setdefault(alarm_id, []).append(user_id)
    pairs = Q()
    for alarm_id, user_ids in users_by_alarm.items():
        pairs |= Q(alarm_id=alarm_id, user_id__in=user_ids)
    return pairs


def mark_seen(alarm_id: int, user: User, *, now: datetime | None = None) -> Delivery | None:
    """The alarm was shown on a visible, focused page (or the agent's window was shown)."""
    mark_seen_many({(alarm_id, user.pk): _now(now)})
    return Delivery.objects.filter(alarm_id=alarm_id, user=user).first()


def mark_seen_many(sightings: dict[tuple[int, int], datetime]) -> list[int]:
    """{(alarm id, user id): moment}: the first sighting of each delivery counts (a sighting without
    an earlier receipt is also the receipt). Returns the ids of the alarms whose deliveries changed."""
    if not sightings:
        return []
    with transaction.atomic():
        unseen = Delivery.objects.select_for_update().filter(_pairs(sightings), seen_at__isnull=True)
        deliveries = list(unseen.order_by("pk"))
        for d in deliveries:
            d.seen_at = sightings[(d.alarm_id, d.user_id)]
            if d.received_at is None:
                d.received_at, d.received_visibility = d.seen_at, Delivery.Visibility.VISIBLE
                d.latency_ms = max(0.0, (d.seen_at - d.sent_at).total_seconds() * 1000)
        Delivery.objects.bulk_update(
            deliveries, ["seen_at", "received_at", "received_visibility", "latency_ms"]
        )
        TimelineEvent.objects.bulk_create(
            [TimelineEvent(alarm_id=d.alarm_id, kind=Kind.SEEN, at=d.seen_at, user_id=d.user_id)
             for d in deliveries]
        )
        changed = sorted({d.alarm_id for d in deliveries})
        live.status_changed(changed)
    return changed


def respond(alarm_id: int, user: User, response: str, *, now: datetime | None = None) -> Delivery:
    """ "Ich komme" / "Vor Ort" / "Kann nicht" – a human answer, shown discreetly on the trigger's
    screen. Only "Ich komme" and "Vor Ort" stop the escalation."""
    now = _now(now)
    if response not in Delivery.Response.values or not response:
        raise AlarmError(_("Unbekannte Rückmeldung."))
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("alarm")
            .filter(alarm_id=alarm_id, user=user)
            .first()
        )
        if delivery is None:
            raise AlarmError(_("Dieser Alarm ist nicht an Sie gegangen."), 404)
        if not delivery.alarm.is_active:
            raise AlarmError(_("Dieser Alarm ist bereits beendet."), 409)
        if delivery.received_at is None:
            delivery.received_at = now
            delivery.latency_ms = max(0.0, (now - delivery.sent_at).total_seconds() * 1000)
        if delivery.seen_at is None:  # whoever answers has seen it
            delivery.seen_at = now
        delivery.response, delivery.responded_at = response, now
        delivery.save(update_fields=["received_at", "latency_ms", "seen_at", "response", "responded_at"])
        _event(delivery.alarm, response, now, user)
        live.responses_changed(delivery.alarm)
    return delivery


# --- ending -------------------------------------------------------------------------------------------
def _locked_active(alarm: Alarm | int) -> Alarm:
    pk = alarm.pk if isinstance(alarm, Alarm) else alarm
    current = Alarm.objects.select_for_update().filter(pk=pk).first()
    if current is None:
        raise AlarmError(_("Diesen Alarm gibt es nicht."), 404)
    if not current.is_active:
        raise AlarmError(_("Dieser Alarm ist bereits beendet."), 409)
    return current


def withdraw(alarm: Alarm | int, user: User, *, now: datetime | None = None) -> Alarm:
    """A mistaken alarm is taken back by its trigger within the grace time."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_active(alarm)
        if current.raised_by_id != user.pk:
            raise AlarmError(_("Nur wer den Alarm ausgelöst hat, kann ihn zurücknehmen."), 403)
        if now - current.raised_at > timedelta(seconds=settings.ALARM_GRACE_SECONDS):
            raise AlarmError(_("Die Zeit zum Zurücknehmen ist abgelaufen. Bitte geben Sie Entwarnung."), 409)
        current.status, current.ended_at, current.ended_by = Alarm.Status.WITHDRAWN, now, user
        current.save(update_fields=["status", "ended_at", "ended_by"])
        _event(current, Kind.WITHDRAWN, now, user)
        live.ended(current)
    return current


def may_resolve(user: User, alarm: Alarm) -> bool:
    return alarm.raised_by_id == user.pk or has_role(user, Role.SECURITY, obj=alarm.location)


def resolve(alarm: Alarm | int, user: User, *, note: str = "", now: datetime | None = None) -> Alarm:
    """All-clear (Entwarnung) by the trigger or security."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_active(alarm)
        if not may_resolve(user, current):
            raise AlarmError(
                _("Entwarnung geben können nur die auslösende Person und der Sicherheitsdienst."), 403
            )
        current.status, current.ended_at, current.ended_by = Alarm.Status.RESOLVED, now, user
        current.save(update_fields=["status", "ended_at", "ended_by"])
        _event(current, Kind.RESOLVED, now, user, detail=note)
        live.ended(current)
    return current


# --- escalation and supervision (background tasks, controllable clock) --------------------------------
def escalate(alarm: Alarm | int, *, now: datetime | None = None) -> int:
    """If no person has answered "Ich komme"/"Vor Ort" ``ALARM_ESCALATE_SECONDS`` after the last
    widening, widen the circle (floor, then building and security) and send on the fallback channel.
    A receipt or a sighting is not an answer. Returns the number of new recipients (0: nothing to
    do). Idempotent: the alarm row is locked and the timing is checked under the lock, so the raising
    process's timer and the periodic task never widen twice."""
    now = _now(now)
    wait = timedelta(seconds=settings.ALARM_ESCALATE_SECONDS)
    with transaction.atomic():
        pk = alarm.pk if isinstance(alarm, Alarm) else alarm
        current = (
            Alarm.objects.select_for_update(of=("self",)).select_related("room__floor", "raised_by")
            .filter(pk=pk).first()
        )
        if current is None or not current.is_active:
            return 0
        if current.deliveries.filter(response__in=HELPING).exists():
            return 0
        if now - (current.escalated_at or current.raised_at) < wait:
            return 0
        already = set(current.deliveries.values_list("user_id", flat=True))
        added: list = []
        circle = current.circle
        while not added and circle < 4:
            circle += 1
            added = recipients.widening(
                current.room, current.raised_by, circle, already, location_id=current.location_id
            )
        first_escalation = current.escalated_at is None
        current.circle, current.escalated_at = circle, now
        if added:
            _store_deliveries(current, added, now)
            _event(
                current,
                Kind.ESCALATED,
                now,
                detail=_("Kreis %(circle)s: %(count)s weitere Empfänger")
                % {"circle": circle, "count": len(added)},
            )
            live.fan_out(current.pk, added)
        if first_escalation:
            _fallback(current, now)
        if not added:
            _event(current, Kind.NOBODY, now, detail=_("Niemand hat geantwortet „Ich komme“."))
            live.nobody_reached(current)
        current.save(update_fields=["circle", "escalated_at", "fallback_sent_at"])
        return len(added)


def _fallback(alarm: Alarm, now: datetime) -> None:
    """SMS/phone gateway to security with the room: works without any browser. It texts the
    mobile numbers for alarm SMS (``User.alarm_mobile``), never the desk extension."""
    phones = recipients.security_mobiles(authority_id=alarm.authority_id, location_id=alarm.location_id)
    text = (_("PROBEALARM – ") if alarm.is_drill else "") + _(
        "ALARM Stufe %(level)s: %(place)s. Niemand hat am PC geantwortet, dass er kommt."
    ) % {"level": alarm.level, "place": alarm.where}
    # Immediate, no queue (time-critical); one failing number does not keep the others from their SMS.
    for phone in phones:
        after_commit(send_sms, phone, text, robust=True)
    alarm.fallback_sent_at = now
    if phones:
        detail = _("%(count)s Rufnummern") % {"count": len(phones)}
    else:
        detail = _("0 Rufnummern – der Sicherheitsdienst hat keine Mobilnummer für Alarm-SMS hinterlegt")
    _event(alarm, Kind.FALLBACK, now, detail=detail)


def needs_escalation(alarm_id: int) -> bool:
    """Still active, nobody is coming, and there is a wider circle left."""
    alarm = Alarm.objects.filter(pk=alarm_id, status=Alarm.Status.ACTIVE, circle__lt=4).first()
    return alarm is not None and not alarm.deliveries.filter(response__in=HELPING).exists()


def escalate_due(*, now: datetime | None = None) -> int:
    """Background safety net: escalate every active alarm that is due."""
    now = _now(now)
    wait = timedelta(seconds=settings.ALARM_ESCALATE_SECONDS)
    due = Alarm.objects.filter(
        status=Alarm.Status.ACTIVE, circle__lt=4, raised_at__lte=now - wait
    ).values_list("pk", flat=True)
    return sum(escalate(pk, now=now) for pk in list(due))


def offline_q(now: datetime | None = None) -> Q:
    """Workstations not heard from within ``ALARM_OFFLINE_SECONDS`` (a killed client stops its
    heartbeat; nothing else is needed to notice it)."""
    limit = _now(now) - timedelta(seconds=settings.ALARM_OFFLINE_SECONDS)
    return Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=limit)


def offline_warnings(*, now: datetime | None = None) -> list[int]:
    """Warn security once per offline spell about workstations that are unreachable during the
    location's opening hours for longer than ``ALARM_OFFLINE_WARN_MINUTES`` (counted from the later of
    last contact and today's opening). Returns the ids newly warned."""
    from buergerkontakt.directory.hours import calendar_for
    from buergerkontakt.directory.models import HoursKind

    from . import notifications

    now = _now(now)
    limit = now - timedelta(minutes=settings.ALARM_OFFLINE_WARN_MINUTES)
    warned: list[int] = []
    locations = {w.room.floor.location for w in Workstation.objects.filter(
        is_active=True, offline_warned_at__isnull=True).select_related("room__floor__location")}
    for location in locations:
        window = calendar_for(location, HoursKind.OPENING, timezone.localdate(now)).current_window(now)
        if window is None or window.start > limit:
            continue
        stale = Workstation.objects.filter(
            is_active=True, offline_warned_at__isnull=True, room__floor__location=location
        ).filter(Q(last_seen_at__lt=limit) | Q(last_seen_at__isnull=True, registered_at__lt=limit))
        with transaction.atomic():
            ids = list(stale.select_for_update().values_list("pk", flat=True))
            if not ids:
                continue
            Workstation.objects.filter(pk__in=ids).update(offline_warned_at=now)
            after_commit(notifications.offline_warning, location.pk, ids)
            warned += ids
    return warned


# --- drills (Probealarm) ------------------------------------------------------------------------------
def plan_drill(
    user: User, room: Room, *, level: int = Level.SECURITY, at: datetime | None = None, note: str = "",
    now: datetime | None = None,
) -> Drill:
    """Security plans a drill for a room of its locations; without ``at`` it starts at once."""
    now = _now(now)
    if not has_role(user, Role.SECURITY, obj=room.floor.location):
        raise AlarmError(_("Probealarme planen nur der Sicherheitsdienst des Standorts."), 403)
    if level not in Level.values:
        raise AlarmError(_("Unbekannte Alarmstufe."))
    if at is not None and at < now - timedelta(minutes=1):
        raise AlarmError(_("Der Zeitpunkt liegt in der Vergangenheit. Bitte wählen Sie einen künftigen."))
    drill = Drill.objects.create(
        authority_id=room.floor.location.authority_id,
        location_id=room.floor.location_id,
        room=room,
        level=level,
        scheduled_for=at or now,
        note=" ".join(note.split())[:200],
        created_by=user,
    )
    if at is None:
        start_drill(drill, now=now)
    return drill


def start_drill(drill: Drill | int, *, now: datetime | None = None) -> Alarm | None:
    """Raise the drill's alarm (once): marked as a drill everywhere, escalating like a real one."""
    now = _now(now)
    with transaction.atomic():
        pk = drill.pk if isinstance(drill, Drill) else drill
        current = (
            for_update(Drill.objects.select_related("created_by", "room__floor__location"))
            .filter(pk=pk, alarm__isnull=True, cancelled_at__isnull=True).first()
        )
        if current is None:
            return None
        alarm = raise_alarm(current.created_by, level=current.level, room=current.room, drill=True, now=now)
        current.alarm = alarm
        current.save(update_fields=["alarm"])
    if isinstance(drill, Drill):
        drill.alarm = alarm
    return alarm


def cancel_drill(drill: Drill, user: User, *, now: datetime | None = None) -> Drill:
    now = _now(now)
    if not has_role(user, Role.SECURITY, obj=drill.location):
        raise AlarmError(_("Probealarme absagen kann nur der Sicherheitsdienst des Standorts."), 403)
    updated = Drill.objects.filter(pk=drill.pk, alarm__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )
    if not updated:
        raise AlarmError(_("Dieser Probealarm läuft schon oder ist beendet."), 409)
    drill.refresh_from_db()
    return drill


def run_drills(*, now: datetime | None = None) -> tuple[int, int]:
    """Start the drills that are due and end drill alarms after ``ALARM_DRILL_MINUTES`` (a drill
    must never keep colleagues' screens red). Returns (started, ended)."""
    now = _now(now)
    due = Drill.objects.filter(scheduled_for__lte=now, alarm__isnull=True, cancelled_at__isnull=True)
    started = sum(1 for pk in list(due.values_list("pk", flat=True)) if start_drill(pk, now=now))
    cutoff = now - timedelta(minutes=settings.ALARM_DRILL_MINUTES)
    ended = 0
    for pk in list(Alarm.objects.filter(is_drill=True, status=Alarm.Status.ACTIVE, raised_at__lte=cutoff)
                   .values_list("pk", flat=True)):
        with transaction.atomic():
            current = Alarm.objects.select_for_update().filter(pk=pk, status=Alarm.Status.ACTIVE).first()
            if current is None:
                continue
            current.status, current.ended_at = Alarm.Status.RESOLVED, now
            current.save(update_fields=["status", "ended_at"])
            _event(current, Kind.RESOLVED, now, detail=_("Probealarm automatisch beendet"))
            live.ended(current)
            ended += 1
    return started, ended


# --- privacy: pseudonymised timelines (called by the privacy app, docs/privacy/loeschkonzept.md) ---
def pseudonymise_before(before: datetime, *, keep_alarm_ids=(), batch_size: int = 500) -> int:
    """Remove who did what from the timelines of alarms raised before ``before``: the person named in
    the place text, the accounts and free texts of the timeline. Times, kinds, deliveries' latencies
    and responses stay (the response statistics). Alarms in ``keep_alarm_ids`` (linked to an incident
    report, which has its own retention) are left alone. In batches, idempotent; the number changed."""
    named = TimelineEvent.objects.filter(alarm=OuterRef("pk")).filter(Q(user__isnull=False) | ~Q(detail=""))
    due = (Alarm.objects.filter(raised_at__lt=before).exclude(pk__in=list(keep_alarm_ids))
           .filter(~Q(place="") | Exists(named)))

    def pseudonymise(batch: list[int]) -> int:
        TimelineEvent.objects.filter(alarm_id__in=batch).update(user=None, detail="")
        return Alarm.objects.filter(pk__in=batch).update(place="")

    return in_batches(due, pseudonymise, batch_size=batch_size)


# --- staff data: names in response reports only with a reason ------------------------------------
def may_see_names(user: User, alarm: Alarm) -> bool:
    """Security of the location or administration of the authority (management)."""
    return has_role(user, Role.SECURITY, obj=alarm.location) or has_role(user, Role.ADMIN, obj=alarm.location)


@transaction.atomic
def reveal_names(alarm: Alarm, user: User, reason: str, now: datetime | None = None):
    """Log that ``user`` sees the report of ``alarm`` with names, and why (≥ 20 characters)."""
    from .models import NamedReportAccess

    if not may_see_names(user, alarm):
        raise AlarmError(_("Namen im Bericht sehen nur Sicherheitsdienst und Leitung."), 403)
    reason = " ".join((reason or "").split())
    if len(reason) < 20:
        raise AlarmError(_("Bitte begründen Sie, wozu Sie die Namen brauchen (mindestens 20 Zeichen)."))
    return NamedReportAccess.objects.create(alarm=alarm, user=user, reason=reason[:300], at=_now(now))
