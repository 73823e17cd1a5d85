"""Kiosk and TV layout: the kiosk confirms a ticket on a kiosk-sized screen (not the 80 mm receipt
preview), numbers and desk labels never wrap, and the TV's clock shows the office's time zone, not
the device's."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from buergerkontakt.walkin import services
from buergerkontakt.walkin.links import ticket_path
from buergerkontakt.walkin.models import Screen
from tests.e2e.queue_helpers import enable_totp, sign_in
from tests.factories import build_org
from tests.liveserver import ROOT
from tests.walkin.builders import make_counter, make_queue, make_screen

KIOSK = {"width": 1280, "height": 1024}
TV = {"width": 1920, "height": 1080}
PHONE = {"width": 320, "height": 640}


def shot(page, name: str) -> None:
    """Screenshots to look at: test-results/ (or the folder in BK_SCREENSHOTS)."""
    folder = Path(os.environ.get("BK_SCREENSHOTS") or ROOT / "test-results")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def lines(page, selector: str) -> int:
    """How many lines the text of ``selector`` takes."""
    return page.evaluate("""(selector) => {
        const el = document.querySelector(selector);
        const range = document.createRange();
        range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return tops.size;
    }""", selector)


def test_kiosk_confirmation_fills_the_kiosk_screen(live_url, browser, axe):
    org = build_org()
    make_queue(org.location, "E", "Erstantrag")
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    context = browser.new_context(viewport=KIOSK, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
    shot(page, "kiosk-start")
    page.get_by_role("button", name="Erstantrag").click()
    number = page.get_by_role("heading", level=1)
    expect(number).to_have_text("E-001")
    assert lines(page, "h1") == 1  # never "E-" / "001"
    used = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
    assert used >= KIOSK["width"] * 0.6, used  # a kiosk screen, not an 80 mm strip
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert font >= 96, font
    # Read at arm's length: no text on the kiosk's confirmation below 20 px, buttons a hand can hit.
    smallest = page.evaluate("""() => Math.min(
        ...[...document.querySelectorAll('main p, main a, main button')]
        .filter(el => el.offsetParent && el.textContent.trim())
        .map(el => parseFloat(getComputedStyle(el).fontSize)))""")
    assert smallest >= 20, smallest
    for name in ("Bon drucken", "Fertig"):
        assert page.get_by_role(page_role(name), name=name).bounding_box()["height"] >= 56
    shot(page, "kiosk-ticket")
    axe(page)
    context.close()


def test_tv_keeps_numbers_and_desks_on_one_line_and_shows_office_time(live_url, browser, axe):
    org = build_org()
    queue = make_queue(org.location, "E", "Erstantrag")
    counter = make_counter(org.location, "1", "Servicetheke 1")
    clerk = org.users["agent"]
    services.set_desk(clerk, org.location, counter, [queue])
    services.issue_ticket(queue)
    services.call_next(clerk, org.location)
    display = make_screen(org.location, Screen.Kind.DISPLAY)
    # The TV's own clock is set to another zone: the office's time must show anyway.
    context = browser.new_context(viewport=TV, locale="de-DE", timezone_id="America/New_York")
    page = context.new_page()
    page.goto(live_url + f"/wartenummer/anzeige/{display.key}/")
    expect(page.locator("[data-current] [data-ticket]")).to_have_text("E-001")
    assert lines(page, "[data-current] [data-ticket]") == 1
    assert lines(page, "[data-current] .display-room") == 1  # "→ Servicetheke 1" together
    berlin = datetime.now(ZoneInfo("Europe/Berlin"))
    clock = page.locator("[data-clock]").inner_text()
    assert clock in {berlin.strftime("%H:%M"), (berlin.replace(second=0)).strftime("%H:%M")}, clock
    shot(page, "tv-1920")
    axe(page)
    context.close()


def page_role(name: str) -> str:
    return "button" if name == "Bon drucken" else "link"


def cells(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('[data-cell]')].map(el => {
        const r = el.getBoundingClientRect();
        return {x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.width), h: Math.round(r.height),
                text: el.innerText.replace(/\\s+/g, ' ').trim()};
    })""")


def test_tv_shows_concurrent_calls_in_a_fixed_grid_over_the_whole_screen(live_url, browser, axe):
    org = build_org()
    queue = make_queue(org.location, "E", "Erstantrag")
    clerks = [org.users[name] for name in ("agent", "teamlead", "admin", "caseworker")]
    for number, clerk in enumerate(clerks, start=1):
        counter = make_counter(org.location, str(number), f"Servicetheke {number}")
        services.set_desk(clerk, org.location, counter, [queue])
        services.issue_ticket(queue)
    for clerk in clerks[:3]:  # three desks call at the same time
        services.call_next(clerk, org.location)
    display = make_screen(org.location, Screen.Kind.DISPLAY)
    context = browser.new_context(viewport=TV, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(live_url + f"/wartenummer/anzeige/{display.key}/")
    page.wait_for_function("() => document.querySelector('.display').dataset.connected === 'true'")
    before = cells(page)
    assert len(before) == display.recent_count, before  # a fixed grid: empty cells keep their place
    assert [c["text"] for c in before[:3]] == [
        "E-003 → Servicetheke 3", "E-002 → Servicetheke 2", "E-001 → Servicetheke 1"], before
    assert len({(c["w"], c["h"]) for c in before}) == 1, before  # every cell the same size
    grid = page.evaluate("""() => { const r = document.querySelector('[data-grid]').getBoundingClientRect();
                                    return {w: r.width, h: r.height}; }""")
    assert grid["w"] >= TV["width"] * 0.9 and grid["h"] >= TV["height"] * 0.7, grid  # the whole screen
    for index in range(1, 4):
        assert lines(page, f"[data-cell]:nth-child({index}) [data-ticket]") == 1
        assert lines(page, f"[data-cell]:nth-child({index}) .display-room") == 1
    shot(page, "tv-1920-grid")
    # A fourth desk calls (in the browser, so the call reaches the display live): the newest moves
    # to the first cell, the grid itself does not move.
    enable_totp(clerks[3])
    desk = context.new_page()
    sign_in(desk, live_url, clerks[3].username)
    desk.goto(live_url + "/mitarbeiter/aufruf/")
    desk.get_by_role("button", name="Nächste Nummer aufrufen").click()
    expect(desk.locator(".current-label")).to_have_text("E-004")
    expect(page.locator("[data-current] [data-ticket]")).to_have_text("E-004")
    after = cells(page)
    assert [(c["x"], c["y"], c["w"], c["h"]) for c in after] == [
        (c["x"], c["y"], c["w"], c["h"]) for c in before]
    assert [c["text"] for c in after[:4]] == [
        "E-004 → Servicetheke 4", "E-003 → Servicetheke 3", "E-002 → Servicetheke 2",
        "E-001 → Servicetheke 1"], after
    axe(page, impacts=("minor", "moderate", "serious", "critical"))
    context.close()


def test_phone_ticket_page_at_320_px(live_url, browser, axe):
    org = build_org()
    queue = make_queue(org.location, "E", "Erstantrag")
    ticket = services.issue_ticket(queue)
    context = browser.new_context(viewport=PHONE, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(live_url + ticket_path(ticket))
    expect(page.get_by_role("heading", level=1)).to_contain_text("E-001")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, "phone-320-ticket")
    axe(page, impacts=("minor", "moderate", "serious", "critical"))
    context.close()
