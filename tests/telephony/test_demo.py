"""Demo calls: made relative to now, all on the Berlin day of the load (at any hour), once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from buergerkontakt.demo.loader import load_demo
from buergerkontakt.demo.steps import appointments as appointment_demo
from buergerkontakt.demo.steps import reports as history
from buergerkontakt.telephony.models import Call

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _small_demo(monkeypatch):
    monkeypatch.setattr(history, "HISTORY_DAYS", 3)
    monkeypatch.setattr(appointment_demo, "BOOKING_DAYS", 2)


@pytest.mark.parametrize("hour, minute", [(0, 3), (9, 30), (23, 55)])
def test_demo_calls_on_the_day_of_the_load(hour, minute, settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    moment = datetime(2026, 12, 3, hour, minute, tzinfo=BERLIN)
    with time_machine.travel(moment, tick=False):
        load_demo()
        load_demo()  # again: no second set
    calls = list(Call.objects.all())
    assert len(calls) == 9
    assert {timezone.localtime(c.started_at).date() for c in calls} == {moment.date()}
    assert all(c.ended_at is not None and c.started_at <= c.ended_at <= moment for c in calls)
    assert sum(c.is_missed for c in calls) == 4 and sum(c.first_contact for c in calls) == 2
