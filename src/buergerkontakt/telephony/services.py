"""The telephony app's public write API.

* :func:`record_event` – one CTI event (any adapter) into the caller log: idempotent per
  ``callId`` and event, out-of-order safe, the screen pop pushed after commit, and for a
  click-to-call of a callback ticket the attempt logged when the hangup arrives.
* :func:`originate` – click-to-call: the originate request to the configured dial URL.
* :func:`ticket_from_missed` – a missed call (with the same number's other missed calls of that
  Berlin day) becomes one callback ticket.
* :func:`solve_directly` – the agent solved the call at once ("direkt gelöst").
* :func:`purge_calls_before` – the retention hook of the deletion concept.

Numbers are personal data: logs carry only their last digits (``callbacks.phones.masked``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.callbacks import phones
from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.callbacks.exceptions import CallbackError, InvalidPhone, UnknownTeam
from buergerkontakt.callbacks.models import Outcome as AttemptOutcome
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Authority, Team, User
from buergerkontakt.directory.hours import calendar_for
from buergerkontakt.directory.models import HoursKind, Service

from . import live
from .adapters import ANSWER, HANGUP, NEW, Event
from .exceptions import DialFailed, DialNotConfigured, NeedsAgent, NoExtension, TelephonyError
from .models import UNANSWERED, Call, Direction, Extension, Line, Outcome, Provider

log = logging.getLogger(__name__)
ANONYMOUS = {"anonymous", "unknown", "restricted", "private", "unavailable", ""}


def mask(number: str) -> str:
    return phones.masked(number) if number else "–"


def external_number(raw: str) -> tuple[str, bool]:
    """(E.164 or the short internal number, withheld?) of what a PBX sends: ``493055571600``
    (Zammad, sipgate: international without +), ``0049…``, ``+49…``, ``030…``, ``anonymous``."""
    text = "".join(ch for ch in (raw or "") if ch.isdigit() or ch == "+")
    if (raw or "").strip().lower() in ANONYMOUS or not text:
        return "", True
    candidates = [text]
    if text.startswith("00"):
        candidates = ["+" + text[2:]]
    elif text[0] not in "+0" and len(text) >= 10:
        candidates = ["+" + text, text]
    for candidate in candidates:
        try:
            return phones.normalise(candidate), False
        except InvalidPhone:
            continue
    return text[:20], False  # an internal extension or a number phonenumbers does not know


# --- who and which team --------------------------------------------------------------------------
def resolve_users(authority: Authority, identifiers: tuple[str, ...] | list[str]) -> list[User]:
    """Staff members the PBX means: extensions first, then login, e-mail or full name."""
    wanted = [i for i in identifiers if i]
    if not wanted:
        return []
    found: dict[int, User] = {}
    extensions = Extension.objects.filter(authority=authority, identifier__in=wanted).select_related("user")
    for extension in extensions:
        found.setdefault(extension.user_id, extension.user)
    people = User.objects.filter(authority=authority, is_active=True)
    lowered = {w.lower() for w in wanted}
    for user in people.filter(Q(username__in=wanted) | Q(email__in=wanted)):
        found.setdefault(user.pk, user)
    last_names = {w.split()[-1] for w in wanted if " " in w}
    if last_names:
        for user in people.filter(last_name__in=last_names):
            if user.get_full_name().lower() in lowered:
                found.setdefault(user.pk, user)
    return [u for u in found.values() if u.is_active]


def line_team(authority: Authority, *keys: str) -> Team | None:
    keys = tuple(k for k in keys if k)
    if not keys:
        return None
    line = Line.objects.filter(authority=authority, number__in=keys).select_related("team").first()
    return line.team if line else None


def outside_hours(team: Team | None, at: datetime) -> bool:
    """Whether ``at`` lies outside the team's phone hours (False where no hours are known)."""
    if team is None:
        return False
    calendar = calendar_for(team, HoursKind.PHONE, today=timezone.localtime(at).date())
    if not calendar.weekly and not calendar.special_days:
        return False
    return calendar.current_window(at) is None


# --- events --------------------------------------------------------------------------------------
def _locked_call(authority: Authority, event: Event, provider: str, now: datetime) -> tuple[Call, bool]:
    query = Call.objects.filter(authority=authority, call_id=event.call_id)
    call = for_update(query).first()
    if call is not None:
        return call, False
    started = now - timedelta(seconds=event.duration or 0)
    try:
        with transaction.atomic():
            call = Call.objects.create(authority=authority, call_id=event.call_id, provider=provider,
                                       direction=event.direction, started_at=started)
        return call, True
    except IntegrityError:  # the same call's other event won the insert
        return for_update(query).get(), False


def _fill_parties(call: Call, event: Event, created: bool) -> None:
    if event.kind != NEW and not created:
        return
    call.direction = event.direction
    number, withheld = external_number(event.external)
    if number or withheld:
        call.number, call.anonymous = number, withheld
    own, _withheld = external_number(event.own)
    call.line = (event.queue or own or event.own)[:40]
    if call.team_id is None:
        call.team = line_team(call.authority, event.queue, own, event.own)


def record_event(authority: Authority, event: Event, *, provider: str = Provider.GENERIC,
                 now: datetime | None = None) -> tuple[Call, bool]:
    """Store one CTI event. Returns the call and whether the event was new (False: a repeat,
    nothing changed)."""
    moment = now or timezone.now()
    with transaction.atomic():
        call, created = _locked_call(authority, event, provider, moment)
        if event.kind in call.events:
            log.info("cti %s %s repeated (call %s)", provider, event.kind, call.pk)
            return call, False
        call.events = [*call.events, event.kind]
        _fill_parties(call, event, created)
        ringing_for: list[int] = []
        if event.kind == NEW:
            call.started_at = min(call.started_at, moment)
            if call.direction == Direction.IN:
                people = resolve_users(authority, event.agents)
                call.agents = [u.pk for u in people]
                call.outside_hours = outside_hours(call.team, call.started_at)
                ringing_for = call.agents
            elif call.agent_id is None:
                people = resolve_users(authority, event.agents)
                call.agent = people[0] if people else None
        elif event.kind == ANSWER:
            _answer(call, event, moment)
        elif event.kind == HANGUP:
            _hangup(call, event, moment)
        call.save()
        log.info("cti %s %s call %s %s number %s", provider, event.kind, call.pk, call.direction,
                 mask(call.number))
        if call.direction == Direction.IN and (event.kind != NEW or call.ended_at is None):
            live.call_changed(call, also=ringing_for)
        if event.kind == HANGUP:
            _log_click_to_call_attempt(call)
    return call, True


def _answer(call: Call, event: Event, moment: datetime) -> None:
    call.answered = True
    at = moment if call.ended_at is None else min(moment, call.ended_at)
    call.answered_at = max(min(call.answered_at or at, at), call.started_at)
    if call.direction == Direction.IN and call.agent_id is None:
        people = resolve_users(call.authority, event.answering)
        call.agent = people[0] if people else None


def _hangup(call: Call, event: Event, moment: datetime) -> None:
    # The moment is read before the call's lock: a hang-up that raced an answer may carry the
    # earlier time although it is applied second. A call never ends before it was answered.
    call.ended_at = max(moment, call.started_at, call.answered_at or call.started_at)
    call.cause = event.cause[:40]
    outcome = event.outcome
    if call.answered and outcome in UNANSWERED:
        outcome = Outcome.ANSWERED  # the answer event is the stronger evidence
    call.outcome = outcome
    if outcome == Outcome.ANSWERED:
        call.answered = True
        if call.answered_at is None and event.duration is not None:
            call.answered_at = max(call.ended_at - timedelta(seconds=event.duration), call.started_at)
        if call.agent_id is None and event.answering and call.direction == Direction.IN:
            people = resolve_users(call.authority, event.answering)
            call.agent = people[0] if people else None
    if event.duration is not None:
        call.duration = event.duration if outcome == Outcome.ANSWERED else 0
    elif call.answered_at is not None:
        call.duration = int((call.ended_at - call.answered_at).total_seconds())
    else:
        call.duration = 0


ATTEMPT_OUTCOMES = {
    Outcome.ANSWERED: AttemptOutcome.REACHED_SOLVED,
    Outcome.VOICEMAIL: AttemptOutcome.VOICEMAIL,
}


def attempt_outcome(call: Call) -> str:
    if call.cause.lower() == "notfound":
        return AttemptOutcome.WRONG_NUMBER
    return ATTEMPT_OUTCOMES.get(call.outcome, AttemptOutcome.NOT_REACHED)


def _log_click_to_call_attempt(call: Call) -> None:
    """The hangup of a click-to-call of a ticket logs the attempt (once)."""
    if call.direction != Direction.OUT or not call.ticket_number or call.attempt_logged:
        return
    ticket = Ticket.objects.filter(authority=call.authority, number=call.ticket_number).first()
    call.attempt_logged = True
    call.save(update_fields=["attempt_logged"])
    if ticket is None or not ticket.is_open:
        return
    minutes, seconds = divmod(call.duration or 0, 60)
    note = _("automatisch erfasst (Telefonanlage): %(outcome)s, Gesprächsdauer %(m)d:%(s)02d Min.") % {
        "outcome": call.get_outcome_display(), "m": minutes, "s": seconds}
    try:
        callbacks.log_attempt(ticket, attempt_outcome(call), by=call.agent, note=note, now=call.ended_at)
    except CallbackError:
        log.info("click-to-call attempt of call %s not logged: ticket closed", call.pk)


# --- click-to-call -------------------------------------------------------------------------------
def originate(agent: User, *, ticket: Ticket | None = None, number: str = "",
              now: datetime | None = None) -> Call:
    """Ask the PBX to connect the agent's extension with the citizen (``TELEPHONY_DIAL_URL``).

    The request (JSON) carries ``callId`` (ours; the PBX reports the call's events with it, or
    answers with its own ``callId``/``sessionId``, which we then keep), ``from`` (the agent's
    extension), ``to`` (E.164) and ``ticket``.
    """
    url = settings.TELEPHONY_DIAL_URL
    if not url:
        raise DialNotConfigured()
    authority = ticket.authority if ticket is not None else agent.authority
    if authority is None:
        raise TelephonyError()
    target = phones.normalise(ticket.phone if ticket is not None else number)
    extension = (Extension.objects.filter(authority=authority, user=agent, dial_from=True)
                 .order_by("pk").first())
    if extension is None:
        raise NoExtension()
    moment = now or timezone.now()
    call = Call.objects.create(
        authority=authority, call_id=f"bk-{uuid.uuid4().hex}", provider=Provider.PLATFORM,
        direction=Direction.OUT, number=target, agent=agent, started_at=moment,
        ticket_number=ticket.number if ticket is not None else "", line=extension.identifier[:40])
    headers = {"Content-Type": "application/json"}
    if settings.TELEPHONY_DIAL_TOKEN:
        headers["Authorization"] = f"Bearer {settings.TELEPHONY_DIAL_TOKEN}"
    body = {"callId": call.call_id, "from": extension.identifier, "to": target,
            "ticket": call.ticket_number}
    try:
        response = requests.post(url, json=body, headers=headers, timeout=settings.TELEPHONY_DIAL_TIMEOUT)
        ok = response.status_code < 400
    except requests.RequestException:
        ok, response = False, None
    if not ok:
        Call.objects.filter(pk=call.pk).update(ended_at=moment, outcome=Outcome.FAILED, duration=0,
                                               attempt_logged=True)
        log.warning("originate of call %s failed (%s)", call.pk,
                    response.status_code if response is not None else "no answer")
        raise DialFailed()
    pbx_id = _pbx_call_id(response)
    if pbx_id and pbx_id != call.call_id:
        try:
            with transaction.atomic():
                Call.objects.filter(pk=call.pk).update(call_id=pbx_id)
            call.call_id = pbx_id
        except IntegrityError:
            log.info("originate: the PBX's id of call %s is known already", call.pk)
    log.info("originate call %s to %s", call.pk, mask(target))
    return call


def _pbx_call_id(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("callId", "sessionId", "session_id", "id"):
        value = data.get(key)
        if isinstance(value, str | int) and 0 < len(str(value)) <= 250:
            return str(value)
    return ""


# --- missed calls --------------------------------------------------------------------------------
def berlin_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The local midnights around ``moment`` (a DST day has 23 or 25 hours)."""
    day = timezone.localtime(moment).date()
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def _same_day_missed(call: Call):
    start, end = berlin_day_bounds(call.started_at)
    return Call.objects.filter(authority_id=call.authority_id, number=call.number, direction=Direction.IN,
                               outcome__in=UNANSWERED, ticket_number="", started_at__gte=start,
                               started_at__lt=end)


def ticket_from_missed(call: Call, *, by: User | None, now: datetime | None = None) -> Ticket:
    """One callback ticket for a missed call and the same number's other missed calls that Berlin
    day. The responsibility rules route it with what is known about the number (the name and case
    number of its last ticket); otherwise the team of the dialled line takes it."""
    if not call.is_missed:
        raise TelephonyError(_("Dieser Anruf wurde angenommen oder läuft noch."))
    if not call.number or call.anonymous:
        raise TelephonyError(_("Die Rufnummer wurde nicht übermittelt; ein Rückruf ist nicht möglich."))
    if call.ticket_number:
        raise TelephonyError(_("Zu diesem Anruf gibt es bereits das Rückrufticket %(number)s.")
                             % {"number": call.ticket_number})
    known = (Ticket.objects.filter(authority_id=call.authority_id, phone=call.number)
             .order_by("-created_at").first())
    group = list(_same_day_missed(call).order_by("started_at"))
    times = ", ".join(timezone.localtime(c.started_at).strftime("%H:%M") for c in group) or "–"
    topic = _("Verpasster Anruf (%(count)d×, %(times)s Uhr)") % {"count": len(group) or 1, "times": times}
    name = known.caller_name if known else _("Unbekannt (Rückrufnummer)")
    kwargs = {"caller_name": name, "phone": call.number, "topic": topic[:200],
              "case_number": known.case_number if known else "",
              "service": known.service if known else None, "by": by, "now": now}
    with transaction.atomic():
        try:
            if known is None:
                raise UnknownTeam()
            ticket = callbacks.create_ticket(call.authority, **kwargs)
        except UnknownTeam:
            if call.team is None:
                raise NeedsAgent() from None
            ticket = callbacks.create_ticket(call.authority, team=call.team, **kwargs)
        ids = [c.pk for c in group] or [call.pk]
        Call.objects.filter(pk__in=ids, ticket_number="").update(ticket_number=ticket.number)
    return ticket


def solve_directly(call: Call, *, agent: User, topic: str = "", service: Service | None = None,
                   now: datetime | None = None):
    """The agent solved the call at once: a first-contact record (no personal data) and the mark
    on the call."""
    with transaction.atomic():
        current = for_update(Call.objects.filter(pk=call.pk)).get()
        if current.first_contact:
            raise TelephonyError(_("Dieser Anruf ist bereits als direkt gelöst erfasst."))
        record = callbacks.log_first_contact(current.authority, agent=agent, service=service, topic=topic,
                                             now=now)
        current.first_contact = True
        if current.agent_id is None:
            current.agent = agent
        current.save(update_fields=["first_contact", "agent"])
    return record


# --- retention -----------------------------------------------------------------------------------
def purge_calls_before(cutoff: datetime) -> int:
    """Erase the citizens' numbers of calls that started before ``cutoff`` (the deletion
    concept's retention hook). The times, outcome and team stay for the service levels, without
    anything that points to a person. Returns the number of calls erased."""
    return (Call.objects.filter(started_at__lt=cutoff, erased_at__isnull=True)
            .update(number="", agents=[], events=[], erased_at=timezone.now()))


__all__ = ["external_number", "originate", "purge_calls_before", "record_event", "solve_directly",
           "ticket_from_missed"]
