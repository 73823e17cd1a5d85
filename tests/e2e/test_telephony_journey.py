"""Browser journey of the screen pop (issue 22): the PBX posts a Zammad-style ``newCall``; the
agent's screen shows the caller with what is known about them within 1 s; one key opens the agent
screen pre-filled with the number; axe-core on the page with the pop."""

from __future__ import annotations

import time

import requests
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.core import apikeys
from buergerkontakt.core.models import ApiKey
from buergerkontakt.telephony.models import Call, Extension, Line
from tests.callbacks.builders import build_office
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in
from tests.e2e.test_callbacks_journey import _watch

NEW_CALL = {"event": "newCall", "from": "4915123456789", "to": "496912340", "direction": "in",
            "callId": "e2e-307fa962", "user": ["Agent Test"]}


def test_new_call_pops_on_the_agents_screen(live_url, browser, axe):
    office = build_office()
    org = office.org
    TOTPDevice.objects.create(user=org.users["agent"], name="App", key=KEY_HEX, confirmed=True)
    Line.objects.create(authority=org.authority, number="+496912340", team=org.team)
    Extension.objects.create(authority=org.authority, user=org.users["agent"], identifier="42")
    callbacks.create_ticket(org.authority, caller_name="Erika Ärger", phone="0151 23456789",
                            topic="Rückfrage Bescheid")
    _record, key = apikeys.create_key(org.authority, "Telefonanlage", [ApiKey.Scope.TELEPHONY])

    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    errors: list[str] = []
    _watch(page, errors)
    sign_in(page, live_url, "agent")
    page.goto(live_url + "/mitarbeiter/rueckrufe/")
    expect(page.locator("body")).to_have_attribute("data-phone-socket", "online", timeout=10_000)

    started = time.monotonic()
    response = requests.post(live_url + "/api/telephony/cti", json=NEW_CALL, headers={"X-API-Key": key},
                             timeout=10)
    assert response.status_code == 200, response.text
    pop = page.get_by_role("region", name="Anruf von 01512 3456789")
    expect(pop).to_be_visible(timeout=1_000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    expect(pop).to_contain_text("Bekannt als: Erika Ärger")
    expect(pop).to_contain_text("klingelt")
    axe(page)

    # One key: the agent screen, pre-filled with the caller's number and name.
    pop.get_by_role("link", name="Rückrufticket anlegen").click()
    expect(page.get_by_role("heading", name="Neuer Anruf")).to_be_visible()
    expect(page.get_by_label("Rückrufnummer")).to_have_value("01512 3456789")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Erika Ärger")
    assert Call.objects.get().agents == [org.users["agent"].pk]
    assert not errors, errors
    context.close()
