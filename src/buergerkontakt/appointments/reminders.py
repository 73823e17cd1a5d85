"""Reminders before an appointment, and the optional reconfirmation: which appointments are due.
The writes (each in its own transaction) are in ``services/reminders.py``.

* :func:`send_due_reminders`: ``group.reminder_hours_before`` hours before a CONFIRMED appointment
  the citizen gets one reminder (e-mail, and SMS when a mobile number is known). Claimed with a
  conditional update of ``reminder_sent_at``, so two runs never send it twice. Appointments booked
  after their reminder time get none (the booking confirmation has just been sent).
* :func:`reconfirm` (a service, re-exported here): the citizen clicked the reconfirmation link of
  the reminder.
* :func:`expire_unreconfirmed`: with ``group.reconfirm_required``, appointments whose reminder went
  out but that are not reconfirmed ``reconfirm_hours_before`` hours before they start are cancelled
  (the citizen is told) and their capacity is offered to the waitlist at once, without the anti-bot
  delay (``events.capacity_freed_at_once``, answered by the waitlist).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.tasks import task
from django.utils import timezone

from . import services
from .models import Appointment, ServiceGroup
from .services.reminders import reconfirm

__all__ = ["expire_unreconfirmed", "reconfirm", "send_due_reminders"]

log = logging.getLogger(__name__)

Status = Appointment.Status
# A reminder sent later than this before the reconfirmation deadline (scheduler down, …) does not
# lead to a cancellation: the citizen must have had time to answer.
MIN_TIME_TO_RECONFIRM = timedelta(hours=1)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due; returns how many were sent."""
    now = _now(now)
    sent = 0
    for group in ServiceGroup.objects.filter(reminder_hours_before__gt=0):
        lead = timedelta(hours=group.reminder_hours_before)
        due = (Appointment.objects.filter(group=group, status=Status.CONFIRMED, reminder_sent_at__isnull=True,
                                          start__gt=now, start__lte=now + lead)
               .values_list("pk", "start", "confirmed_at"))
        for pk, start, confirmed_at in due:
            if confirmed_at is not None and confirmed_at > start - lead:
                continue  # booked after the reminder time: no reminder
            if services.send_reminder(pk, now=now):
                sent += 1
    return sent


def expire_unreconfirmed(now: datetime | None = None) -> int:
    """Cancel the appointments not reconfirmed in time and offer them to the waitlist at once."""
    now = _now(now)
    cancelled = 0
    for group in ServiceGroup.objects.filter(reconfirm_required=True):
        deadline_lead = timedelta(hours=group.reconfirm_hours_before)
        due = (Appointment.objects.filter(group=group, status=Status.CONFIRMED, reconfirmed_at__isnull=True,
                                          reminder_sent_at__isnull=False, start__gt=now,
                                          start__lte=now + deadline_lead)
               .values_list("pk", "start", "reminder_sent_at"))
        for pk, start, reminder_sent_at in due:
            if reminder_sent_at > start - deadline_lead - MIN_TIME_TO_RECONFIRM:
                continue  # the reminder came too late to ask for an answer
            if services.cancel_unreconfirmed(pk, now=now):
                cancelled += 1
    return cancelled


@task
def send_reminders_task() -> int:
    return send_due_reminders()


@task
def expire_unreconfirmed_task() -> int:
    return expire_unreconfirmed()
