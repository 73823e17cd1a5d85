"""Screen pop: a newCall reaches the named agent's socket (or the whole phone centre) with what
is known about the caller; answered elsewhere / hung up → the pop goes; "direkt gelöst"; the
agent screen's pre-fill by URL; who may connect."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from buergerkontakt.asgi import application
from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.callbacks.models import FirstContact
from buergerkontakt.telephony.models import Call
from tests.alarms.test_consumers import ORIGIN, session_cookie
from tests.asyncrun import run_async

from .test_webhook import HANGUP, NEW_CALL

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REQUIRE_2FA = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


async def connect(user):
    cookie = await db(session_cookie)(user)
    client = WebsocketCommunicator(application, "/ws/telefonie/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, code = await client.connect(timeout=5)
    return client, connected, code


def post_event(body, key):
    return Client().post("/api/telephony/cti", body, content_type="application/json",
                         headers={"X-API-Key": key}).status_code


@pytest.mark.django_db(transaction=True)
def test_new_call_pops_on_the_named_agents_screen(office, key):
    org = office.org
    callbacks.create_ticket(org.authority, caller_name="Erika Ärger", phone="0151 23456789", topic="Bescheid")

    async def scenario():
        agent, ok, _code = await connect(org.users["agent"])
        admin, ok2, _code = await connect(org.users["admin"])
        assert ok and ok2
        assert await db(post_event)(NEW_CALL, key) == 200
        message = await agent.receive_json_from(timeout=5)
        assert message["event"] == "ringing" and not message["close"]
        assert "Anruf von 01512 3456789" in message["html"]
        assert "Bekannt als: Erika Ärger" in message["html"] and "R-" in message["html"]
        assert "telefon=%2B4915123456789" in message["html"]
        # The PBX named the agent: the administrator's screen stays quiet.
        assert await admin.receive_nothing(timeout=0.3)
        assert await db(post_event)(HANGUP | {"cause": "cancel"}, key) == 200
        gone = await agent.receive_json_from(timeout=5)
        assert gone["event"] == "ended" and gone["close"]
        for client in (agent, admin):
            await client.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_unnamed_call_pops_for_the_phone_centre_and_on_reconnect(office, key):
    org = office.org
    body = {k: v for k, v in NEW_CALL.items() if k != "user"}

    async def scenario():
        assert await db(post_event)(body, key) == 200
        # Opened while it rings: the page shows the caller at once.
        late, ok, _code = await connect(org.users["admin"])
        assert ok
        message = await late.receive_json_from(timeout=5)
        assert message["event"] == "ringing"
        caseworker, ok2, _code = await connect(org.users["caseworker"])
        assert ok2 and await caseworker.receive_nothing(timeout=0.3)  # not named, not phone centre
        await late.disconnect()
        await caseworker.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["security", "dpo", "register_keeper", "other_admin"])
def test_who_may_not_connect(office, name):
    async def scenario():
        _client, ok, code = await connect(office.org.users[name])
        assert not ok and code == 4403

    if name == "other_admin":
        # An administrator of another authority connects, but only to their own phone centre.
        async def other():
            client, ok, _code = await connect(office.org.users[name])
            assert ok
            await client.disconnect()
        run_async(other)
        return
    run_async(scenario)


@pytest.mark.django_db
def test_directly_solved_from_the_pop(client, office, key, settings):
    settings.REQUIRE_2FA = False
    client.post("/api/telephony/cti", NEW_CALL, content_type="application/json", headers={"X-API-Key": key})
    call = Call.objects.get()
    client.force_login(office.org.users["agent"])
    url = reverse("telephony_staff:solved", kwargs={"pk": call.pk})
    response = client.post(url, {"topic": ""})
    assert response.status_code == 400 and "Anliegen" in response.content.decode()
    response = client.post(url, {"topic": "Öffnungszeiten"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.first_contact and FirstContact.objects.get().topic == "Öffnungszeiten"
    assert client.post(url, {"topic": "nochmal"}).status_code == 409
    assert FirstContact.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name, status", [("caseworker", 404), ("security", 403), ("other_admin", 404)])
def test_directly_solved_denied(client, office, key, settings, name, status):
    settings.REQUIRE_2FA = False
    body = {k: v for k, v in NEW_CALL.items() if k != "user"}
    client.post("/api/telephony/cti", body, content_type="application/json", headers={"X-API-Key": key})
    client.force_login(office.org.users[name])
    response = client.post(reverse("telephony_staff:solved", kwargs={"pk": Call.objects.get().pk}),
                           {"topic": "x"})
    assert response.status_code == status and not FirstContact.objects.exists()


@pytest.mark.django_db
def test_agent_screen_prefilled_by_url(client, office, settings):
    """Softphones without CTI open ``…/neu/?telefon=…`` on an incoming call."""
    settings.REQUIRE_2FA = False
    client.force_login(office.org.users["agent"])
    response = client.get(reverse("callbacks_staff:new") + "?telefon=%2B4915123456789&name=Erika+%C3%84rger")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="01512 3456789"' in html and 'value="Erika Ärger"' in html
    # A number phonenumbers does not accept is shown as given (the agent corrects it), no error yet.
    response = client.get(reverse("callbacks_staff:new") + "?telefon=12345")
    html = response.content.decode()
    assert 'value="12345"' in html and "gültige Telefonnummer" not in html
