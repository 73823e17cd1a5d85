"""Browser journey of the incident register: a case worker reports an incident (axe-core on the
form, a German error that keeps what was typed); register keeper 1 creates a safety hint about the
person, keeper 2 approves it (four eyes); an appointment is booked for that person; the case
worker sees the minimal hint on the appointment – level and measures, no incident details."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.models import Quota
from buergerkontakt.incidents.models import Entry, LogEntry, Report
from tests.appointments.builders import build_office
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in
from tests.incidents.builders import build_register, grant

SCREENSHOTS = "/tmp/bk_wt7_screens"  # noqa: S108 (for looking at the pages, not part of the assertions)


def _watch(page, errors: list[str]) -> None:
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "net::ERR_" not in msg.text else None,
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def _next_monday_9() -> datetime:
    today = timezone.localdate()
    monday = today + timedelta(days=(7 - today.weekday()) or 7)
    return timezone.make_aware(datetime.combine(monday, time(9)))


def test_keepers_create_and_approve_a_hint_and_the_case_worker_sees_it(live_url, browser, axe):
    reg = build_register()
    users = reg.users()
    for key in ("caseworker", "register_keeper", "register_keeper2"):
        TOTPDevice.objects.create(user=users[key], name="App", key=KEY_HEX, confirmed=True)
    errors: list[str] = []

    # --- a case worker reports an incident ----------------------------------------------------------
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    _watch(page, errors)
    sign_in(page, live_url, "caseworker")
    page.get_by_role("link", name="Vorfall melden").first.click()
    expect(page.get_by_role("heading", name="Vorfall melden", level=1)).to_be_visible()
    expect(page.get_by_text("Bewaffneter Angriff oder Extremlage")).to_be_visible()  # level descriptions
    axe(page)
    page.screenshot(path=f"{SCREENSHOTS}/report-form.png", full_page=True)
    page.get_by_label("Standort").select_option(label=reg.org.location.name)
    page.get_by_label(re.compile(r"Stufe 2 – Bedrohung")).check()
    page.get_by_label("Bedrohung", exact=True).check()
    page.get_by_label("Name der Person").fill("Kurt Krawall")
    page.get_by_label("Strafanzeige erstattet").check()
    page.get_by_role("button", name="Meldung absenden").click()  # no narrative, no file number
    expect(page.get_by_role("alert")).to_contain_text("Bitte beschreiben Sie, was passiert ist.")
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie das Aktenzeichen der Strafanzeige an.")
    expect(page.get_by_label("Name der Person")).to_have_value("Kurt Krawall")  # kept
    errors[:] = [e for e in errors if "status of 400" not in e]  # the form answered 400 on purpose
    axe(page)
    page.get_by_label("Was ist passiert?").fill("Herr Krawall drohte, mich nach Dienstschluss abzupassen.")
    page.get_by_label("Aktenzeichen der Strafanzeige").fill("StA 7 Js 99/26")
    page.get_by_role("button", name="Meldung absenden").click()
    expect(
        page.get_by_text(re.compile(r"Ihre Meldung V-\d+ ist bei der Zentralen Stelle eingegangen"))
    ).to_be_visible()
    report = Report.objects.get()
    assert report.person_name == "Kurt Krawall" and report.level == 2
    context.close()

    # --- register keeper 1 creates the hint from the report ---------------------------------------------
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    _watch(page, errors)
    sign_in(page, live_url, "register_keeper")
    page.goto(live_url + reverse("incidents:reports"))
    page.get_by_role("link", name=report.reference).click()
    expect(page.get_by_text("drohte, mich nach Dienstschluss")).to_be_visible()
    page.get_by_role("link", name="Gefährdungshinweis anlegen").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Kurt Krawall")  # from the report
    page.get_by_label("Geburtsdatum").fill("1985-07-14")
    page.get_by_label("Aktenzeichen / Kundennummer").fill("JC-4711")
    page.get_by_label("Gespräch nur zu zweit").check()
    page.get_by_label("Raum mit zweitem Ausgang").check()
    page.get_by_label("Begründung").fill("Ernsthafte Bedrohung einer Sachbearbeiterin, Anzeige erstattet.")
    axe(page)
    page.get_by_role("button", name="Hinweis anlegen").click()
    expect(page.get_by_text("Er wird aktiv, sobald eine zweite Person")).to_be_visible()
    expect(page.get_by_text("Freigeben kann ihn nur eine zweite Person")).to_be_visible()
    expect(page.get_by_role("button", name="Freigeben")).to_have_count(0)  # never the creator
    entry = Entry.objects.get()
    assert entry.status == "pending"
    context.close()

    # --- register keeper 2 approves ---------------------------------------------------------------------
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    _watch(page, errors)
    sign_in(page, live_url, "register_keeper2")
    page.goto(live_url + reverse("incidents:entries"))
    page.get_by_role("link", name=entry.reference).click()
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_text(f"Gefährdungshinweis {entry.reference} freigegeben und aktiv.")).to_be_visible()
    entry.refresh_from_db()
    assert entry.status == "active" and entry.approved_by == users["register_keeper2"]
    context.close()

    # --- an appointment is booked for the person (service call) --------------------------------------------
    start = _next_monday_9()
    office = build_office(org=reg.org, materialize=(start.date(), start.date() + timedelta(days=1)))
    office.short.teams.add(reg.org.team)
    held = booking.hold_slot(
        [office.short], office.location, start, quota=Quota.INTERNAL, booked_by=users["agent"]
    )
    appointment = booking.confirm_booking(held, name="KURT  KRAWALL", case_number="jc 4711")

    # --- the case worker, with an approved register access, sees the minimal hint on the appointment -----
    grant(reg, users["caseworker"], until=timezone.localdate() + timedelta(days=30), now=timezone.now())
    # (a second sign-in within the same 30-second TOTP step would reuse the code, which is refused)
    TOTPDevice.objects.filter(user=users["caseworker"]).update(last_t=-1)
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    _watch(page, errors)
    sign_in(page, live_url, "caseworker")
    page.goto(live_url + reverse("appointments_staff:detail", args=[appointment.pk]))
    hint = page.get_by_role("note")
    expect(hint).to_contain_text("Sicherheitshinweis")
    expect(hint).to_contain_text(
        "Hinweis vorhanden – Stufe 2 – empfohlene Maßnahmen: Gespräch nur zu zweit, Raum mit zweitem Ausgang"
    )
    body = page.content()
    for detail in ("Dienstschluss", "StA 7 Js 99/26", "Ernsthafte Bedrohung", "1985", "14.07."):
        assert detail not in body, detail
    axe(page)
    page.screenshot(path=f"{SCREENSHOTS}/appointment-hint.png", full_page=True)
    rows = LogEntry.objects.filter(action="hint_appointment", user=users["caseworker"])
    assert [row.shown_reference for row in rows] == [f"appointment:{appointment.pk}"]
    assert not errors, errors
    # without a register grant the case worker sees no hint and cannot look anybody up
    users["caseworker"].incident_grants.update(status="revoked")
    page.goto(live_url + reverse("appointments_staff:detail", args=[appointment.pk]))
    expect(page.get_by_text("Sicherheitshinweis")).to_have_count(0)
    response = page.goto(live_url + reverse("incidents:lookup"))
    assert response.status == 403
    context.close()
