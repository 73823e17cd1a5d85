"""Browser journey: a phone-centre agent books an internal appointment for a caller by keyboard,
finds it in the day calendar and checks the caller in; axe-core on every page."""

from __future__ import annotations

import math
import os
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment, Schedule
from tests.appointments.builders import make_group, make_service
from tests.factories import PASSWORD, build_org

KEY_HEX = "3132333435363738393031323334353637383930"


def sign_in(page, live_url: str, username: str) -> None:
    page.goto(live_url + "/mitarbeiter/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.get_by_label("Sicherheitscode").fill(f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}")
    page.get_by_label("Sicherheitscode").press("Enter")
    expect(page.get_by_role("heading", name="Mitarbeiterbereich")).to_be_visible()


def open_today_schedule(org):
    """A counter group with an extra opening for the rest of today (so check-in is possible)."""
    now = timezone.localtime()
    first = math.ceil((now.hour * 60 + now.minute + 16) / 15) * 15
    if first >= 23 * 60 + 30:
        pytest.skip("too close to midnight for a same-day appointment")
    service = make_service(org.authority, "wohnsitz-anmelden", 15, locations=(org.location,))
    group = make_group(org.authority, "buergerservice", (service,))
    Schedule.objects.create(group=group, location=org.location, date=now.date(),
                            start=time(first // 60, first % 60), end=time(23, 45), counters=2, online_quota=1)
    services.materialize_slots(group, org.location, now.date(), now.date() + timedelta(days=1))
    return service


def test_agent_books_for_a_caller_by_keyboard_and_checks_them_in(live_url, page, axe, console_errors):
    org = build_org()
    open_today_schedule(org)
    TOTPDevice.objects.create(user=org.users["agent"], name="Authenticator-App", key=KEY_HEX, confirmed=True)
    sign_in(page, live_url, "agent")
    axe(page)

    # Staff home → booking for a caller.
    page.get_by_role("link", name="Termin für Anrufende buchen").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Termin für Anrufende buchen")).to_be_visible()
    axe(page)

    # 1. service, 2. location (type-ahead in the focused select), then "Freie Tage anzeigen".
    page.get_by_label("Wohnsitz Anmelden").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Wohnsitz Anmelden")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Standort")).to_be_focused()
    page.keyboard.type("Jobcenter Mitte")
    expect(page.get_by_label("Standort")).to_have_value(str(org.location.pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    # 3. the day: today (internal quota).
    expect(page.get_by_role("heading", name=re.compile("3. Tag wählen"))).to_be_visible()
    axe(page)
    page.locator(".day-choice a").first.focus()
    page.keyboard.press("Enter")

    # 4. the time: the first free one.
    expect(page.get_by_role("heading", name=re.compile("4. Uhrzeit wählen"))).to_be_visible()
    axe(page)
    first_time = page.locator(".time-button").first
    chosen = first_time.inner_text().strip()
    first_time.focus()
    page.keyboard.press("Enter")

    # The caller's details: name, interpreter; no e-mail.
    expect(page.get_by_role("heading", name="Angaben zur anrufenden Person")).to_be_visible()
    axe(page)
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Karl Anrufer")
    page.get_by_label("Dolmetscher für Sprache (optional)").focus()
    page.keyboard.type("Türkisch")
    page.get_by_role("button", name="Termin verbindlich buchen").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Der Termin ist gebucht.")).to_be_visible()
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.CONFIRMED and appointment.quota == "internal"
    expect(page.locator(".booking-code-value")).to_have_text(f"{appointment.code[:4]} {appointment.code[4:]}")
    axe(page)

    # The day calendar shows the caller at the chosen time.
    page.get_by_role("link", name="Tageskalender").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Termine am"))).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    entry = table.get_by_role("link", name=re.compile("Karl Anrufer"))
    expect(entry).to_contain_text(chosen.replace(" Uhr", ""))
    expect(entry).to_contain_text("Dolmetscher: Türkisch")
    expect(entry).to_contain_text("intern")
    axe(page)

    # Open it and check the caller in.
    entry.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Einchecken").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Die Person ist eingecheckt.")).to_be_visible()
    expect(page.locator(".appt-facts .badge")).to_have_text("eingecheckt")
    axe(page)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert not console_errors, console_errors


def test_team_lead_reads_day_and_week_calendars(live_url, page, axe, console_errors):
    """A filled week: the calendars stay readable and accessible (screenshots with BK_SCREENSHOTS)."""
    org = build_org()
    short = make_service(org.authority, "meldebescheinigung", 15, locations=(org.location,))
    long = make_service(org.authority, "personalausweis", 30, locations=(org.location,))
    short.teams.add(org.team)
    long.teams.add(org.team)
    group = make_group(org.authority, "pass-und-ausweis", (short, long))
    for weekday in range(5):
        for start, end in ((time(8), time(12)), (time(13), time(15))):
            Schedule.objects.create(group=group, location=org.location, weekday=weekday, start=start, end=end,
                                    counters=3, online_quota=2)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    services.materialize_slots(group, org.location, monday, monday + timedelta(days=6))
    early = timezone.make_aware(datetime.combine(monday - timedelta(days=1), time.min))
    people = [("Erika Mustermann", {"interpreter_language": "Arabisch"}),
              ("Jonas Becker", {"wheelchair": True}), ("Aylin Yılmaz", {}),
              ("Piotr Nowak", {"sign_language": True}), ("Maria Rossi", {})]
    caseworker = org.users["caseworker"]
    for offset in range(5):
        day = monday + timedelta(days=offset)
        for i, (name, needs) in enumerate(people[: 2 + offset % 3]):
            start = timezone.make_aware(datetime.combine(day, time.min)) + timedelta(
                hours=8 + i, minutes=15 * (i % 2))
            quota = "internal" if i % 2 else "online"
            held = services.hold_slot([long if i == 1 else short], org.location, start, quota=quota,
                                      booked_by=org.users["agent"], now=early)
            booked = services.confirm_booking(held, name=name, email=f"p{offset}{i}@example.org", now=early,
                                              **needs)
            if i == 0:
                Appointment.objects.filter(pk=booked.pk).update(staff=caseworker)
    TOTPDevice.objects.create(user=org.users["teamlead"], name="Authenticator-App", key=KEY_HEX,
                              confirmed=True)
    sign_in(page, live_url, "teamlead")
    page.get_by_role("link", name="Terminkalender").click()
    expect(page.get_by_role("heading", name=re.compile("Termine am"))).to_be_visible()
    # Team leads start with their team; pick the location to see free capacity too.
    page.get_by_label("Standort").select_option(str(org.location.pk))
    page.get_by_label("Datum").fill((monday + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("columnheader", name=re.compile("Frei: Pass Und Ausweis"))).to_be_visible()
    axe(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    if shots := os.environ.get("BK_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/staff-day.png", full_page=True)
    page.get_by_role("link", name="Zur Wochenansicht").click()
    expect(page.get_by_role("heading", name=re.compile("Termine vom"))).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=re.compile("Erika Mustermann"))).to_have_count(5)
    axe(page)
    if shots:
        page.screenshot(path=f"{shots}/staff-week.png", full_page=True)
    # The htmx refresh swaps in the same table without errors.
    with page.expect_response(lambda r: "/mitarbeiter/termine/woche/" in r.url
                              and r.request.headers.get("hx-request") == "true", timeout=40_000):
        pass
    expect(page.get_by_role("table")).to_be_visible()
    assert not console_errors, console_errors
