"""Callback tickets: the public write API of the app.

Every function runs in one transaction, locks the ticket row (``select_for_update``; the only
lock taken, so there is no lock-order question) and sends messages after commit
through ``notifications.notify`` (task arguments are ids only). Every function takes an optional
``now`` (aware datetime) for tests and simulations.

* :func:`create_ticket` – validate, route (rules → team → case worker / deputy / pool), set the
  deadline and the first attempt, tell the caller the ticket number and status link.
* :func:`log_first_contact` – "Direkt gelöst": counts the call, stores no personal data.
* :func:`log_attempt` – one call attempt with its outcome; schedules the next attempt, or closes
  the ticket, or – after the last failed attempt – sends the written notice.
* :func:`pause_clock` / :func:`resume_clock` – stop and restart the deadline clock with a reason.
* :func:`reassign` – another team member or the team pool.
* :func:`link_appointment` – the ticket became an appointment (booking code), ticket solved.
* :func:`escalate_due` – the periodic task: warning to the team lead at the configured share of the
  time, and again at breach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditlog.models import LogEntry as AuditLogEntry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.core.calendar import BusinessCalendar
from buergerkontakt.core.erasure import contact_q, in_batches
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Authority, Team, User
from buergerkontakt.directory import hours
from buergerkontakt.directory.models import HoursKind, Service

from . import deadlines, notifications, phones, scheduling
from .exceptions import CallbackError, TicketClosed, UnknownTeam
from .models import (
    FAILED_OUTCOMES,
    REACHED_OUTCOMES,
    Attempt,
    CallbackPolicy,
    Channel,
    FirstContact,
    Outcome,
    Pause,
    Ticket,
    TicketEvent,
    Urgency,
)
from .routing import Route, route

log = logging.getLogger(__name__)

Status = Ticket.Status
Kind = TicketEvent.Kind

FIELD_LIMITS = {"caller_name": 200, "email": 254, "case_number": 40, "topic": 200, "note": 2000,
                "reason": 300, "attempt_note": 500}


class InvalidInput(CallbackError):
    default_message = gettext_lazy("Bitte prüfen Sie Ihre Angaben.")


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _text(value: str | None, field: str, *, required: bool = False, label: str = "") -> str:
    text = " ".join(str(value or "").split()) if field != "note" else str(value or "").strip()
    if required and not text:
        raise InvalidInput(_("Bitte geben Sie %(label)s an.") % {"label": label})
    if len(text) > FIELD_LIMITS[field]:
        raise InvalidInput(_("Bitte geben Sie höchstens %(limit)d Zeichen an.")
                           % {"limit": FIELD_LIMITS[field]})
    return text


# --- calendars -----------------------------------------------------------------------------------
def calendar_kind(team: Team) -> str:
    """Callback hours where the team (or its location) has them, else the opening hours."""
    return HoursKind.CALLBACK if hours.rules_for(team, HoursKind.CALLBACK) else HoursKind.OPENING


def team_calendar(team: Team, since: datetime) -> BusinessCalendar:
    """The business calendar deadlines and attempts of ``team``'s tickets are computed on."""
    return hours.calendar_for(team, calendar_kind(team), today=timezone.localtime(since).date())


def policy_for(authority: Authority | int) -> CallbackPolicy:
    return CallbackPolicy.for_authority(authority)


def _deadline(ticket: Ticket, calendar: BusinessCalendar) -> deadlines.Deadline | None:
    pauses = [(p.started_at, p.ended_at) for p in ticket.pauses.all()] if ticket.pk else []
    return deadlines.compute(calendar, ticket.created_at, ticket.urgency,
                             deadlines.Policy.of(policy_for(ticket.authority_id)), pauses=pauses,
                             not_before=ticket.window_end)


def _event(ticket: Ticket, kind: str, by: User | None, text: str = "", at: datetime | None = None) -> None:
    TicketEvent.objects.create(ticket=ticket, kind=kind, by=by, text=text[:500], at=at or timezone.now())


# --- creating ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def callback_windows(team: Team, *, now: datetime | None = None, days: int = 5,
                     length: timedelta = timedelta(hours=2)) -> list[Window]:
    """Windows a citizen can choose online: the team's callback hours of the next ``days`` working
    days, cut into pieces of ``length`` (a rest of at least an hour is a window of its own),
    starting at least one hour from now."""
    moment = _now(now)
    calendar = hours.calendar_for(team, HoursKind.CALLBACK, today=timezone.localtime(moment).date())
    earliest = moment + timedelta(hours=1)
    result: list[Window] = []
    seen_days: set = set()
    for window in calendar.windows(earliest, days=days * 2 + 7):
        day = window.start.astimezone(calendar.tz).date()
        if day not in seen_days and len(seen_days) >= days:
            break
        seen_days.add(day)
        start = window.start
        while start < window.end:
            end = min(start + length, window.end)
            if start >= earliest and end - start >= timedelta(hours=1):
                result.append(Window(start, end))
            start = end
    return result


def preview_route(authority: Authority | int, *, name: str = "", case_number: str = "",
                  service: Service | None = None, team: Team | None = None,
                  now: datetime | None = None) -> Route:
    return route(authority, name=name, case_number=case_number, service=service, team=team,
                 on=timezone.localtime(_now(now)).date())


def deadline_for(team: Team, urgency: str, now: datetime | None = None) -> datetime:
    """The deadline a ticket for ``team`` created now would get (the agent's preview)."""
    probe = Ticket(authority_id=team.authority_id, team=team, urgency=urgency, created_at=_now(now))
    return _deadline(probe, team_calendar(team, probe.created_at)).due_at


def create_ticket(authority: Authority, *, caller_name: str, phone: str, topic: str = "",
                  urgency: str = Urgency.NORMAL, email: str = "", case_number: str = "",
                  service: Service | None = None, team: Team | None = None, prefers_morning: bool = True,
                  prefers_afternoon: bool = True, window: Window | None = None, note: str = "",
                  channel: str = Channel.PHONE, by: User | None = None, language: str = "de",
                  now: datetime | None = None) -> Ticket:
    """Validate, route, set the deadline and the first attempt; tell the caller after commit."""
    moment = _now(now)
    name = _text(caller_name, "caller_name", required=True, label=_("den Namen"))
    e164 = phones.normalise(phone)
    mail = _text(email, "email").lower()
    if mail:
        try:
            validate_email(mail)
        except ValidationError:
            raise InvalidInput(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from None
    case = _text(case_number, "case_number")
    subject = _text(topic, "topic")
    if not subject and service is None:
        raise InvalidInput(_("Bitte geben Sie das Anliegen oder die Leistung an."))
    if urgency not in Urgency.values:
        raise InvalidInput(_("Unbekannte Dringlichkeit."))
    if service is not None and service.authority_id != authority.pk:
        raise InvalidInput(_("Diese Leistung gehört zu einer anderen Behörde."))
    if team is not None and team.authority_id != authority.pk:
        raise UnknownTeam(_("Dieses Team gehört zu einer anderen Behörde."))
    if not (prefers_morning or prefers_afternoon):
        prefers_morning = prefers_afternoon = True
    if window is not None and not (moment < window.end and window.start < window.end):
        raise InvalidInput(_("Das gewählte Zeitfenster liegt in der Vergangenheit. Bitte wählen Sie "
                             "ein anderes."))
    routed = preview_route(authority, name=name, case_number=case, service=service, team=team, now=moment)
    if routed.team is None:
        raise UnknownTeam()
    with transaction.atomic():
        ticket = Ticket(
            authority=authority, team=routed.team, assignee=routed.assignee, rule=routed.rule,
            routing_note=str(routed.note)[:200], channel=channel, created_by=by, created_at=moment,
            caller_name=name, phone=e164, email=mail, case_number=case, service=service,
            topic=subject or (service.name if service else ""), note=_text(note, "note"), urgency=urgency,
            language=language if language in ("de", "en") else "de",
            prefers_morning=prefers_morning, prefers_afternoon=prefers_afternoon,
            window_start=window.start if window else None, window_end=window.end if window else None,
        )
        calendar = team_calendar(routed.team, moment)
        deadline = _deadline(ticket, calendar)
        ticket.due_at, ticket.warn_at = deadline.due_at, deadline.warn_at
        ticket.next_attempt_at = scheduling.first_attempt(
            calendar, moment, morning=prefers_morning, afternoon=prefers_afternoon,
            window_start=ticket.window_start)
        ticket.save()
        _event(ticket, Kind.CREATED, by, f"{routed.team} – {routed.assignee or _('Team-Postkorb')}", moment)
        notifications.notify(ticket, "created")
    return ticket


def log_first_contact(authority: Authority, *, agent: User | None, service: Service | None = None,
                      topic: str = "", urgency: str = Urgency.NORMAL, now: datetime | None = None
                      ) -> FirstContact:
    """A call solved at once: only what it was about, never who called."""
    subject = _text(topic, "topic")
    if not subject and service is None:
        raise InvalidInput(_("Bitte geben Sie das Anliegen oder die Leistung an."))
    if service is not None and service.authority_id != authority.pk:
        raise InvalidInput(_("Diese Leistung gehört zu einer anderen Behörde."))
    if urgency not in Urgency.values:
        urgency = Urgency.NORMAL
    return FirstContact.objects.create(authority=authority, agent=agent, service=service, topic=subject,
                                       urgency=urgency, at=_now(now))


# --- working a ticket ----------------------------------------------------------------------------
def _locked(ticket: Ticket) -> Ticket:
    return for_update(Ticket.objects.select_related("team", "authority")).get(pk=ticket.pk)


def _close(ticket: Ticket, status: str, at: datetime) -> None:
    ticket.status = status
    ticket.closed_at = at
    ticket.next_attempt_at = None


def log_attempt(ticket: Ticket, outcome: str, *, by: User | None, note: str = "",
                now: datetime | None = None) -> Attempt:
    """Log one call attempt. Reached → closed; wrong number → closed with a written notice where an
    e-mail address is known; not reached / voicemail → next attempt at a different time of day, or
    after the last allowed attempt the written notice."""
    if outcome not in Outcome.values:
        raise InvalidInput(_("Bitte wählen Sie das Ergebnis des Anrufs."))
    moment = _now(now)
    text = _text(note, "attempt_note")
    with transaction.atomic():
        current = _locked(ticket)
        if not current.is_open:
            raise TicketClosed()
        current.attempts_made += 1
        attempt = Attempt(ticket=current, number=current.attempts_made, at=moment, by=by, outcome=outcome,
                          note=text)
        policy = policy_for(current.authority_id)
        kind = "attempt"
        if outcome in REACHED_OUTCOMES:
            _close(current, Status.SOLVED, moment)
            kind = ""
        elif outcome == Outcome.WRONG_NUMBER or current.attempts_made >= policy.max_attempts:
            _close(current, Status.UNREACHABLE, moment)
            kind = "notice"
        else:
            failed = [a.at for a in current.attempts.filter(outcome__in=FAILED_OUTCOMES)] + [moment]
            calendar = team_calendar(current.team, moment)
            current.next_attempt_at = scheduling.next_attempt(
                calendar, moment, failed, gap=timedelta(minutes=policy.retry_gap_minutes),
                morning=current.prefers_morning, afternoon=current.prefers_afternoon)
            attempt.next_attempt_at = current.next_attempt_at
        if current.paused_since is not None and not current.is_open:
            _end_pause(current, by, moment, _("Ticket abgeschlossen"))
        if kind == "notice":
            current.notice_text = notifications.notice_letter(current)
        attempt.save()
        current.save()
        _event(current, Kind.ATTEMPT, by, f"{attempt.number}: {attempt.get_outcome_display()}", moment)
        if kind == "notice":
            _event(current, Kind.NOTICE, by, "", moment)
            notifications.notify(current, "notice", wrong_number=outcome == Outcome.WRONG_NUMBER)
        elif kind == "attempt":
            notifications.notify(current, "attempt", attempt=attempt)
    ticket.refresh_from_db()
    return attempt


def _end_pause(ticket: Ticket, by: User | None, moment: datetime, reason: str) -> None:
    for pause in Pause.objects.filter(ticket=ticket, ended_at__isnull=True):
        pause.ended_at, pause.ended_by, pause.resume_reason = moment, by, reason[:300]
        pause.save(update_fields=["ended_at", "ended_by", "resume_reason"])  # audited (auditlog)
    ticket.paused_since = None


def pause_clock(ticket: Ticket, reason: str, *, by: User | None, now: datetime | None = None) -> Ticket:
    """Stop the deadline clock (e.g. the caller asked to be called after a document arrives)."""
    text = _text(reason, "reason", required=True, label=_("einen Grund"))
    moment = _now(now)
    with transaction.atomic():
        current = _locked(ticket)
        if not current.is_open:
            raise TicketClosed()
        if current.paused_since is not None:
            raise CallbackError(_("Die Frist ist bereits angehalten."))
        Pause.objects.create(ticket=current, started_at=moment, reason=text, started_by=by)
        current.paused_since = moment
        current.due_at = current.warn_at = None
        current.save(update_fields=["paused_since", "due_at", "warn_at"])
        _event(current, Kind.PAUSED, by, text, moment)
    return current


def resume_clock(ticket: Ticket, reason: str = "", *, by: User | None, now: datetime | None = None) -> Ticket:
    """Restart the clock: the deadline moves by the working time the pause took."""
    text = _text(reason, "reason")
    moment = _now(now)
    with transaction.atomic():
        current = _locked(ticket)
        if current.paused_since is None:
            raise CallbackError(_("Die Frist läuft bereits."))
        _end_pause(current, by, moment, text)
        calendar = team_calendar(current.team, current.created_at)
        deadline = _deadline(current, calendar)
        current.due_at, current.warn_at = deadline.due_at, deadline.warn_at
        if current.warned_at and current.warn_at > moment:
            current.warned_at = None  # a new warning is due at the moved moment
        if current.breached_at and current.due_at > moment:
            current.breached_at = None
        current.save(update_fields=["paused_since", "due_at", "warn_at", "warned_at", "breached_at"])
        _event(current, Kind.RESUMED, by, text, moment)
    return current


def reassign(ticket: Ticket, assignee: User | None, *, by: User | None,
             now: datetime | None = None) -> Ticket:
    """Give the ticket to a member of its team, or to the team pool (None)."""
    moment = _now(now)
    with transaction.atomic():
        current = _locked(ticket)
        if not current.is_open:
            raise TicketClosed()
        if assignee is not None and not assignee.teams.filter(pk=current.team_id).exists():
            raise InvalidInput(_("Diese Person gehört nicht zum zuständigen Team."))
        current.assignee = assignee
        current.routing_note = str(_("von Hand zugeordnet"))
        current.save(update_fields=["assignee", "routing_note"])
        _event(current, Kind.REASSIGNED, by, str(assignee or _("Team-Postkorb")), moment)
    return current


def link_appointment(ticket: Ticket, code: str, *, by: User | None, now: datetime | None = None) -> Ticket:
    """The caller got an appointment instead: remember the booking code and close the ticket."""
    from buergerkontakt.appointments.models import Appointment

    moment = _now(now)
    normalised = "".join(str(code or "").split()).upper()
    if not normalised or len(normalised) > 12:
        raise InvalidInput(_("Bitte geben Sie den Buchungscode des Termins an."))
    appointment = (Appointment.objects.filter(code=normalised, location__authority_id=ticket.authority_id)
                   .first())
    if appointment is None:
        raise InvalidInput(_("Zu diesem Buchungscode gibt es keinen Termin in Ihrer Behörde."))
    with transaction.atomic():
        current = _locked(ticket)
        if not current.is_open:
            raise TicketClosed()
        if current.paused_since is not None:
            _end_pause(current, by, moment, _("Termin vereinbart"))
        current.appointment_code = appointment.code
        _close(current, Status.SOLVED, moment)
        current.save()
        _event(current, Kind.APPOINTMENT, by, appointment.code, moment)
    return current


# --- escalation ----------------------------------------------------------------------------------
def escalate_due(now: datetime | None = None) -> int:
    """Warn the team leads of tickets past their warning moment, and again at breach (idempotent:
    each step is claimed by a conditional UPDATE, so parallel runs send it once)."""
    moment = _now(now)
    sent = 0
    open_running = Ticket.objects.filter(status=Status.OPEN, paused_since__isnull=True)
    steps = (
        ("warned_at", "warn_at", Kind.WARNED, "warning"),
        ("breached_at", "due_at", Kind.BREACHED, "breach"),
    )
    for claimed, moment_field, kind, message in steps:
        due_ids = list(open_running.filter(**{f"{claimed}__isnull": True, f"{moment_field}__lte": moment})
                       .values_list("pk", flat=True)[:500])
        for pk in due_ids:
            with transaction.atomic():
                won = Ticket.objects.filter(pk=pk, **{f"{claimed}__isnull": True}).update(**{claimed: moment})
                if not won:
                    continue
                ticket = Ticket.objects.get(pk=pk)
                _event(ticket, kind, None, "", moment)
                notifications.notify(ticket, message)
                sent += 1
    return sent


# --- privacy: retention, access and erasure (called by the privacy app, docs/privacy/loeschkonzept.md) ---
# A closed ticket keeps its team, times, deadline, urgency, channel, status and its attempts' times
# and outcomes – what the deadline statistics and the public promise count.
PERSONAL_BLANKS = {"caller_name": "", "phone": "", "email": "", "case_number": "", "topic": "",
                   "note": "", "notice_text": "", "appointment_code": ""}
_HAS_PERSONAL_DATA = (
    ~Q(caller_name="") | ~Q(phone="") | ~Q(email="") | ~Q(case_number="") | ~Q(topic="") | ~Q(note="")
    | ~Q(notice_text="") | ~Q(appointment_code="")
)


def _blank_tickets(batch: list[int]) -> int:
    done = Ticket.objects.filter(pk__in=batch).update(**PERSONAL_BLANKS)
    Attempt.objects.filter(ticket_id__in=batch).update(note="")
    TicketEvent.objects.filter(ticket_id__in=batch).update(text="")
    pauses = list(Pause.objects.filter(ticket_id__in=batch).values_list("pk", flat=True))
    Pause.objects.filter(pk__in=pauses).update(reason="", resume_reason="")
    # the audit log kept the pauses' reasons as they were written
    AuditLogEntry.objects.get_for_objects(Pause.objects.filter(pk__in=pauses)).delete()
    return done


def _anonymise(queryset, batch_size: int) -> int:
    return in_batches(queryset.filter(_HAS_PERSONAL_DATA), _blank_tickets, batch_size=batch_size)


def purge_personal_data(before: datetime, *, batch_size: int = 500) -> int:
    """Remove the caller's details (and the free texts of attempts, events and pauses) from every
    ticket closed before ``before``; open tickets keep them. In batches, idempotent."""
    closed = Ticket.objects.exclude(status=Ticket.Status.OPEN).filter(closed_at__lt=before)
    return _anonymise(closed, batch_size)


def _of_person(emails, phones, authority_id: int | None):
    found = Ticket.objects.filter(contact_q(emails, phones))
    return found if authority_id is None else found.filter(authority_id=authority_id)


def personal_data_of(*, emails=(), phones=(), authority_id: int | None = None) -> list[dict]:
    """Art. 15: every callback ticket with one of these e-mail addresses or phone numbers."""
    rows = []
    tickets = _of_person(emails, phones, authority_id).select_related("team").order_by("created_at", "pk")
    for ticket in tickets:
        rows.append({
            "number": ticket.number,
            "status": ticket.get_status_display(),
            "team": ticket.team.name,
            "created_at": ticket.created_at.isoformat(),
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
            "name": ticket.caller_name,
            "phone": ticket.phone,
            "email": ticket.email,
            "case_number": ticket.case_number,
            "topic": ticket.topic,
            "note": ticket.note,
            "notice_text": ticket.notice_text,
            "attempts": [
                {"at": attempt.at.isoformat(), "outcome": attempt.get_outcome_display(), "note": attempt.note}
                for attempt in ticket.attempts.order_by("at", "pk")
            ],
        })
    return rows


def erase_person(*, emails=(), phones=(), authority_id: int | None = None, batch_size: int = 500) -> int:
    """Art. 17: remove the caller's details from every matching ticket (open ones are closed as
    solved first: nobody can call back without a number)."""
    matching = _of_person(emails, phones, authority_id)
    with transaction.atomic():
        matching.filter(status=Ticket.Status.OPEN).update(status=Ticket.Status.SOLVED,
                                                          closed_at=timezone.now())
    return _anonymise(matching, batch_size)
