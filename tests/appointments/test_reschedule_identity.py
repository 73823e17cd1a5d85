"""Rescheduling moves one appointment: one mail "verschoben von … auf …", the calendar file keeps the
event's UID with a higher SEQUENCE, the old link leads to the current appointment; a real
cancellation sends METHOD:CANCEL for the same UID."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from icalendar import Calendar

from buergerkontakt.appointments import links, staff_services
from buergerkontakt.appointments.models import Appointment

from .builders import at, build_office
from .test_pages import DETAILS, details_url, hold

NOW = at(2026, 6, 5, 10)
Status = Appointment.Status
COMMITS = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clock_and_cache(settings):
    settings.ALTCHA_COST = 50
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office():
    return build_office()


def _event(message):
    _name, content, _mime = next(a for a in message.attachments if a[0].endswith(".ics"))
    calendar = Calendar.from_ical(content)
    event = next(iter(calendar.walk("VEVENT")))
    return str(calendar["METHOD"]), str(event["UID"]), int(event.get("SEQUENCE", 0))


@COMMITS
def test_citizen_reschedule_sends_one_moved_mail_with_the_same_calendar_event(client, office):
    manage_url = client.post(details_url(hold(client, office)), DETAILS)["Location"]
    old = Appointment.objects.get()
    token = parse_qs(urlparse(manage_url).query)["t"][0]
    _method, uid, sequence = _event(mail.outbox[0])
    mail.outbox.clear()

    moving = hold(client, office, start=at(2026, 6, 8, 9), ersetzt=old.code, t=token)
    moved = client.post(details_url(moving), {})
    assert moved.status_code == 302
    new = Appointment.objects.exclude(pk=old.pk).get()

    assert [m.subject for m in mail.outbox] == ["Ihr Termin wurde verschoben"]
    body = mail.outbox[0].body
    assert re.search(r"verschoben\s+von\s+Montag, 08\.06\.2026, 08:00 Uhr\s+"
                     r"auf\s+Montag, 08\.06\.2026, 09:00 Uhr", body), body
    method, new_uid, new_sequence = _event(mail.outbox[0])
    assert (method, new_uid) == ("PUBLISH", uid) and new_sequence > sequence

    # The old link leads to the current appointment instead of "storniert … Bestätigung".
    response = client.get(manage_url)
    assert response.status_code == 302
    assert response["Location"] == links.url(new, absolute=False)
    page = client.get(response["Location"]).content.decode()
    assert "Sie erhalten eine Bestätigung" not in page and "09:00" in page

    # Cancelling the moved appointment really ends the event: METHOD:CANCEL, same UID, higher SEQUENCE.
    mail.outbox.clear()
    path, query = response["Location"].split("?")
    client.post(f"{path}?{query}", {"action": "cancel"})
    method, cancel_uid, cancel_sequence = _event(mail.outbox[0])
    assert (method, cancel_uid) == ("CANCEL", uid) and cancel_sequence > new_sequence


@COMMITS
def test_staff_reschedule_sends_one_moved_mail_with_the_same_calendar_event(office):
    nine = at(2026, 6, 8, 9)
    old = office.book(nine, now=NOW)
    new = staff_services.reschedule(old, nine + timedelta(hours=2), by=office.agent, now=NOW)
    assert [m.subject for m in mail.outbox] == ["Ihr Termin wurde verschoben"]
    _method, uid, sequence = _event(mail.outbox[0])
    assert uid.startswith(old.code) and sequence == 1
    assert "auf Montag, 08.06.2026, 11:00 Uhr" in " ".join(mail.outbox[0].body.split())
    assert Appointment.objects.get(pk=old.pk).rescheduled_to == new
