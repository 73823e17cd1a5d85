"""After a submit with errors the focus lands where the errors are: the error summary on citizen
forms, the first invalid field on the agent screen (not "Name"); the title starts with "Fehler:"."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.appointments.builders import build_office
from tests.callbacks.builders import build_office as build_callback_office
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in


def test_waitlist_errors_focus_the_summary_in_one_round(live_url, page, axe):
    office = build_office()
    page.goto(live_url + f"/termine/warteliste/?service={office.short.slug}")
    page.get_by_label("Mobilnummer (optional)").fill("123")
    page.get_by_role("button", name="Bedarf melden").click()
    summary = page.locator("#fehler")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Vor- und Nachname")
    expect(summary).to_contain_text("Mobilnummer")
    assert page.title().startswith("Fehler:")
    axe(page)


def test_booking_without_a_service_focuses_the_summary(live_url, page, axe):
    build_office()
    page.goto(live_url + "/termine/")
    page.get_by_role("button", name="Weiter: Ort und Tag wählen").click()
    expect(page.locator("#fehler")).to_be_focused()
    assert page.title().startswith("Fehler:")
    page.keyboard.press("Tab")  # the summary's link leads to the first checkbox
    page.keyboard.press("Enter")
    axe(page)


def test_agent_screen_focuses_the_first_invalid_field(live_url, page, axe):
    office = build_callback_office()
    TOTPDevice.objects.create(user=office.org.users["agent"], name="App", key=KEY_HEX, confirmed=True)
    sign_in(page, live_url, "agent")
    page.get_by_role("link", name="Neuer Anruf (Rückrufticket)").click()
    page.get_by_label("Name", exact=True).fill("Karl von Braun")
    page.get_by_label("Rückrufnummer").fill("12")
    page.get_by_label("Anliegen").fill("Frage zum Bescheid")
    page.get_by_role("button", name="Rückrufticket anlegen").click()
    expect(page.get_by_label("Rückrufnummer")).to_be_focused()
    assert page.title().startswith("Fehler:")
    axe(page)
