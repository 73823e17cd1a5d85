"""A citizen without an account asks what is stored about them: the privacy notice linked from the
waitlist form, the request form, the link in the mail, the confirmation and the data page with its
downloads. axe on every page."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.core.models import Authority, Location
from tests.reports import builders as b

from .test_waitlist_journey import mails


def shot(page, name: str) -> None:
    folder = os.environ.get("BK_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/privacy-{name}.png", full_page=True)


def test_access_request_by_mail_link(live_url, page, axe, console_errors, live_server_proc):
    for path in live_server_proc.mail_dir.glob("*"):
        path.unlink()
    authority = Authority.objects.create(name="Bürgerbüro Musterstadt", slug="bb-muster", bundesland="HE")
    location = Location.objects.create(authority=authority, name="Bürgerbüro Mitte", slug="bb-mitte",
                                       street="Markt 1", postcode="60311", city="Musterstadt")
    mine = b.appointment(location, timezone.now() - timedelta(days=2), Appointment.Status.COMPLETED,
                         name="Erika Muster")
    Appointment.objects.filter(pk=mine.pk).update(email="erika@example.org", case_number="AZ-77")
    b.appointment(location, timezone.now() - timedelta(days=1), Appointment.Status.COMPLETED,
                  name="Erika Muster")  # a namesake with another address

    page.goto(live_url + "/datenschutz/hinweise/warteliste/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Datenschutzhinweise: Warteliste (Bedarfsmeldung)")
    axe(page)
    page.get_by_role("link", name="Auskunft oder Löschung beantragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auskunft oder Löschung Ihrer Daten beantragen")
    axe(page)
    page.get_by_label("An welche Behörde richtet sich Ihre Anfrage?").select_option(
        label="Bürgerbüro Musterstadt")
    page.get_by_label("Auskunft (Art. 15 DSGVO)").check()
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    shot(page, "form")
    page.get_by_role("button", name="Link zur Bestätigung anfordern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihre Anfrage")
    axe(page)

    text = next(t for t in mails(live_server_proc.mail_dir) if "Datenschutz-Anfrage" in t)
    link = re.search(r"(http://\S+/datenschutz/anfrage/\S+)", text).group(1)
    page.goto(link)
    page.get_by_role("button", name="Anfrage bestätigen").click()
    expect(page.get_by_text("AZ-77")).to_be_visible()
    expect(page.get_by_role("link", name="Als PDF herunterladen")).to_be_visible()
    assert page.content().count("Erika Muster") == 1  # the namesake's booking is not shown
    axe(page)
    shot(page, "data")
    assert not console_errors
