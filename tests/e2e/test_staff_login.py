"""Browser journey: a staff member signs in with password and authenticator code, keyboard only."""

from __future__ import annotations

import re

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD, build_org

# A fixed secret, as if the app on the phone had scanned it at enrolment.
KEY_HEX = "3132333435363738393031323334353637383930"


def current_code() -> str:
    return f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}"


def test_staff_signs_in_with_password_and_totp_using_the_keyboard(live_url, page, axe):
    org = build_org()
    user = org.users["teamlead"]
    TOTPDevice.objects.create(user=user, name="Authenticator-App", key=KEY_HEX, confirmed=True)

    page.goto(live_url + "/mitarbeiter/")
    expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()
    assert "/anmelden/" in page.url
    axe(page)

    page.get_by_label("Benutzername").focus()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passwort")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Sicherheitscode eingeben")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/anmelden/code/$"))
    axe(page)

    code_field = page.get_by_label("Sicherheitscode")
    expect(code_field).to_be_focused()  # autofocus: the next thing to type is the code
    page.keyboard.type(current_code())
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Mitarbeiterbereich")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/mitarbeiter/$"))
    expect(page.get_by_text("Teamleitung – Team Leistung 1")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def test_wrong_code_is_announced_and_first_sign_in_offers_enrolment(live_url, page, axe):
    org = build_org()
    TOTPDevice.objects.create(user=org.users["caseworker"], name="Authenticator-App", key=KEY_HEX,
                              confirmed=True)

    page.goto(live_url + "/anmelden/")
    page.get_by_label("Benutzername").fill("caseworker")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    expect(page.get_by_role("heading", name="Sicherheitscode eingeben")).to_be_visible()
    near = {f"{TOTP(bytes.fromhex(KEY_HEX), drift=d).token():06d}" for d in range(-2, 3)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in near)
    page.get_by_label("Sicherheitscode").fill(wrong)
    page.get_by_label("Sicherheitscode").press("Enter")
    expect(page.get_by_text("Der Sicherheitscode ist falsch oder abgelaufen")).to_be_visible()
    expect(page.get_by_label("Sicherheitscode")).to_have_attribute("aria-invalid", "true")
    axe(page)

    # A colleague without a device is led to the enrolment page with a QR code.
    page.goto(live_url + "/anmelden/")
    page.get_by_label("Benutzername").fill("agent")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()
    expect(page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App")).to_be_visible()
    axe(page)
