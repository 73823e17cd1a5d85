"""Browser journeys of the citizen booking flow in Chromium, under the real CSP, with the real
proof of work: book by keyboard only, get the e-mail, open its link, cancel; a time taken in the
meantime and an expired hold give clear German messages; axe-core clean at every step."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment
from tests.appointments.builders import build_office

Status = Appointment.Status


@pytest.fixture
def office(live_url):
    today = timezone.localdate()
    return build_office(materialize=(today, today + timedelta(days=21)), hold_minutes=5)


def tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until ``locator`` has the focus: proves it is reachable by keyboard."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError("not reachable with the Tab key")


def mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    """The messages the file backend wrote (one file per connection, separated by dashes)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                found.append(email.message_from_string(chunk.lstrip(), policy=email.policy.default))
    return found


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def wait_for_proof_of_work(page) -> None:
    expect(page.locator("altcha-widget input[name=altcha]")).not_to_have_value("", timeout=20_000)


def choose_first_day_and_time(page, live_url, axe, *, keyboard: bool) -> None:
    """Step 1–3 up to a held time, by keyboard (Tab/Space/arrows/Enter) or by pointer."""
    page.goto(live_url + "/termine/")
    expect(page.get_by_role("heading", level=1, name="Termin buchen")).to_be_visible()
    axe(page)
    checkbox = page.get_by_label(re.compile("Meldebescheinigung"))
    if keyboard:
        page.keyboard.press("Tab")  # the skip link first
        tab_to(page, checkbox)
        page.keyboard.press("Space")
        expect(checkbox).to_be_checked()
        tab_to(page, page.get_by_role("button", name="Weiter: Ort und Tag wählen"))
        page.keyboard.press("Enter")
    else:
        checkbox.check()
        page.get_by_role("button", name="Weiter: Ort und Tag wählen").click()

    expect(page.get_by_role("heading", level=1, name="Ort und Tag wählen")).to_be_visible()
    axe(page)
    first_day = page.locator(".free-days a").first
    if keyboard:
        tab_to(page, first_day)
        page.keyboard.press("Enter")
    else:
        first_day.click()

    expect(page.get_by_role("heading", level=1, name=re.compile("^Uhrzeit am"))).to_be_visible()
    wait_for_proof_of_work(page)
    axe(page)
    first_time = page.locator(".time-choice input").first
    if keyboard:
        tab_to(page, first_time)
        page.keyboard.press("ArrowRight")  # radio group: arrows move the choice to the second time
        expect(page.locator(".time-choice input").nth(1)).to_be_checked()
        tab_to(page, page.get_by_role("button", name="Uhrzeit reservieren und weiter"))
        page.keyboard.press("Enter")
    else:
        first_time.check()
        page.get_by_role("button", name="Uhrzeit reservieren und weiter").click()


def test_book_by_keyboard_get_the_mail_open_the_link_and_cancel(live_url, live_server_proc, page, office,
                                                               axe, console_errors):
    choose_first_day_and_time(page, live_url, axe, keyboard=True)

    expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
    expect(page.get_by_text(re.compile("Wir halten diese Uhrzeit bis"))).to_be_visible()
    axe(page)
    name = page.get_by_label("Vor- und Nachname")
    tab_to(page, name)
    page.keyboard.type("Erika Mustermann")
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-Mail-Adresse")).to_be_focused()
    page.keyboard.type("erika.tastatur@example.org")
    tab_to(page, page.get_by_label("Ich benötige einen rollstuhlgerechten Zugang."))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Termin verbindlich buchen"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Ihr Termin ist gebucht")).to_be_visible()
    axe(page)
    appointment = Appointment.objects.get(email="erika.tastatur@example.org")
    assert appointment.status == Status.CONFIRMED and appointment.wheelchair
    expect(page.locator(".booking-code")).to_have_text(appointment.code)

    # The confirmation mail (written by the server's task) carries the .ics and the signed link.
    message = next(m for m in mails(live_server_proc.mail_dir) if m["To"] == "erika.tastatur@example.org")
    assert message["Subject"] == "Ihr Termin ist gebucht"
    assert any(part.get_filename() == f"termin-{appointment.code}.ics" for part in message.iter_attachments())
    link = re.search(r"http://127\.0\.0\.1:\d+/termine/\S+", body_of(message)).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", level=1, name="Ihr Termin")).to_be_visible()
    axe(page)
    cancel = page.get_by_role("link", name="Termin absagen")
    tab_to(page, cancel)
    page.keyboard.press("Enter")
    expect(page.get_by_text("wirklich absagen? Er wird dann für andere freigegeben.")).to_be_visible()
    axe(page)
    tab_to(page, page.get_by_role("button", name="Ja, Termin absagen"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Ihr Termin ist storniert")).to_be_visible()
    axe(page)
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert console_errors == []


def test_a_time_taken_meanwhile_is_leider_vergeben(live_url, page, office, axe):
    choose_first_day_and_time(page, live_url, axe, keyboard=False)
    expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
    mine = Appointment.objects.get()

    # A second citizen (another browser context) sees the same time free … until it is gone.
    other = page.context.browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    second = other.new_page()
    second.goto(page.url.split("/termine/")[0] + "/termine/zeit/?service=meldebescheinigung"
                f"&location={office.location.slug}&day={timezone.localtime(mine.start).date().isoformat()}")
    wait_for_proof_of_work(second)
    # The only online counter of the first time is held by the first citizen; take the next free
    # time in the database (a phone-centre booking) after the page has listed it.
    offered = second.locator(".time-choice input").first
    start = offered.get_attribute("value")
    services.confirm_booking(services.hold_slot([office.short], office.location,
                                                datetime.fromisoformat(start)),
                             name="Anrufer", email="anrufer@example.org")
    offered.check()
    second.get_by_role("button", name="Uhrzeit reservieren und weiter").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("Dieser Termin ist leider vergeben. Bitte wählen Sie einen anderen.")
    axe(second)
    other.close()
    assert Appointment.objects.count() == 2


def test_an_expired_hold_says_so_and_offers_to_choose_again(live_url, page, office, axe):
    choose_first_day_and_time(page, live_url, axe, keyboard=False)
    expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika.langsam@example.org")
    # Five minutes pass while the form is open: the hold runs out.
    Appointment.objects.update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    expect(page.get_by_role("alert")).to_contain_text("Die Reservierung ist abgelaufen.")
    axe(page)
    assert Appointment.objects.get().status != Status.CONFIRMED
    page.get_by_role("link", name="Uhrzeit erneut wählen").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Uhrzeit am"))).to_be_visible()


def test_changing_ones_mind_several_times_still_books(live_url, page, office, axe):
    """Issue 20 item 6: the cap on open holds per address (3) must not stop a citizen who goes back
    and picks another time again and again: a browser holds one time at a time. The first hold is
    short; the details form extends it to the group's hold time."""
    choose_first_day_and_time(page, live_url, axe, keyboard=False)
    for nth in range(1, 5):
        expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
        page.go_back()
        expect(page.get_by_role("heading", level=1, name=re.compile("^Uhrzeit am"))).to_be_visible()
        wait_for_proof_of_work(page)
        page.locator(".time-choice input").nth(nth).check()
        page.get_by_role("button", name="Uhrzeit reservieren und weiter").click()
    expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
    now = timezone.now()
    open_holds = list(Appointment.objects.filter(status=Status.HELD, hold_expires_at__gt=now))
    assert len(open_holds) == 1 and Appointment.objects.count() == 5
    held = open_holds[0]
    # extended by the form to the group's five minutes, counted from the hold's beginning
    assert held.hold_expires_at == held.created_at + timedelta(minutes=5)
    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika.wechselhaft@example.org")
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("gebucht")
    axe(page)
    held.refresh_from_db()
    assert held.status == Status.CONFIRMED
