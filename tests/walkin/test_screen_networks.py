"""A display or kiosk key works only from the screen's own network, and a kiosk does not tell whether
a booking code exists (issue 20 item 11): every refused code gets the same answer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buergerkontakt.walkin.models import Screen

from .builders import make_queue, make_screen

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kind", "name"), [(Screen.Kind.KIOSK, "queue:kiosk"),
                                            (Screen.Kind.DISPLAY, "queue:display")])
def test_screen_answers_only_inside_its_networks(client, org, kind, name):
    screen = make_screen(org.location, kind, allowed_networks="10.20.0.0/16, 192.168.5.12")
    url = reverse(name, args=[screen.key])
    assert client.get(url, REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get(url, REMOTE_ADDR="192.168.5.12").status_code == 200
    outside = client.get(url, REMOTE_ADDR="203.0.113.7")
    unknown = client.get(reverse(name, args=["gibt-es-nicht"]), REMOTE_ADDR="203.0.113.7")
    assert outside.status_code == unknown.status_code == 404
    for answer in (outside, unknown):  # a stolen key looks like no key at all
        assert "Diese Anzeige ist nicht (mehr) eingerichtet." in answer.text


def test_empty_networks_mean_anywhere(client, org):
    screen = make_screen(org.location, Screen.Kind.KIOSK)
    assert client.get(reverse("queue:kiosk", args=[screen.key]), REMOTE_ADDR="203.0.113.7").status_code == 200


def test_networks_are_validated_in_german(org):
    screen = make_screen(org.location, Screen.Kind.KIOSK, allowed_networks="10.20.0.0/16, Flur")
    with pytest.raises(ValidationError) as error:
        screen.full_clean()
    assert "Bitte geben Sie IP-Adressen oder Netze an" in str(error.value)


def test_kiosk_refuses_unknown_and_cancelled_codes_alike(client, org):
    from tests.e2e.queue_helpers import book_today  # the same booking the kiosk journey uses

    service, appointment = book_today(org)
    make_queue(org.location, "A", "Bürgerservice", services=[service])
    kiosk = make_screen(org.location, Screen.Kind.KIOSK)
    from buergerkontakt.appointments import services as booking

    booking.cancel_appointment(appointment)
    path = reverse("queue:kiosk", args=[kiosk.key])
    cancelled = client.post(path, {"code": appointment.code})
    unknown = client.post(path, {"code": "ZZZZ2222"})
    assert cancelled.status_code == unknown.status_code == 409
    for answer in (cancelled, unknown):
        assert "Mit diesem Buchungscode ist hier kein Check-in möglich." in answer.text
        assert "wurde storniert" not in answer.text and "finden wir keinen Termin" not in answer.text
