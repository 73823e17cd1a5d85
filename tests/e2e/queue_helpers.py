"""Helpers of the walk-in queue browser journeys (tests/e2e/test_queue_journey.py).

Everything that should reach a display or a ticket page goes through the browser (HTTP to the
server process); the test process only prepares rows (organisation, queues, screens, appointments).
"""

from __future__ import annotations

import math
import re
from datetime import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.models import Appointment, Schedule
from buergerkontakt.core.models import User
from tests.appointments.builders import make_group, make_service
from tests.factories import PASSWORD

KEY_HEX = "3132333435363738393031323334353637383930"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# While the server is down, Chromium reports the refused reconnects as console errors, and htmx
# logs the failed refresh of the staff pages' waiting list.
OUTAGE = re.compile(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED"
                    r"|htmx:sendError|htmx:afterRequest")


def enable_totp(user: User) -> None:
    TOTPDevice.objects.create(user=user, name="Authenticator-App", key=KEY_HEX, confirmed=True)


def sign_in(page: Page, live_url: str, username: str) -> None:
    """Password and TOTP code (two different users may use the same code in one 30 s window)."""
    page.goto(live_url + "/mitarbeiter/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.get_by_label("Sicherheitscode").fill(f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}")
    page.get_by_label("Sicherheitscode").press("Enter")
    expect(page.get_by_role("heading", name="Mitarbeiterbereich")).to_be_visible()


def watch(page: Page, errors: list[str]) -> Page:
    """Collect console errors (CSP violations land here) and uncaught exceptions of a page."""
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return page


def open_page(context: BrowserContext, errors: list[str]) -> Page:
    return watch(context.new_page(), errors)


def set_up_desk(page: Page, live_url: str, queue_label: str) -> None:
    """The case worker's first visit to the desk page: keep the workstation room, pick the queue."""
    page.goto(live_url + "/mitarbeiter/aufruf/")
    expect(page.get_by_role("heading", name="Arbeitsplatz einrichten")).to_be_visible()
    page.get_by_label(queue_label).check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihr Arbeitsplatz ist eingerichtet.")).to_be_visible()
    expect(page.get_by_role("button", name="Nächste Nummer aufrufen")).to_be_visible()


def expect_connected(locator, value: bool = True, timeout: float = 20_000) -> None:
    expect(locator).to_have_attribute("data-connected", "true" if value else "false", timeout=timeout)


def book_today(org, slug: str = "wohnsitz-anmelden"):
    """A confirmed internal appointment at org.location that starts within the next 30 minutes
    (check-in opens 60 minutes before). Returns (service, appointment)."""
    now = timezone.localtime()
    first = math.ceil((now.hour * 60 + now.minute + 2) / 15) * 15
    if first >= 23 * 60 + 30:
        pytest.skip("too close to midnight for a same-day appointment")
    service = make_service(org.authority, slug, 15, locations=(org.location,))
    group = make_group(org.authority, "buergerservice", (service,))
    Schedule.objects.create(group=group, location=org.location, date=now.date(),
                            start=time(first // 60, first % 60), end=time(23, 45), counters=2, online_quota=1)
    booking.materialize_slots(group, org.location, now.date(), now.date())
    start = booking.free_starts([service], org.location, now.date(), quota="internal")[0]
    held = booking.hold_slot([service], org.location, start, quota="internal", booked_by=org.users["agent"])
    appointment = booking.confirm_booking(held, name="Erika Mustermann")
    assert appointment.status == Appointment.Status.CONFIRMED
    return service, appointment
