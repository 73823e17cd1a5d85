"""The details form promises a confirmation by SMS for a mobile number: it is sent even when an
e-mail address is given too (and never for the e-mail confirmation request)."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from .builders import at, build_office
from .test_pages import DETAILS, details_url, hold

NOW = at(2026, 6, 5, 10)
COMMITS = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.ALTCHA_COST = 50
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "log", tmp_path / "sms"
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


def texts(settings) -> list[str]:
    folder = settings.SMS_FILE_PATH
    return [p.read_text() for p in folder.glob("*.txt")] if folder.exists() else []


@COMMITS
def test_booking_with_email_and_mobile_number_sends_mail_and_sms(client, settings):
    office = build_office()
    form = client.get(details_url(hold(client, office))).content.decode()
    assert "Bestätigung und Erinnerung per SMS" in form  # the promise
    client.post(details_url(hold(client, office, start=at(2026, 6, 8, 9))),
                {**DETAILS, "phone": "0151 12345678"})
    assert [m.subject for m in mail.outbox] == ["Ihr Termin ist gebucht"]
    sent = texts(settings)
    assert len(sent) == 1 and "+4915112345678" in sent[0] and "08.06.2026 09:00" in sent[0]


@COMMITS
def test_the_email_confirmation_request_goes_by_mail_only(client, settings):
    office = build_office()
    office.group.require_email_confirmation = True
    office.group.save()
    client.post(details_url(hold(client, office)), {**DETAILS, "phone": "0151 12345678"})
    assert [m.subject for m in mail.outbox] == ["Bitte bestätigen Sie Ihren Termin"]
    assert texts(settings) == []
