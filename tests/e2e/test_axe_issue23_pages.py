"""Issue 23 acceptance (2026-12-04): axe-core has no findings of ANY impact (minor and moderate
included, e.g. "region") on the pages the issue touched – kiosk, TV display, the phone's ticket page,
the booking flow with an expired hold and a reschedule, the cancel page, the office page, the walk-in
reception, the staff call page and the reports' charts. One case per journey; each case names the
page it was on when axe found something."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from buergerkontakt.appointments import links
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.directory.models import HoursKind
from buergerkontakt.walkin import services as queue_services
from buergerkontakt.walkin.links import ticket_path
from buergerkontakt.walkin.models import Screen
from tests.appointments.builders import build_office
from tests.e2e.conftest import check_accessibility
from tests.e2e.queue_helpers import enable_totp, set_up_desk, sign_in
from tests.e2e.test_booking_journey import choose_first_day_and_time
from tests.e2e.test_reports_journey import _history
from tests.factories import build_org, weekly
from tests.walkin.builders import make_counter, make_queue, make_screen

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
PHONE = {"width": 390, "height": 844}


class Checker:
    """Runs axe with every impact on the current page and remembers where it was."""

    def __init__(self, page):
        self.page = page
        self.checked: list[str] = []

    def __call__(self, page=None, name: str = "") -> None:
        page = page or self.page
        self.checked.append(name or page.url)
        try:
            check_accessibility(page, impacts=ALL_IMPACTS)
        except AssertionError as exc:
            raise AssertionError(f"{name or page.url}:\n{exc}") from None


def staff(page, live_url, user) -> None:
    enable_totp(user)
    sign_in(page, live_url, user.username)


def reveal_hidden_staff_links(page) -> None:
    """The "Arbeitsplatz registrieren" link is hidden until the page knows the PC is unregistered;
    shown, it must sit inside a landmark too."""
    page.evaluate("() => document.querySelectorAll('[data-register]').forEach(el => el.hidden = false)")


def case_kiosk(live_url, page, axe):
    org = build_org()
    make_queue(org.location, "E", "Erstantrag")
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    page.set_viewport_size({"width": 1280, "height": 1024})
    page.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
    axe(name="kiosk start")
    page.get_by_role("button", name="Erstantrag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-001")
    axe(name="kiosk ticket")
    # Walk-in hours only on another weekday (a Berlin day): the kiosk shows the next walk-in time.
    tomorrow = (timezone.localdate().weekday() + 1) % 7
    weekly(org.location, HoursKind.WALK_IN, [tomorrow], time(8), time(10))
    page.goto(live_url + f"/wartenummer/kiosk/{kiosk.key}/")
    expect(page.get_by_role("button", name="Erstantrag")).to_have_count(0)
    axe(name="kiosk outside walk-in hours")


def case_display_and_phone(live_url, page, axe):
    org = build_org()
    queue = make_queue(org.location, "E", "Erstantrag")
    clerk = org.users["agent"]
    queue_services.set_desk(clerk, org.location, make_counter(org.location, "1", "Servicetheke 1"), [queue])
    queue_services.issue_ticket(queue)
    mine = queue_services.issue_ticket(queue)
    queue_services.call_next(clerk, org.location)
    display = make_screen(org.location, Screen.Kind.DISPLAY)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_url + f"/wartenummer/anzeige/{display.key}/")
    expect(page.locator("[data-current] [data-ticket]")).to_have_text("E-001")
    axe(name="TV display")
    page.set_viewport_size(PHONE)
    page.goto(live_url + ticket_path(mine))
    expect(page.get_by_role("heading", level=1)).to_contain_text("E-002")
    axe(name="phone ticket page")


def case_booking_and_reschedule(live_url, page, axe):
    today = timezone.localdate()
    build_office(materialize=(today, today + timedelta(days=21)), hold_minutes=5)
    choose_first_day_and_time(page, live_url, lambda p: axe(p, "booking: " + p.url), keyboard=False)
    expect(page.get_by_role("heading", level=1, name="Ihre Angaben")).to_be_visible()
    axe(name="booking: details")
    page.get_by_role("button", name="Termin verbindlich buchen").click()  # empty: the error summary
    expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Angaben")
    axe(name="booking: details with errors")
    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika.axe@example.org")
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    expect(page.get_by_role("heading", level=1, name="Ihr Termin ist gebucht")).to_be_visible()
    axe(name="booking: booked")
    appointment = Appointment.objects.get(email="erika.axe@example.org")
    page.goto(live_url + links.url(appointment, absolute=False))
    axe(name="appointment page")
    page.get_by_role("link", name="Termin absagen").click()
    expect(page.get_by_role("button", name="Ja, Termin absagen")).to_be_visible()
    axe(name="cancel question")
    page.goto(live_url + links.url(appointment, absolute=False))
    page.get_by_role("link", name="Termin verschieben").click()
    axe(name="reschedule: day")
    page.locator(".free-days a").first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Uhrzeit am"))).to_be_visible()
    expect(page.locator("altcha-widget input[name=altcha]")).not_to_have_value("", timeout=20_000)
    axe(name="reschedule: time")
    page.locator(".time-choice input").last.check()
    page.get_by_role("button", name=re.compile("reservieren")).click()
    axe(name="reschedule: after choosing the new time")
    page.goto(live_url + links.url(Appointment.objects.get(pk=appointment.pk), absolute=False))
    page.get_by_role("link", name="Termin absagen").click()
    page.get_by_role("button", name="Ja, Termin absagen").click()
    expect(page.get_by_text(re.compile("abgesagt|storniert"))).not_to_have_count(0)
    axe(name="cancelled")


def case_expired_hold(live_url, page, axe):
    today = timezone.localdate()
    build_office(materialize=(today, today + timedelta(days=21)), hold_minutes=5)
    choose_first_day_and_time(page, live_url, lambda p: None, keyboard=False)
    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika.langsam@example.org")
    Appointment.objects.update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    expect(page.get_by_role("alert")).to_contain_text("Die Reservierung ist abgelaufen.")
    axe(name="expired hold")


def case_office_pages(live_url, page, axe):
    office = build_office(materialize=None)
    location = office.org.location
    page.goto(live_url + location.get_absolute_url())
    axe(name="office page")
    page.goto(live_url + f"/standorte/{location.slug}/erreichbarkeit/")
    axe(name="office reachability (charts)")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_url + location.get_absolute_url())
    axe(name="office page at 320 px")


def case_reception_and_call(live_url, page, axe):
    org = build_org()
    make_queue(org.location)
    staff(page, live_url, org.users["agent"])
    reveal_hidden_staff_links(page)
    axe(name="staff home")
    page.get_by_role("link", name="Empfang", exact=True).click()
    expect(page.get_by_role("heading", name="Empfang – Jobcenter Mitte")).to_be_visible()
    reveal_hidden_staff_links(page)
    axe(name="walk-in reception")
    page.context.clear_cookies()
    staff(page, live_url, org.users["caseworker"])
    set_up_desk(page, live_url, "A – Ausweise")
    reveal_hidden_staff_links(page)
    axe(name="staff call page")


def case_reports(live_url, page, axe):
    org = build_org()
    _history(org)
    staff(page, live_url, org.users["teamlead"])
    page.goto(live_url + "/mitarbeiter/berichte/")
    expect(page.locator("svg.chart").first).to_be_visible()
    reveal_hidden_staff_links(page)
    axe(name="reports dashboard (charts), team lead")
    page.context.clear_cookies()
    staff(page, live_url, org.users["admin"])  # every section, incl. alarms and incidents
    page.goto(live_url + "/mitarbeiter/berichte/")
    expect(page.locator("svg.chart").first).to_be_visible()
    reveal_hidden_staff_links(page)
    axe(name="reports dashboard (charts), administrator")


CASES = {
    "kiosk": case_kiosk,
    "display-and-phone": case_display_and_phone,
    "booking-cancel-reschedule": case_booking_and_reschedule,
    "expired-hold": case_expired_hold,
    "office": case_office_pages,
    "reception-and-call": case_reception_and_call,
    "reports": case_reports,
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_axe_findings_of_any_impact(case, live_url, page):
    checker = Checker(page)
    CASES[case](live_url, page, checker)
    assert checker.checked
