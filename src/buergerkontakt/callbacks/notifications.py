"""Messages about callback tickets.

To the caller (in the ticket's language): the ticket number and status link when it is created,
a note after every attempt that did not reach them (with the next attempt), and the written notice
after the last attempt ("Wir haben versucht, Sie anzurufen") with how to reach the team. E-mail
when an address is known, SMS when the number is a mobile number (never to a number reported as
wrong). The notice is also kept as letter text on the ticket for staff to print and post.

To the team leads of the ticket's team: the escalation warning and the breach, without the caller's
personal data (number, team, deadline and a link to the ticket).

:func:`notify` enqueues :func:`send_callback_message` after commit with ids only.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Role, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.directory.hours import reachability
from buergerkontakt.directory.models import HoursKind
from buergerkontakt.notifications import sms

from . import links, phones
from .models import Attempt, Ticket

log = logging.getLogger(__name__)

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


def send_now(ticket: Ticket, kind: str, attempt: Attempt | None = None, wrong_number: bool = False) -> None:
    if kind in STAFF_KINDS:
        recipients = [user.email for user in team_leads(ticket) if user.email]
        if recipients:
            subject, body = render(ticket, kind)
            EmailMessage(subject=f"{subject}: {ticket.number}", body=body, to=recipients).send()
        else:
            log.warning("Rückruf %s: keine Teamleitung mit E-Mail-Adresse für Eskalation", ticket.pk)
        return
    if ticket.email:
        subject, body = render(ticket, kind, attempt=attempt)
        EmailMessage(subject=subject, body=body, to=[ticket.email]).send()
    if phones.is_mobile(ticket.phone) and not wrong_number:
        _subject, text = render(ticket, kind, channel="sms", attempt=attempt)
        sms.send_sms(ticket.phone, text)


@task
def send_callback_message(ticket_id: int, kind: str, attempt_id: int | None = None,
                          wrong_number: bool = False) -> None:
    ticket = Ticket.objects.select_related("team", "team__location").filter(pk=ticket_id).first()
    if ticket is None:
        log.warning("Rückruf-Nachricht %s: Ticket %s existiert nicht mehr", kind, ticket_id)
        return
    attempt = Attempt.objects.filter(pk=attempt_id).first() if attempt_id else None
    send_now(ticket, kind, attempt, wrong_number)


def notify(ticket: Ticket, kind: str, *, attempt: Attempt | None = None, wrong_number: bool = False) -> None:
    """Send ``kind`` about ``ticket`` in the background after the current transaction commits."""
    if kind not in CITIZEN_KINDS + STAFF_KINDS:
        raise ValueError(kind)
    ticket_id, attempt_id = ticket.pk, attempt.pk if attempt else None
    transaction.on_commit(lambda: send_callback_message.enqueue(ticket_id, kind, attempt_id, wrong_number))
