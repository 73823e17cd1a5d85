"""Browser journeys of the walk-in queue (issue 4): reception issues, a case worker calls, the
waiting-room display and the citizen's phone show the call live; both reconnect after a server
restart; the kiosk checks in appointment holders and issues walk-in tickets; the ticket page works
without JavaScript. axe-core on every page.

The server is a separate process with its own channel layer (in memory unless REDIS_URL is set):
every issue and call goes through a browser, the test process only prepares rows.
"""

from __future__ import annotations

import re

from django.utils import timezone
from playwright.sync_api import expect

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.walkin.links import ticket_path
from buergerkontakt.walkin.models import Screen, Ticket
from tests.e2e.queue_helpers import (
    OUTAGE,
    PHONE,
    book_today,
    enable_totp,
    expect_connected,
    open_page,
    set_up_desk,
    sign_in,
)
from tests.factories import build_org
from tests.walkin.builders import make_queue, make_screen

QUEUE_LABEL = "A – Ausweise"


def ticket_row(page, label: str):
    """The reception's row of one ticket in "Nummern von heute"."""
    return page.locator(".ticket-table").get_by_role("row", name=re.compile(f"^{label} "))


def issue_at_reception(page, number: str, axe=None) -> None:
    page.get_by_label(QUEUE_LABEL).check()
    page.get_by_role("button", name="Nummer ausgeben und drucken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(number)
    expect(page.locator(".receipt-qr svg")).to_be_visible()
    if axe:
        axe(page)
    page.get_by_role("link", name="Zurück zum Empfang").click()
    expect(page.get_by_role("heading", name=re.compile("^Empfang"))).to_be_visible()


def test_reception_issues_caseworker_calls_display_and_phone_show_it(live_url, page, new_context, axe,
                                                                     console_errors):
    org = build_org()
    queue = make_queue(org.location)
    display = make_screen(org.location, name="Anzeige Wartebereich", repeat_seconds=0)
    enable_totp(org.users["agent"])
    enable_totp(org.users["caseworker"])
    errors = console_errors  # the reception page's; the other contexts add theirs

    # The waiting-room TV.
    tv = open_page(new_context(viewport={"width": 1920, "height": 1080}), errors)
    tv.goto(live_url + f"/wartenummer/anzeige/{display.key}/")
    board = tv.locator(".display")
    expect_connected(board)
    expect(board).to_have_attribute("data-gong-count", "0")
    expect(tv.locator("[data-idle]")).to_be_visible()
    axe(tv)

    # Reception (an agent) gives out two numbers; the printed ticket has the QR code.
    sign_in(page, live_url, "agent")
    page.get_by_role("link", name="Empfang", exact=True).click()
    expect(page.get_by_role("heading", name="Empfang – Jobcenter Mitte")).to_be_visible()
    axe(page)
    issue_at_reception(page, "A-001", axe)
    issue_at_reception(page, "A-002")
    expect(ticket_row(page, "A-002")).to_contain_text("wartet")

    # The citizen with A-002 opens the link of the QR code on the phone (the staff print page shows
    # the QR code only, so the link comes from the database).
    mine = Ticket.objects.get(queue=queue, number=2)
    phone = open_page(new_context(**PHONE), errors)
    phone.goto(live_url + ticket_path(mine))
    ticket_page = phone.locator(".ticket-page")
    expect_connected(ticket_page)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("A-002")
    expect(phone.locator("[data-ahead]")).to_have_text("1 Person")
    expect(phone.get_by_text("Sie sind gleich dran.")).to_be_visible()
    axe(phone)

    # The case worker sets up the desk and calls the next number: A-001.
    desk = open_page(new_context(), errors)
    sign_in(desk, live_url, "caseworker")
    set_up_desk(desk, live_url, QUEUE_LABEL)
    axe(desk)
    desk.get_by_role("button", name="Nächste Nummer aufrufen").click()
    expect(desk.locator(".current-label")).to_have_text("A-001")
    expect(board).to_have_attribute("data-gong-count", "1")
    expect(tv.locator("[data-current] [data-ticket]")).to_have_text("A-001")
    expect(tv.locator("[data-current] [data-room]")).to_have_text("Raum 1.10")
    expect(tv.locator("[data-idle]")).to_be_hidden()
    # The phone moves up without a reload.
    expect(phone.locator("[data-ahead]")).to_have_text("0 Personen")
    expect(phone.get_by_text("Sie sind als Nächstes dran.")).to_be_visible()

    # A-001 done, next: A-002 — the display and the phone show the call.
    desk.get_by_role("button", name="Abschließen").click()
    expect(desk.get_by_text("A-001 ist abgeschlossen.")).to_be_visible()
    desk.get_by_role("button", name="Nächste Nummer aufrufen").click()
    expect(desk.locator(".current-label")).to_have_text("A-002")
    expect(board).to_have_attribute("data-gong-count", "2")
    expect(tv.locator("[data-current] [data-ticket]")).to_have_text("A-002")
    expect(tv.locator(".display-list")).to_contain_text("A-001")
    status = phone.locator("#ticket-status")
    expect(status).to_contain_text("Sie werden aufgerufen!")
    expect(status).to_contain_text("Bitte kommen Sie jetzt zu: Raum 1.10")
    expect(phone.locator("[data-ahead]")).to_have_count(0)
    axe(phone)
    axe(tv)

    # "Erneut aufrufen": the display gongs again, the desk counts the calls.
    desk.get_by_role("button", name="Erneut aufrufen").click()
    expect(desk.locator(".current-status")).to_contain_text("2-mal aufgerufen")
    expect(board).to_have_attribute("data-gong-count", "3")
    expect(tv.locator("[data-current] [data-ticket]")).to_have_text("A-002")
    axe(desk)

    # Service begins: the phone says so.
    desk.get_by_role("button", name="Bedienung beginnen").click()
    expect(status).to_contain_text("Sie werden gerade bedient (Raum 1.10).")
    mine.refresh_from_db()
    assert (mine.status, mine.call_count, mine.handler) == (Ticket.Status.SERVING, 2, org.users["caseworker"])

    # The reception's list shows the states.
    page.reload()
    expect(ticket_row(page, "A-001")).to_contain_text("erledigt")
    expect(ticket_row(page, "A-002")).to_contain_text("in Bearbeitung")
    assert not errors, errors


def test_display_and_ticket_page_reconnect_after_server_restart(live_url, live_server_proc, page, new_context,
                                                                console_errors):
    org = build_org()
    make_queue(org.location)
    display = make_screen(org.location, name="Anzeige Wartebereich", repeat_seconds=0)
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    enable_totp(org.users["caseworker"])
    errors = console_errors

    page.goto(live_url + f"/wartenummer/anzeige/{display.key}/")
    board = page.locator(".display")
    expect_connected(board)

    # A citizen takes a number at the kiosk and follows it on the phone.
    phone = open_page(new_context(**PHONE), errors)
    phone.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
    phone.get_by_role("button", name="Ausweise").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("A-001")
    phone.get_by_role("link", name="Wartenummer verfolgen").click()
    ticket_page = phone.locator(".ticket-page")
    expect_connected(ticket_page)
    expect(phone.locator("[data-ahead]")).to_have_text("0 Personen")

    desk = open_page(new_context(), errors)
    sign_in(desk, live_url, "caseworker")
    set_up_desk(desk, live_url, QUEUE_LABEL)

    # restart() is stop() + start(); done in two halves so that the offline state is seen for sure.
    try:
        live_server_proc.stop()
        expect_connected(board, False)
        expect(page.locator("[data-offline]")).to_be_visible()
        expect_connected(ticket_page, False)
        expect(phone.get_by_text("Verbindung unterbrochen – wird wiederhergestellt …")).to_be_visible()
    finally:
        live_server_proc.start()
    # Both reconnect by themselves (backoff ≤ 5 s), without a reload.
    expect_connected(board)
    expect(page.locator("[data-offline]")).to_be_hidden()
    expect_connected(ticket_page)
    expect(phone.get_by_text("Verbindung unterbrochen – wird wiederhergestellt …")).to_be_hidden()

    # The case worker's session survived; the call reaches the new server's subscribers.
    desk.reload()
    desk.get_by_role("button", name="Nächste Nummer aufrufen").click()
    expect(desk.locator(".current-label")).to_have_text("A-001")
    expect(page.locator("[data-current] [data-ticket]")).to_have_text("A-001")
    expect(page.locator("[data-current] [data-room]")).to_have_text("Raum 1.10")
    expect(board).to_have_attribute("data-gong-count", "1")
    expect(phone.locator("#ticket-status")).to_contain_text("Sie werden aufgerufen!")
    unexpected = [e for e in errors if not OUTAGE.search(e)]
    assert not unexpected, unexpected


def test_kiosk_checks_in_by_booking_code_and_issues_walk_in_tickets(live_url, page, axe, console_errors):
    org = build_org()
    service, appointment = book_today(org)
    make_queue(org.location, "A", "Bürgerservice", services=[service])
    make_queue(org.location, "B", "Leistungen", position=20)
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk Eingang")
    kiosk_url = live_url + f"/wartenummer/kiosk/{kiosk.key}/"

    page.goto(kiosk_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen im Jobcenter Mitte")
    code_field = page.get_by_label("Buchungscode eingeben oder QR-Code der Terminbestätigung scannen")
    expect(code_field).to_be_focused()
    axe(page)

    # A code that does not exist: the kiosk again, with the one message for every refused code (409).
    page.keyboard.type("ZZZZ2222")
    seen = len(console_errors)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Einchecken").click()
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text(
        "Mit diesem Buchungscode ist hier kein Check-in möglich.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen im Jobcenter Mitte")
    # Chromium logs the 409 answer itself; that one is expected.
    assert console_errors[seen:] == ["Failed to load resource: the server responded with a status of 409 "
                                     "(Conflict)"], console_errors
    del console_errors[seen:]
    axe(page)

    # The right code, typed as people do (lower case, with a space): the printed ticket.
    code_field.fill("")
    code_field.type(f"{appointment.code[:4]} {appointment.code[4:]}".lower())
    page.get_by_role("button", name="Einchecken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A-001")
    expect(page.locator(".receipt-queue")).to_have_text("Bürgerservice · mit Termin")
    expect(page.locator(".receipt-qr svg[role=img]")).to_be_visible()
    ticket = Ticket.objects.get(appointment=appointment)
    assert ticket.kind == Ticket.Kind.APPOINTMENT
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    link = page.get_by_role("link", name="Wartenummer verfolgen")
    expect(link).to_have_attribute("href", live_url + ticket_path(ticket))
    axe(page)

    # The link shows the live ticket with the appointment time.
    link.click()
    expect(page.locator(".ticket-page")).to_have_attribute("data-connected", "true")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A-001")
    expect(page.locator("#ticket-status")).to_contain_text(
        f"Sie haben einen Termin um {timezone.localtime(appointment.start):%H:%M} Uhr")

    # Without an appointment: one button per walk-in queue.
    page.goto(kiosk_url)
    page.get_by_role("button", name="Leistungen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("B-001")
    expect(page.locator(".receipt-queue")).to_have_text("Leistungen")
    expect(page.locator(".receipt-qr svg")).to_be_visible()
    page.get_by_role("link", name="Fertig").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen im Jobcenter Mitte")
    assert Ticket.objects.filter(kind=Ticket.Kind.WALK_IN).count() == 1
    assert not console_errors, console_errors


def test_kiosk_ticket_returns_after_a_countdown_the_citizen_can_extend(live_url, page, axe):
    """WCAG 2.2.1: the kiosk's ticket screen goes back to the start only after a visible countdown
    with a "Mehr Zeit" button (no hidden meta refresh)."""
    org = build_org()
    make_queue(org.location)
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    page.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
    page.get_by_role("button", name="Ausweise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A-001")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    more = page.get_by_role("button", name="Mehr Zeit")
    expect(more).to_be_visible()
    expect(page.locator("[data-remaining]")).not_to_have_text("60")  # it counts down
    more.click()
    expect(page.locator("[data-remaining]")).to_have_text(re.compile(r"^(60|59|58)$"))
    axe(page)


def test_ticket_page_without_javascript(live_url, new_context):
    org = build_org()
    make_queue(org.location)
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    errors: list[str] = []
    phone = open_page(new_context(java_script_enabled=False, **PHONE), errors)

    # The kiosk works without JavaScript as well (plain forms): two numbers.
    for number in ("A-001", "A-002"):
        phone.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
        phone.get_by_role("button", name="Ausweise").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text(number)
    phone.get_by_role("link", name="Wartenummer verfolgen").click()

    expect(phone.get_by_role("heading", level=1)).to_contain_text("A-002")
    expect(phone.locator("[data-ahead]")).to_have_text("1 Person")
    expect(phone.locator("#ticket-status")).to_contain_text("Geschätzte Wartezeit")
    # (Playwright's text search skips <noscript>, so the element is named by CSS.)
    note = phone.locator(".ticket-page noscript p")
    expect(note).to_have_text("Diese Seite aktualisiert sich alle 30 Sekunden.")
    expect(note).to_be_visible()
    refresh = phone.locator('head noscript meta[http-equiv="refresh"]')
    expect(refresh).to_have_count(1)
    expect(refresh).to_have_attribute("content", "30")
    # Nothing claims a live connection.
    expect(phone.locator(".ticket-page")).not_to_have_attribute("data-connected", "true")
    assert not errors, errors
