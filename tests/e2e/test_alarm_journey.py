"""Browser journeys of the silent alarm (issue 6): two staff members in two browser contexts.

One registers the PC, raises the alarm with the keyboard shortcut; the neighbour's page shows the
full-screen banner and sounds the siren, confirms receipt by itself (the latency is stored) and
answers "Ich komme"; the trigger sees who is coming and gives the all-clear. The restart journey
(SPEC R2): the server goes down during an active alarm, another alarm is stored while it is down,
and both clients are back within 5 s of the server's return and show what is active.

The server is a separate process (in-memory channel layer, or Redis when REDIS_URL is set).
"""

from __future__ import annotations

import time

from playwright.sync_api import expect

from buergerkontakt.alarms import services
from buergerkontakt.alarms.models import Alarm, Delivery, Workstation
from buergerkontakt.core.models import Role, Room
from tests.asyncrun import run_in_thread
from tests.e2e.queue_helpers import OUTAGE, enable_totp, open_page, sign_in
from tests.factories import build_org, make_user

READY = "ready"


def _people():
    org = build_org()
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbarin", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room, first_name="Nora", last_name="Nachbar")
    trigger = org.users["caseworker"]
    for user in (trigger, neighbour):
        enable_totp(user)
    return org, trigger, neighbour


def register_pc(page, live_url: str, room_label: str) -> None:
    page.goto(live_url + "/mitarbeiter/alarm/arbeitsplatz/")
    page.get_by_label("Raum").select_option(label=room_label)
    page.get_by_role("button", name="Registrieren").click()
    expect(page.get_by_text("Dieser Arbeitsplatz ist registriert")).to_be_visible()


def two_registered_pcs(page, new_context, errors, live_url: str):
    """The trigger (room 1.10) on ``page`` and the neighbour (1.11) in a second browser context,
    both signed in with their PCs registered; returns the neighbour's page once its alarm is ready."""
    sign_in(page, live_url, "caseworker")
    register_pc(page, live_url, "Jobcenter Mitte · 1. OG · 1.10")
    other = open_page(new_context(), errors)
    sign_in(other, live_url, "nachbarin")
    register_pc(other, live_url, "Jobcenter Mitte · 1. OG · 1.11")
    expect(alarm_bar(other)).to_have_attribute("data-state", READY, timeout=10_000)
    return other


def alarm_bar(page):
    return page.locator("[data-alarm-client]")


def test_neighbour_sees_banner_hears_siren_answers_and_trigger_sees_who_comes(
    live_url, page, new_context, axe, console_errors
):
    org, trigger, neighbour = _people()
    errors = console_errors

    other = two_registered_pcs(page, new_context, errors, live_url)
    # The trigger's page learns that a recipient is online once it (re)connects.
    page.reload()
    expect(alarm_bar(page)).to_have_attribute("data-state", READY, timeout=10_000)
    assert Workstation.objects.filter(connections__gt=0).count() == 2

    # Ctrl+Alt+A raises a level-2 alarm from any staff page, without opening a menu.
    page.keyboard.press("Control+Alt+A")
    own = page.locator("[data-own]")
    expect(own).to_be_visible()
    expect(own).to_contain_text("Ihr Alarm ist ausgelöst.")
    expect(own.get_by_role("button", name="Zurücknehmen (Fehlalarm)")).to_be_visible()

    banner = other.get_by_role("alertdialog")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Raum 1.10")
    expect(banner).to_contain_text("1. OG")
    expect(banner).to_contain_text("Jobcenter Mitte")
    expect(banner).to_contain_text("Caseworker Test")
    expect(other.locator("[data-overlay]")).to_have_attribute("data-sounding", "true")
    expect(banner.get_by_role("button", name="Ich komme")).to_be_focused()
    axe(other)

    alarm = Alarm.objects.get()
    assert alarm.level == 2 and alarm.room == org.room and alarm.workstation is not None
    delivery = Delivery.objects.get(alarm=alarm, user=neighbour)
    deadline = time.monotonic() + 5
    while delivery.received_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        delivery.refresh_from_db()
    assert delivery.received_at is not None and delivery.latency_ms is not None  # receipt without a click
    # The trigger sees, live and discreetly, who got it and who has not yet (security has no page open).
    status = own.locator("[data-own-status]")
    expect(status).to_contain_text("Zugestellt an 1/")
    expect(status).to_contain_text("(Nora Nachbar)")
    expect(status).to_contain_text("Noch nicht zugestellt an: ")

    banner.get_by_role("button", name="Ich komme").click()
    expect(other.locator("[data-overlay]")).to_have_attribute("data-sounding", "false")
    expect(own.locator("[data-own-responders]")).to_have_text("Kommen: Nora Nachbar (Ich komme)")

    own.get_by_role("button", name="Entwarnung").click()
    expect(banner).to_be_hidden()
    expect(own).to_be_hidden()
    alarm.refresh_from_db()
    assert alarm.status == Alarm.Status.RESOLVED and alarm.ended_by == trigger
    kinds = list(alarm.timeline.values_list("kind", flat=True))
    assert kinds[:2] == ["raised", "sent"] and "received" in kinds and "coming" in kinds
    assert kinds[-1] == "resolved"
    assert not errors, errors


def test_clients_are_back_within_5_s_after_a_restart_and_show_every_active_alarm(
    live_url, live_server_proc, page, new_context, console_errors
):
    _org, trigger, neighbour = _people()
    errors = console_errors

    other = two_registered_pcs(page, new_context, errors, live_url)

    # Level 1 through the menu: the button works without the keyboard shortcut too.
    page.locator("summary.alarm-button").click()
    page.get_by_role("button", name="Stufe 1: Zeugen holen").click()
    expect(page.locator("[data-own]")).to_be_visible()
    banner = other.get_by_role("alertdialog")
    expect(banner).to_be_visible()
    first = Alarm.objects.get()

    try:
        live_server_proc.stop()
        expect(alarm_bar(other)).to_have_attribute("data-state", "offline")
        expect(alarm_bar(page)).to_have_attribute("data-state", "offline")
        # While the server is down, a second alarm is stored (as by another server process).
        second = run_in_thread(services.raise_alarm, trigger, level=3)
    finally:
        live_server_proc.start()
    back = time.monotonic()
    expect(alarm_bar(other)).to_have_attribute("data-state", READY, timeout=5_000)
    expect(alarm_bar(page)).to_have_attribute("data-state", READY, timeout=5_000)
    expect(other.locator("[data-overlay]")).to_have_attribute("data-alarm", str(second.pk), timeout=5_000)
    assert time.monotonic() - back <= 5.5
    expect(banner).to_contain_text("Stufe 3")
    # Level 3 never sends colleagues towards the room: they acknowledge the lockdown instead.
    expect(banner).to_contain_text("Meiden Sie Raum 1.10")
    expect(banner.get_by_role("button", name="Ich komme")).to_be_hidden()
    expect(banner.get_by_role("button", name="Verstanden")).to_be_focused()
    expect(page.locator("[data-own]")).to_be_visible()

    # Both alarms' receipts are confirmed by the reconnected client, nothing was lost.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Delivery.objects.filter(
        user=neighbour, alarm__in=[first, second], received_at__isnull=True
    ).exists():
        time.sleep(0.05)
    assert not Delivery.objects.filter(user=neighbour, received_at__isnull=True).exists()
    assert Alarm.objects.filter(status=Alarm.Status.ACTIVE).count() == 2
    assert not [e for e in errors if not OUTAGE.search(e)], errors
