"""Browser journey of the one workplace notion (issue 17, "Wrong room"): reception chooses call
desk E.10 in "Aufrufen"; from then on the alarm bar on every staff page says E.10, and her alarm
(Ctrl+Alt+A) reaches security as Raum E.10 – not the reception E.01 named in her staff profile."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from buergerkontakt.alarms.models import Alarm
from buergerkontakt.alarms.workplace import Workplace, set_current_workplace
from buergerkontakt.core.models import Role, User
from tests.e2e.queue_helpers import enable_totp, open_page, sign_in
from tests.factories import build_org, make_user
from tests.walkin.builders import make_counter, make_queue


def test_reception_chooses_desk_e10_and_the_alarm_bar_and_the_alarm_say_e10(
    live_url, page, new_context, axe, console_errors
):
    org = build_org()
    e01 = make_counter(org.location, "E.01", "Empfang")
    e10 = make_counter(org.location, "E.10", "Beratung")
    make_queue(org.location)
    reception = make_user("empfang", org.authority, Role.AGENT, scope=org.location, first_name="Erika",
                          last_name="Empfang")
    User.objects.filter(pk=reception.pk).update(workstation_room=e01)  # home room only
    guard = make_counter(org.location, "E.02", "Sicherheitsdienst")
    set_current_workplace(org.users["security"], room=guard, source=Workplace.Source.ADMIN)
    for user in (reception, org.users["security"]):
        enable_totp(user)

    sign_in(page, live_url, "empfang")
    place = page.locator("[data-place]")
    expect(place).to_have_attribute("data-known", "false")
    expect(place).to_contain_text("Raum unbekannt!")

    page.goto(live_url + "/mitarbeiter/aufruf/")
    page.get_by_label("Ihr Raum oder Schalter").select_option(label="E.10 – Beratung (Erdgeschoss)")
    page.get_by_label("A – Ausweise").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihr Arbeitsplatz ist eingerichtet.")).to_be_visible()
    expect(place).to_have_attribute("data-known", "true")
    expect(place).to_contain_text("Raum E.10 (Beratung) · Erdgeschoss · Jobcenter Mitte")
    page.goto(live_url + "/mitarbeiter/")  # on every staff page
    expect(place).to_contain_text("Raum E.10 (Beratung)")
    axe(page)

    security = open_page(new_context(), console_errors)
    sign_in(security, live_url, "security")
    connected = re.compile("ready|nobody")  # connected (no recipient has a registered PC online)
    expect(security.locator("[data-alarm-client]")).to_have_attribute("data-state", connected, timeout=10_000)
    page.reload()
    expect(page.locator("[data-alarm-client]")).to_have_attribute("data-state", connected, timeout=10_000)

    page.keyboard.press("Control+Alt+A")
    expect(page.locator("[data-own]")).to_be_visible()
    banner = security.get_by_role("alertdialog")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Raum E.10 (Beratung) · Erdgeschoss · Jobcenter Mitte")
    expect(banner).to_contain_text("Erika Empfang")
    alarm = Alarm.objects.get()
    assert alarm.room == e10 and alarm.raised_by == reception
    assert not console_errors, console_errors
