"""Public waitlist pages: the form, German errors and 4xx, signed links, GET never changes state."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.waitlist import links, services
from buergerkontakt.waitlist.models import Entry, Offer

from .builders import DAY, NOW, need, office_with_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def form_data(office, **overrides):
    data = {"services": [office.short.pk], "date_from": str(DAY - timedelta(days=1)),
            "date_until": str(DAY + timedelta(days=3)), "mornings": "on", "afternoons": "on",
            "name": "Maria Muster", "email": "maria@example.org"}
    data.update(overrides)
    return data


def test_register_form_prefills_and_registers(client, travel):
    office = office_with_units()
    page = client.get(reverse("waitlist:register") + f"?service={office.short.slug}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{office.short.pk}"' in html and "checked" in html
    assert "Kein passender Termin? Bedarf melden" in html
    response = client.post(reverse("waitlist:register"), form_data(office))
    assert response.status_code == 302 and response["Location"] == reverse("waitlist:registered")
    entry = Entry.objects.get()
    assert entry.email == "maria@example.org" and list(entry.services.all()) == [office.short]
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(("overrides", "text"), [
    ({"services": []}, "Bitte wählen Sie mindestens eine Leistung."),
    ({"services": ["999999"]}, "Bitte wählen Sie eine Leistung aus der Liste."),
    ({"date_from": "gestern"}, "Bitte geben Sie ein gültiges Datum an"),
    ({"date_from": "2026-06-01"}, "nicht in der Vergangenheit"),
    ({"email": "nicht-gueltig"}, "gültige E-Mail-Adresse"),
    ({"mornings": "", "afternoons": ""}, "vormittags, nachmittags oder beides"),
    ({"phone": "123"}, "gültige Mobilnummer"),
])
def test_bad_input_gets_a_german_message_and_400(client, travel, overrides, text):
    office = office_with_units()
    response = client.post(reverse("waitlist:register"), form_data(office, **overrides))
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Entry.objects.exists()


def test_registration_rate_limit_answers_429(client, travel, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (1, 600)}
    office = office_with_units()
    assert client.post(reverse("waitlist:register"), form_data(office)).status_code == 302
    response = client.post(reverse("waitlist:register"), form_data(office, email="x@example.org"))
    assert response.status_code == 429
    assert "Zu viele Anfragen" in response.content.decode()


def make_offer(office):
    entry = need(office, "otto@example.org")
    services.match(now=NOW)
    return entry.offers.get()


def test_offer_page_get_changes_nothing_and_post_accepts(client, travel):
    office = office_with_units()
    offer = make_offer(office)
    url = links.url(offer, "offer", absolute=False)
    for _ in range(2):  # a mail scanner prefetching the link
        page = client.get(url)
        assert page.status_code == 200
        assert "Termin annehmen" in page.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN
    token = url.split("?t=")[1]
    response = client.post(reverse("waitlist:offer", args=[offer.code]), {"t": token, "action": "accept"})
    assert response.status_code == 200
    assert "Ihr Termin ist gebucht" in response.content.decode()
    assert Appointment.objects.get(pk=offer.appointment_id).status == Appointment.Status.CONFIRMED
    # Opening the link again shows the booking.
    assert "Ihr Termin ist gebucht" in client.get(url).content.decode()


def test_offer_decline_by_post(client, travel):
    office = office_with_units()
    offer = make_offer(office)
    token = links.make_token(offer, "offer")
    response = client.post(reverse("waitlist:offer", args=[offer.code]), {"t": token, "action": "decline"})
    assert response.status_code == 200 and "Angebot abgelehnt" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    again = client.post(reverse("waitlist:offer", args=[offer.code]), {"t": token, "action": "accept"})
    assert again.status_code == 409 and "gilt nicht mehr" in again.content.decode()
    bad = client.post(reverse("waitlist:offer", args=[offer.code]), {"t": token, "action": "x"})
    assert bad.status_code == 400


def test_tampered_and_expired_links(client, travel):
    office = office_with_units()
    offer = make_offer(office)
    token = links.make_token(offer, "offer")
    tampered = client.get(reverse("waitlist:offer", args=[offer.code]) + "?t=" + token[:-2] + "xx")
    assert tampered.status_code == 404 and "ungültig" in tampered.content.decode()
    assert client.get(reverse("waitlist:offer", args=[offer.code])).status_code == 404
    with time_machine.travel(offer.expires_at + timedelta(minutes=1), tick=False):
        expired = client.get(reverse("waitlist:offer", args=[offer.code]) + "?t=" + token)
    assert expired.status_code == 410 and "abgelaufen" in expired.content.decode()
    # An entry's code with an offer token does not open anything.
    entry_url = reverse("waitlist:withdraw", args=[offer.entry.code]) + "?t=" + token
    assert client.get(entry_url).status_code == 404


def test_withdraw_page(client, travel):
    office = office_with_units()
    entry = need(office, "paula@example.org")
    url = links.url(entry, "withdraw", absolute=False)
    page = client.get(url)
    assert page.status_code == 200 and "Bedarfsmeldung zurückziehen" in page.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.ACTIVE
    response = client.post(reverse("waitlist:withdraw", args=[entry.code]), {"t": url.split("?t=")[1]})
    assert response.status_code == 200 and "zurückgezogen" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WITHDRAWN


def test_admin_lists_entries_of_own_authority_only(client, travel):
    from buergerkontakt.waitlist.admin import EntryAdmin

    office = office_with_units()
    entry = need(office, "quentin@example.org")
    other = Entry.objects.create(authority=office.org.other_authority, date_from=DAY, date_until=DAY,
                                 name="Andere", email="andere@example.org")
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = office.org.users["admin"]
    visible = set(EntryAdmin(Entry, admin.site).get_queryset(request))
    assert entry in visible and other not in visible
