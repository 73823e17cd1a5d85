"""Callbacks API: creating tickets with an API key (telephony, portals), reading the status by
number and token; German errors with 4xx for bad input."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from buergerkontakt.callbacks import links, services
from buergerkontakt.callbacks.models import Channel, Outcome, Ticket

from .builders import MONDAY_10, at, build_office

pytestmark = pytest.mark.django_db
KEY = "geheimer-schluessel-123"


@pytest.fixture
def office(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    office = build_office()
    settings.CALLBACK_API_KEYS = [
        f"{office.org.authority.slug}={KEY}",
        f"{office.org.other_authority.slug}=anderer-schluessel",
    ]
    return office


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def post(client, body, key=KEY):
    headers = {"X-API-Key": key} if key is not None else {}
    return client.post("/api/callbacks/tickets", body, content_type="application/json", headers=headers)


BODY = {"name": "Erika Ärger", "phone": "0151 23456789", "topic": "Rückfrage Bescheid", "urgency": "urgent"}


def test_create_with_key(client, office):
    response = post(client, BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get(number=data["number"])
    assert ticket.channel == Channel.API and ticket.team == office.org.team
    assert data["team"] == office.org.team.slug and data["status_url"].endswith(f"?t={data['token']}")
    assert datetime.fromisoformat(data["due_at"]) == at(2026, 6, 8, 15)  # same working day


@pytest.mark.parametrize("key", [None, "", "falsch", KEY + "x"])
def test_missing_or_wrong_key(client, office, key):
    response = post(client, BODY, key=key)
    assert response.status_code == 401
    assert "API-Schlüssel" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_key_decides_the_authority(client, office):
    response = post(client, {**BODY, "team": office.org.team.slug}, key="anderer-schluessel")
    assert response.status_code == 400 and "Unbekanntes Team" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({**BODY, "phone": "12345"}, 400, "gültige Telefonnummer"),
        ({**BODY, "team": "gibt-es-nicht"}, 400, "Unbekanntes Team"),
        ({**BODY, "service": "gibt-es-nicht"}, 400, "Unbekannte Leistung"),
        ({**BODY, "name": "4711", "topic": "x"}, 400, "kein Team zuständig"),
        ({**BODY, "urgency": "sofort"}, 422, "Ungültige Eingabe"),
        ({**BODY, "window_start": "2026-06-09T10:00:00+02:00"}, 400, "Zeitfensters"),
        ({**BODY, "window_start": "2026-06-09T10:00:00"}, 422, "Ungültige Eingabe"),
        ({"phone": "0151 23456789"}, 422, "Ungültige Eingabe"),
    ],
)
def test_bad_input(client, office, body, status, message):
    response = post(client, body)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_status_by_number_and_token(client, office):
    ticket = services.create_ticket(
        office.org.authority, caller_name="Erika Ärger", phone="0151 23456789", topic="x", now=MONDAY_10
    )
    services.log_attempt(ticket, Outcome.VOICEMAIL, by=None, now=at(2026, 6, 8, 10, 5))
    response = client.get(f"/api/callbacks/tickets/{ticket.number}", {"token": links.make_token(ticket)})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "open" and data["attempts"][0]["outcome"] == "voicemail"
    assert data["next_attempt_at"] and "Erika" not in response.content.decode()
    assert "23456789" not in response.content.decode()


def test_status_with_a_tampered_token(client, office):
    ticket = services.create_ticket(
        office.org.authority, caller_name="Erika", phone="0151 23456789", topic="x", now=MONDAY_10
    )
    token = links.make_token(ticket)
    for number, bad in ((ticket.number, token + "x"), ("R-XXXXXXX", token), (ticket.number, "a:b")):
        response = client.get(f"/api/callbacks/tickets/{number}", {"token": bad})
        assert response.status_code == 403 and "ungültig" in response.json()["detail"]
    assert client.get(f"/api/callbacks/tickets/{ticket.number}").status_code == 422


def test_api_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").json()
    assert "/api/callbacks/tickets" in document["paths"]
    assert "/api/callbacks/tickets/{number}" in document["paths"]


# --- keys managed in the admin (core.ApiKey) ------------------------------------------------------------
def test_admin_key_creates_tickets_for_its_authority_only(client, office):
    from buergerkontakt.core import apikeys
    from buergerkontakt.core.models import ApiKey

    record, key = apikeys.create_key(office.org.authority, "Telefonanlage", [ApiKey.Scope.CALLBACKS])
    assert key not in str(ApiKey.objects.values_list()) and record.prefix == key[:8]  # digest only
    response = post(client, BODY, key=key)
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().authority == office.org.authority
    record.refresh_from_db()
    assert record.last_used_at is not None

    apikeys.revoke(record)
    revoked = post(client, BODY, key=key)
    assert revoked.status_code == 401 and Ticket.objects.count() == 1


def test_key_without_the_scope_or_expired_is_refused(client, office):
    from datetime import timedelta

    from django.utils import timezone

    from buergerkontakt.core import apikeys

    _record, unscoped = apikeys.create_key(office.org.authority, "Portal ohne Rückrufe", [])
    response = post(client, BODY, key=unscoped)
    assert response.status_code == 403 and "keine Rückruftickets" in response.json()["detail"]
    _record, expired = apikeys.create_key(office.org.authority, "Alt", ["callbacks"],
                                          expires_at=timezone.now() - timedelta(days=1))
    assert post(client, BODY, key=expired).status_code == 401
    assert not Ticket.objects.exists()


def test_admin_shows_a_new_key_once_and_revokes_it(client, office, settings):
    from buergerkontakt.core.models import ApiKey

    settings.REQUIRE_2FA = False
    admin = office.org.users["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    form = {"name": "Telefonanlage", "authority": office.org.authority.pk, "scopes": ["callbacks"],
            "expires_at_0": "", "expires_at_1": ""}
    response = client.post("/admin/core/apikey/add/", form, follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "wird nur jetzt angezeigt" in text, text[:3000]
    key = text.split("sicher übergeben): ")[1].split("<")[0].strip()
    assert post(client, BODY, key=key).status_code == 201
    record = ApiKey.objects.get()
    client.post("/admin/core/apikey/", {"action": "revoke_keys", "_selected_action": [record.pk]})
    assert post(client, BODY, key=key).status_code == 401
