"""Messages to citizens about their appointment: e-mail (with an ``.ics``) and SMS.

Callers use :func:`notify`; it hands the appointment id and the kind of message to the notification
pipeline (``notifications/pipeline.py``), which sends in the background once the transaction has
committed, at most once per message, and no personal data sits in the task queue. :func:`build`
renders the message in the citizen's language: by e-mail when an address is known and by SMS
(short text) when a mobile number is (both when both are known; the e-mail confirmation request
goes by e-mail only).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from buergerkontakt.notifications import pipeline

from . import links
from .models import Appointment

TOPIC = "appointment"
KINDS = ("confirm_request", "booked", "rescheduled", "cancelled", "reminder")
WITH_CALENDAR = ("booked", "rescheduled", "cancelled", "reminder")


def ics_for(appointment: Appointment) -> bytes:
    """An iCalendar file with the appointment (UTC times, the manage link).

    The UID stays the same when the appointment is moved (the first booking's code) and SEQUENCE
    counts the versions, so calendars update the event; a cancellation is METHOD:CANCEL of the
    same event with the next SEQUENCE."""
    location = appointment.location
    services = ", ".join(service.name for service in appointment.service_list)
    calendar = Calendar()
    calendar.add("prodid", "-//Buergerkontakt//Terminvergabe//DE")
    calendar.add("version", "2.0")
    cancelled = appointment.status == Appointment.Status.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.calendar_code}@{settings.SITE_URL.split('://')[-1]}")
    event.add("sequence", appointment.calendar_sequence + (1 if cancelled else 0))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", _("Termin: %(services)s") % {"services": services})
    event["location"] = vText(f"{location.name}, {location.address_line}")
    event.add("description", _("Buchungscode: %(code)s\nTermin verwalten: %(url)s")
              % {"code": appointment.code, "url": links.url(appointment)})
    if appointment.status == Appointment.Status.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def _context(appointment: Appointment) -> dict:
    previous = appointment.rescheduled_from
    return {
        "previous_start": timezone.localtime(previous.start) if previous else None,
        "appointment": appointment,
        "services": appointment.service_list,
        "location": appointment.location,
        "start": timezone.localtime(appointment.start),
        "end": timezone.localtime(appointment.end),
        "manage_url": links.url(appointment),
        "confirm_url": links.url(appointment, "confirm") if appointment.hold_expires_at else "",
        "reconfirm_url": links.url(appointment, "reconfirm"),
        "reconfirm_required": appointment.group.reconfirm_required and not appointment.reconfirmed_at,
        "reconfirm_deadline": timezone.localtime(
            appointment.start - timedelta(hours=appointment.group.reconfirm_hours_before)),
        "confirm_until": (timezone.localtime(appointment.hold_expires_at)
                          if appointment.hold_expires_at else None),
        "site_url": settings.SITE_URL,
    }


SUBJECTS = {
    "confirm_request": lambda: _("Bitte bestätigen Sie Ihren Termin"),
    "booked": lambda: _("Ihr Termin ist gebucht"),
    "rescheduled": lambda: _("Ihr Termin wurde verschoben"),
    "cancelled": lambda: _("Ihr Termin wurde storniert"),
    "reminder": lambda: _("Erinnerung an Ihren Termin"),
}


def render(appointment: Appointment, kind: str, channel: str = "mail") -> tuple[str, str]:
    """(subject, text) of a message, in the appointment's language."""
    with translation.override(appointment.language or settings.LANGUAGE_CODE):
        body = render_to_string(f"appointments/mail/{kind}.{'txt' if channel == 'mail' else 'sms'}",
                                _context(appointment))
        subject = str(SUBJECTS[kind]())
    return subject, body.strip() + "\n"


def build(appointment_id: int, kind: str, params: dict) -> list[pipeline.Message] | None:
    """The message of ``kind`` (notification pipeline builder); None when the appointment is gone."""
    appointment = Appointment.objects.select_related("location", "group").filter(pk=appointment_id).first()
    if appointment is None:
        return None
    message = {}
    if appointment.email:
        subject, body = render(appointment, kind)
        message.update(to=[appointment.email], subject=subject, body=body)
        if kind in WITH_CALENDAR:
            with translation.override(appointment.language or settings.LANGUAGE_CODE):
                message["attachments"] = [(f"termin-{appointment.code}.ics", ics_for(appointment),
                                           "text/calendar")]
    # The form promises a confirmation and reminder by SMS for a mobile number, e-mail or not.
    if appointment.phone and kind != "confirm_request":
        _subject, text = render(appointment, kind, channel="sms")
        message.update(sms_to=appointment.phone, sms_text=text)
    return [pipeline.Message(**message)]


pipeline.register(TOPIC, KINDS, build)


# Kept for one release (2026-12-04): tasks queued before the upgrade to the notification pipeline
# still run, with the pipeline's once-only sending.
@task(takes_context=True)
def send_appointment_message(context, appointment_id: int, kind: str) -> None:
    pipeline.send(TOPIC, kind, appointment_id, run_id=str(context.task_result.id))


def notify(appointment: Appointment, kind: str) -> None:
    """Send ``kind`` about ``appointment`` in the background after the current transaction commits."""
    pipeline.notify(TOPIC, kind, appointment.pk)
