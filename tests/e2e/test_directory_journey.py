"""A citizen finds a service by keyboard and sees how to reach the office; axe on every public page."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from buergerkontakt.directory.models import HoursKind
from tests.directory.builders import build_directory, rule
from tests.factories import weekly


@pytest.fixture
def data(live_url):
    directory = build_directory()
    org = directory.org
    org.other_location.phone = "089 555-0"
    org.other_location.how_to_book = "Termine buchen Sie online."
    org.other_location.emergency_rule = "Bei Verlust des Ausweises kommen Sie ohne Termin."
    org.other_location.save()
    weekly(org.other_location, HoursKind.PHONE, range(0, 7), time(0, 0), time(23, 59))
    rule(org, org.team, surname_from="A", surname_to="K")
    return directory


def test_citizen_finds_personalausweis_by_keyboard(live_url, page, data, axe):
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("So erreichen Sie Ihre Behörde")
    axe(page)

    # Keyboard only: tab from the skip link to the search field, type, submit with Enter.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    search = page.get_by_label("Welche Leistung suchen Sie?")
    for _ in range(20):
        if search.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(search).to_be_focused()
    page.keyboard.type("Personalausweis")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/leistungen/\?q=Personalausweis"))
    result = page.get_by_role("link", name="Personalausweis beantragen")
    expect(result).to_be_visible()
    axe(page)

    result.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/leistungen/personalausweis/$"))
    expect(page.get_by_role("heading", name="So erreichen Sie uns")).to_be_visible()
    place = page.locator(".place").first
    expect(place).to_contain_text("Bürgerbüro Anderswo")
    expect(place).to_contain_text("Markt 1, 80331 Anderswo")
    expect(place.locator(".status").first).to_have_text(
        re.compile(r"jetzt geöffnet|geschlossen|Keine festen Zeiten"))
    expect(place).to_contain_text("089 555-0")
    expect(place).to_contain_text("jetzt erreichbar")
    expect(page.locator(".checklist")).to_contain_text("Biometrisches Passfoto")
    expect(place).to_contain_text("Bei Verlust des Ausweises")
    axe(page)


def test_every_public_directory_page_is_accessible(live_url, page, data, axe, console_errors):
    pages = [
        ("/leistungen/", "Leistungen von A bis Z"),
        ("/leistungen/?q=gibtsnicht", "Suchergebnisse"),
        ("/leistungen/buergergeld/", "Bürgergeld beantragen"),
        ("/standorte/", "Standorte"),
        ("/standorte/jc-mitte/", "Jobcenter Mitte"),
        ("/ansprechpersonen/", "Ansprechpersonen"),
        ("/ansprechpersonen/?team=abc", "Ansprechpersonen"),
        ("/zustaendigkeit/", "Wer ist für mich zuständig?"),
    ]
    for path, heading in pages:
        page.goto(live_url + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        axe(page)
    # The office page carries schema.org data.
    page.goto(live_url + "/standorte/jc-mitte/")
    ld = page.locator('script[type="application/ld+json"]').text_content()
    assert '"GovernmentOffice"' in ld
    # No CSP violations or script errors anywhere (the JSON-LD block is data, not script).
    assert [e for e in console_errors if "400" not in e] == []


def test_responsibility_lookup_with_result_and_without(live_url, page, data, axe):
    page.goto(live_url + "/zustaendigkeit/")
    page.get_by_label("Behörde").select_option(label="Jobcenter Teststadt")
    page.get_by_label("Nachname").fill("von Braun")
    page.get_by_role("button", name="Zuständiges Team finden").press("Enter")
    result = page.locator(".result")
    expect(result).to_contain_text("Für Sie ist zuständig:")
    expect(result).to_contain_text("Leistung 1")
    expect(result).to_contain_text("069 1234-100")
    axe(page)

    page.get_by_label("Nachname").fill("Zander")
    page.get_by_role("button", name="Zuständiges Team finden").click()
    expect(page.locator(".result")).to_contain_text("Wir konnten kein zuständiges Team finden.")
    expect(page.locator(".result")).to_contain_text("069 1234-5")
    axe(page)

    # Errors are announced and linked to their fields.
    page.get_by_label("Nachname").fill("")
    page.get_by_role("button", name="Zuständiges Team finden").click()
    expect(page.locator(".form-errors")).to_contain_text(
        "Bitte geben Sie Ihren Nachnamen oder Ihr Aktenzeichen an.")
    axe(page)
