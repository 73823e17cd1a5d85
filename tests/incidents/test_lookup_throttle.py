"""Issue 20 item 9: register lookups are throttled per user (a setting), answered in German with
429, the DPO is alerted once per burst, and wildcard purposes are refused – a purpose names an
appointment, a ticket or says in real words why."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from buergerkontakt.incidents.models import LogEntry

from .builders import BIRTH, NAME, NOW, build_register, entry, grant
from .test_hints import travel as travel

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(travel):
    reg = build_register()
    reg.entry = entry(reg)
    reg.worker = reg.org.users["caseworker"]
    grant(reg, reg.worker)
    reg.org.users["dpo"].email = "datenschutz@example.org"
    reg.org.users["dpo"].save()
    return reg


def ask(client, birth_date, purpose="Termin am Dienstag um 10 Uhr"):
    return client.post(
        reverse("incidents:lookup"),
        {"name": NAME, "birth_date": birth_date, "purpose": purpose},
        HTTP_ACCEPT="application/json",
    )


def test_birth_date_guessing_is_throttled_per_user_and_the_dpo_alerted(
    client, reg, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register_lookup_user": (5, 600)}
    client.force_login(reg.worker)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [ask(client, date(1980, 2, day).isoformat()) for day in range(1, 12)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert all(a.status_code == 429 for a in answers[5:])
    assert "Zu viele Abfragen" in answers[5].json()["detail"]
    # the right date, guessed after the limit, is refused too: no answer to learn from
    late = ask(client, BIRTH.isoformat())
    assert late.status_code == 429 and "hint" not in late.json()
    assert LogEntry.objects.filter(action="lookup", user=reg.worker).count() == 5
    throttled = LogEntry.objects.filter(action="lookup_throttled", user=reg.worker)
    assert throttled.count() == 1  # one line (and one alert) per burst, not per refused request
    alerts = [m for m in mail.outbox if "datenschutz@example.org" in m.bcc]
    assert len(alerts) == 1 and NAME not in alerts[0].body and "Abfragen" in alerts[0].subject
    # the HTML page answers in German as well
    page = client.post(reverse("incidents:lookup"), {"name": NAME, "birth_date": "1980-02-29",
                                                     "purpose": "Termin am Dienstag um 10 Uhr"})
    assert page.status_code == 429 and "Zu viele Abfragen" in page.content.decode()
    # another user is not affected
    client.force_login(reg.org.users["register_keeper"])
    assert ask(client, BIRTH.isoformat()).json()["hint"] is True


@pytest.mark.parametrize("purpose", ["**********", "xxxxxxxxxxxxxxx", "test test test", "alle alle alle",
                                     "Abfrage Abfrage", "1234567890123"])
def test_wildcard_purposes_are_refused(client, reg, purpose):
    client.force_login(reg.worker)
    response = ask(client, BIRTH.isoformat(), purpose=purpose)
    assert response.status_code == 400
    assert "Zweck" in str(response.json()["errors"])
    assert not LogEntry.objects.filter(action="lookup").exists()


def test_a_real_appointment_code_is_a_purpose(client, reg):
    from buergerkontakt.appointments import services as booking
    from buergerkontakt.appointments.models import Quota
    from tests.appointments.builders import build_office

    from .builders import at

    office = build_office(org=reg.org)
    held = booking.hold_slot([office.short], office.location, at(2026, 6, 9, 9), quota=Quota.INTERNAL,
                             booked_by=reg.org.users["agent"], now=NOW)
    appointment = booking.confirm_booking(held, name="Max Anders", now=NOW)
    client.force_login(reg.worker)
    assert ask(client, BIRTH.isoformat(), purpose=appointment.code).status_code == 200
    assert ask(client, BIRTH.isoformat(), purpose="ZZZZZZZZZZ").status_code == 400
