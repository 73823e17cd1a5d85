"""An expired hold never looks like a booking: it says the reservation ran out, keeps what was typed
and leads back to the time choice of the same day."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment

from .builders import at, build_office
from .test_pages import DETAILS, MONDAY, details_url, hold

NOW = at(2026, 6, 5, 10)
LATER = NOW + timedelta(minutes=11)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_and_cache(settings):
    settings.ALTCHA_COST = 50
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office():
    return build_office()


def assert_not_a_booking(page: str, code: str) -> None:
    for booking_words in ("Ihr Termin</h1>", "Status:", "verfallen", "Bitte mitbringen", "Buchungscode",
                          f">{code}</strong>"):
        assert booking_words not in page, booking_words
    assert "Die Reservierung ist abgelaufen" in page


def test_the_page_of_an_expired_hold_leads_back_to_the_same_day(client, office):
    url = details_url(hold(client, office))
    code = Appointment.objects.get().code
    with time_machine.travel(LATER, tick=False):
        services.release_due_capacity()
        assert Appointment.objects.get().status == Appointment.Status.EXPIRED
        response = client.get(url, follow=True)
    assert response.status_code == 410
    page = response.content.decode()
    assert_not_a_booking(page, code)
    assert f"day={MONDAY}" in html.unescape(page) and "/termine/zeit/?" in page


def test_typed_details_are_kept_for_the_next_hold(client, office):
    url = details_url(hold(client, office))
    code = Appointment.objects.get().code
    with time_machine.travel(LATER, tick=False):
        response = client.post(url, {**DETAILS, "case_number": "123ABC"})
        assert response.status_code == 410
        page = response.content.decode()
        assert_not_a_booking(page, code)
        assert "Ihre Angaben haben wir aufbewahrt" in page
        again = details_url(hold(client, office, start=at(2026, 6, 8, 9)))
        form = client.get(again).content.decode()
    assert 'value="Erika Mustermann"' in form and 'value="123ABC"' in form
    assert 'value="erika@example.org"' in form
