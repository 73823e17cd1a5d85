"""Waitlist offers never expire at night: acceptance deadlines count only daytime (outside the quiet
hours, default 20:00–07:00 Berlin), and an offer's SMS made at night goes out when the quiet hours end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from buergerkontakt.notifications import quiet_hours
from buergerkontakt.waitlist import services, tasks
from buergerkontakt.waitlist.models import Offer
from tests.appointments.builders import at

from .builders import NOW, need, office_with_units

pytestmark = pytest.mark.django_db(transaction=True)  # messages go out after commit

WEDNESDAY_NIGHT = at(2026, 6, 10, 22, 54)


@pytest.fixture(autouse=True)
def _sms_folder(settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "log", tmp_path / "sms"
    settings.QUIET_HOURS = "20:00-07:00"


def sms_files(settings) -> list[str]:
    folder = settings.SMS_FILE_PATH
    return sorted(p.read_text() for p in folder.glob("*.txt")) if folder.exists() else []


def test_daytime_arithmetic_skips_the_quiet_hours():
    assert quiet_hours.add_daytime(at(2026, 6, 11, 14), timedelta(hours=4)) == at(2026, 6, 11, 18)
    assert quiet_hours.add_daytime(at(2026, 6, 11, 18), timedelta(hours=4)) == at(2026, 6, 12, 9)
    assert quiet_hours.add_daytime(WEDNESDAY_NIGHT, timedelta(hours=4)) == at(2026, 6, 11, 11)
    # The night the clocks go forward (28/29 March 2026) still ends at 07:00 local time.
    assert quiet_hours.add_daytime(at(2026, 3, 28, 19), timedelta(hours=2)) == at(2026, 3, 29, 8)
    assert quiet_hours.is_quiet(at(2026, 6, 11, 6, 59)) and not quiet_hours.is_quiet(at(2026, 6, 11, 7))
    assert quiet_hours.daytime_from(WEDNESDAY_NIGHT) == at(2026, 6, 11, 7)


def test_no_quiet_hours_when_switched_off(settings):
    settings.QUIET_HOURS = ""
    four = timedelta(hours=4)
    assert quiet_hours.add_daytime(WEDNESDAY_NIGHT, four) == WEDNESDAY_NIGHT + four
    assert not quiet_hours.is_quiet(WEDNESDAY_NIGHT)


def test_an_offer_made_at_night_runs_in_daytime_hours_and_texts_in_the_morning(settings):
    office = office_with_units(waitlist_offer_minutes=240)
    entry = need(office, "anna@example.org", phone="0151 12345678", now=NOW)
    mail.outbox.clear()
    with time_machine.travel(WEDNESDAY_NIGHT, tick=False):
        assert services.match(now=WEDNESDAY_NIGHT) == 1
    offer = entry.offers.get()
    assert offer.expires_at == at(2026, 6, 11, 11)  # 4 daytime hours: 07:00–11:00, not 02:54
    assert offer.appointment.hold_expires_at >= offer.expires_at
    assert [m.subject for m in mail.outbox] == ["Terminangebot – bitte antworten Sie bis zur genannten Frist"]
    assert "11:00" in mail.outbox[0].body
    assert sms_files(settings) == []  # nobody is woken up
    with time_machine.travel(at(2026, 6, 11, 6, 59), tick=False):
        tasks.send_due_offer_sms.call()
    assert sms_files(settings) == []
    with time_machine.travel(at(2026, 6, 11, 7, 0), tick=False):
        tasks.send_due_offer_sms.call()
        tasks.send_due_offer_sms.call()  # sent once only
    texts = sms_files(settings)
    assert len(texts) == 1 and "+4915112345678" in texts[0]


def test_an_offer_in_daytime_texts_at_once(settings):
    office = office_with_units(waitlist_offer_minutes=120)
    entry = need(office, "anna@example.org", phone="0151 12345678", now=NOW)
    with time_machine.travel(NOW, tick=False):
        services.match(now=NOW)
    assert entry.offers.get().expires_at == NOW + timedelta(minutes=120)
    assert len(sms_files(settings)) == 1
    assert Offer.objects.get().sms_sent_at is not None
