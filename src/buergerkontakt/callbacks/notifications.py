"""Messages about callback tickets.

To the caller (in the ticket's language): the ticket number and status link when it is created,
a note after every attempt that did not reach them (with the next attempt), and the written notice
after the last attempt ("Wir haben versucht, Sie anzurufen") with how to reach the team. E-mail
when an address is known, SMS when the number is a mobile number (never to a number reported as
wrong). The notice is also kept as letter text on the ticket for staff to print and post.

To the team leads of the ticket's team: the escalation warning and the breach, without the caller's
personal data (number, team, deadline and a link to the ticket).

:func:`notify` hands ids only to the notification pipeline (``notifications/pipeline.py``), which
sends in the background after commit, at most once per message.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Role, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.directory.hours import reachability
from buergerkontakt.directory.models import HoursKind
from buergerkontakt.notifications import pipeline

from . import links, phones
from .models import Attempt, Ticket

log = logging.getLogger(__name__)

TOPIC = "callback"
CITIZEN_KINDS = ("created", "attempt", "notice")
STAFF_KINDS = ("warning", "breach")

SUBJECTS = {
    "created": lambda: _("Ihr Rückrufwunsch ist eingegangen"),
    "attempt": lambda: _("Wir haben versucht, Sie anzurufen"),
    "notice": lambda: _("Wir konnten Sie telefonisch nicht erreichen"),
    "warning": lambda: _("Rückruf bald fällig"),
    "breach": lambda: _("Rückruffrist überschritten"),
}


def _context(ticket: Ticket, attempt: Attempt | None = None) -> dict:
    team = ticket.team
    phone_hours = reachability(team, HoursKind.PHONE)
    return {
        "ticket": ticket,
        "team": team,
        "attempt": attempt,
        "attempt_at": timezone.localtime(attempt.at) if attempt else None,
        "next_attempt_at": timezone.localtime(ticket.next_attempt_at) if ticket.next_attempt_at else None,
        "due_at": timezone.localtime(ticket.due_at) if ticket.due_at else None,
        "status_url": links.url(ticket),
        "phone_hours": phone_hours.weekly,
        "team_phone": team.phone or team.location.phone,
        "team_email": team.email or team.location.email,
        "staff_url": settings.SITE_URL + reverse("callbacks_staff:detail", kwargs={"number": ticket.number}),
        "site_url": settings.SITE_URL,
    }


def render(ticket: Ticket, kind: str, channel: str = "mail", attempt: Attempt | None = None
           ) -> tuple[str, str]:
    """(subject, text) of a message; citizen messages in the ticket's language."""
    language = ticket.language if kind in CITIZEN_KINDS else settings.LANGUAGE_CODE
    with translation.override(language or settings.LANGUAGE_CODE):
        body = render_to_string(f"callbacks/mail/{kind}.{'txt' if channel == 'mail' else 'sms'}",
                                _context(ticket, attempt))
        subject = str(SUBJECTS[kind]())
    return subject, body.strip() + "\n"


def notice_letter(ticket: Ticket) -> str:
    """The written notice as letter text (stored on the ticket for printing)."""
    return render(ticket, "notice")[1]


def team_leads(ticket: Ticket) -> list[User]:
    candidates = User.objects.filter(is_active=True, authority_id=ticket.authority_id,
                                     role_assignments__role=Role.TEAMLEAD).distinct()
    return [user for user in candidates if has_role(user, Role.TEAMLEAD, obj=ticket)]


def build(ticket_id: int, kind: str, params: dict) -> list[pipeline.Message] | None:
    """The message of ``kind`` (notification pipeline builder); None when the ticket is gone."""
    ticket = Ticket.objects.select_related("team", "team__location").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    if kind in STAFF_KINDS:
        recipients = [user.email for user in team_leads(ticket) if user.email]
        if not recipients:
            log.warning("Rückruf %s: keine Teamleitung mit E-Mail-Adresse für Eskalation", ticket.pk)
            return []
        subject, body = render(ticket, kind)
        return [pipeline.Message(to=recipients, subject=f"{subject}: {ticket.number}", body=body)]
    attempt_id = params.get("attempt_id")
    attempt = Attempt.objects.filter(pk=attempt_id).first() if attempt_id else None
    message = {}
    if ticket.email:
        subject, body = render(ticket, kind, attempt=attempt)
        message.update(to=[ticket.email], subject=subject, body=body)
    if phones.is_mobile(ticket.phone) and not params.get("wrong_number"):
        _subject, text = render(ticket, kind, channel="sms", attempt=attempt)
        message.update(sms_to=ticket.phone, sms_text=text)
    return [pipeline.Message(**message)]


pipeline.register(TOPIC, CITIZEN_KINDS + STAFF_KINDS, build)


# Kept for one release (2026-12-04): tasks queued before the upgrade to the notification pipeline
# still run (now with the pipeline's once-only sending).
@task(takes_context=True)
def send_callback_message(context, ticket_id: int, kind: str, attempt_id: int | None = None,
                          wrong_number: bool = False) -> None:
    pipeline.send(TOPIC, kind, ticket_id, {"attempt_id": attempt_id, "wrong_number": wrong_number},
                  run_id=str(context.task_result.id))


def notify(ticket: Ticket, kind: str, *, attempt: Attempt | None = None, wrong_number: bool = False) -> None:
    """Send ``kind`` about ``ticket`` in the background after the current transaction commits."""
    pipeline.notify(TOPIC, kind, ticket.pk, attempt_id=attempt.pk if attempt else None,
                    wrong_number=wrong_number)
