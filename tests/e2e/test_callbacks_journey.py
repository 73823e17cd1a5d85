"""Browser journey: an agent takes a call and creates a callback ticket by keyboard only; the
responsible case worker finds it in the worklist and logs "nicht erreicht"; the next attempt is
scheduled and the caller's signed status page shows the attempt. axe-core on every page."""

from __future__ import annotations

import re

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.callbacks import links
from buergerkontakt.callbacks.models import Outcome, Ticket
from tests.callbacks.builders import build_office
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in


def _watch(page, errors: list[str]) -> None:
    """Console errors of our pages (JavaScript, CSP, HTTP statuses). Network-level aborts
    ("net::ERR_…") of other apps' background connections on staff pages are not ours to judge."""
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "net::ERR_" not in msg.text else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def test_agent_creates_ticket_caseworker_logs_not_reached_caller_sees_it(live_url, browser, axe):
    office = build_office()
    for role in ("agent", "caseworker"):
        TOTPDevice.objects.create(user=office.org.users[role], name="App", key=KEY_HEX, confirmed=True)

    # --- the agent, keyboard only ---------------------------------------------------------------
    agent_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = agent_context.new_page()
    errors: list[str] = []
    _watch(page, errors)
    sign_in(page, live_url, "agent")
    page.get_by_role("link", name="Neuer Anruf (Rückrufticket)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Neuer Anruf")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()  # autofocus: type at once
    axe(page)
    page.keyboard.type("Karl von Braun")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Rückrufnummer")).to_be_focused()
    page.keyboard.type("0151 23456789")
    page.keyboard.press("Tab")  # case number: none
    page.keyboard.press("Tab")  # service: none
    page.keyboard.press("Tab")
    expect(page.get_by_label("Anliegen")).to_be_focused()
    page.keyboard.type("Frage zum Bewilligungsbescheid")
    page.keyboard.press("Tab")  # urgency radio group: arrow keys choose
    expect(page.get_by_label("normal", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("dringend", exact=True)).to_be_checked()
    # the live routing preview shows who will get it
    preview = page.locator("#routing-preview")
    expect(preview).to_contain_text(office.org.team.name)
    expect(preview).to_contain_text(office.org.users["caseworker"].get_full_name())
    axe(page)
    page.get_by_label("Anliegen").focus()
    page.keyboard.press("Enter")  # Enter in a text field submits with the first button: the ticket
    expect(page.get_by_text(re.compile(r"Rückrufticket R-\w+ angelegt"))).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.caller_name == "Karl von Braun" and ticket.urgency == "urgent"
    assert ticket.assignee == office.org.users["caseworker"] and ticket.phone == "+4915123456789"
    expect(page.get_by_label("Name", exact=True)).to_be_focused()  # ready for the next call
    axe(page)
    assert not errors, errors
    agent_context.close()

    # --- the responsible case worker -------------------------------------------------------------
    worker_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = worker_context.new_page()
    _watch(page, errors)
    sign_in(page, live_url, "caseworker")
    page.get_by_role("link", name="Rückruf-Arbeitsliste").first.click()
    expect(page.get_by_role("heading", name="Rückruf-Arbeitsliste")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(ticket.number))
    expect(row).to_contain_text("Karl von Braun")
    expect(row).to_contain_text("dringend")
    axe(page)
    row.get_by_role("link", name=ticket.number).click()
    expect(page.get_by_role("heading", name=re.compile(f"Rückrufticket {ticket.number}"))).to_be_visible()
    axe(page)
    page.get_by_label("nicht erreicht").check()
    page.get_by_label("Notiz (optional)").first.fill("Freizeichen")
    page.get_by_role("button", name="Versuch erfassen").click()
    expect(page.get_by_text(re.compile("Versuch 1 erfasst: nicht erreicht"))).to_be_visible()
    ticket.refresh_from_db()
    attempt = ticket.attempts.get()
    assert attempt.outcome == Outcome.NOT_REACHED and ticket.is_open
    assert ticket.next_attempt_at is not None and ticket.next_attempt_at > attempt.at
    next_local = timezone.localtime(ticket.next_attempt_at)
    expect(page.locator(".ticket-facts").nth(1)).to_contain_text(next_local.strftime("%H:%M"))
    axe(page)
    assert not errors, errors
    worker_context.close()

    # --- the caller's status page (signed link from the message) ---------------------------------
    citizen = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = citizen.new_page()
    _watch(page, errors)
    page.goto(live_url + links.url(ticket, absolute=False))
    expect(page.get_by_role("heading", name=f"Ihr Rückruf {ticket.number}")).to_be_visible()
    expect(page.get_by_text(re.compile("Versuch 1 am .* nicht erreicht"))).to_be_visible()
    expect(page.get_by_text("Nächster Anrufversuch")).to_be_visible()
    expect(page.locator("main")).to_contain_text(next_local.strftime("%H:%M"))
    expect(page.locator("main")).not_to_contain_text("23456789")
    axe(page)
    # a changed link shows a German explanation, not the ticket
    response = page.goto(live_url + f"/rueckruf/{ticket.number}/?t=0:falsch")
    assert response.status == 403
    expect(page.get_by_text("Dieser Link ist ungültig")).to_be_visible()
    citizen.close()
    assert not [e for e in errors if "403" not in e], errors
