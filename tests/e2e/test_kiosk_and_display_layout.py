"""Kiosk and TV layout: the kiosk confirms a ticket on a kiosk-sized screen (not the 80 mm receipt
preview), numbers and desk labels never wrap, and the TV's clock shows the office's time zone, not
the device's."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import Screen
from tests.factories import build_org
from tests.walkin.builders import make_counter, make_queue, make_screen

KIOSK = {"width": 1280, "height": 1024}
TV = {"width": 1920, "height": 1080}


def shot(page, name: str) -> None:
    folder = os.environ.get("BK_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png")


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
    page.get_by_role("button", name="Erstantrag").click()
    number = page.get_by_role("heading", level=1)
    expect(number).to_have_text("E-001")
    assert lines(page, "h1") == 1  # never "E-" / "001"
    used = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
    assert used >= KIOSK["width"] * 0.6, used  # a kiosk screen, not an 80 mm strip
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert font >= 96, font
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
    expect(page.locator("[data-ticket]")).to_have_text("E-001")
    assert lines(page, "[data-ticket]") == 1
    assert lines(page, ".display-room") == 1  # "→ Servicetheke 1" together
    berlin = datetime.now(ZoneInfo("Europe/Berlin"))
    clock = page.locator("[data-clock]").inner_text()
    assert clock in {berlin.strftime("%H:%M"), (berlin.replace(second=0)).strftime("%H:%M")}, clock
    shot(page, "tv-1920")
    axe(page)
    context.close()
