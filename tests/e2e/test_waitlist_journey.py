"""A citizen registers a need by keyboard; a cancellation frees the time; the offer mail arrives;
the citizen opens the link and accepts – booked. axe on every page."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.waitlist import services
from buergerkontakt.waitlist.models import Entry, Offer
from tests.appointments.builders import add_schedule, build_office


def shot(page, name: str) -> None:
    """Screenshots for a human look when BK_SCREENSHOTS names a folder."""
    folder = os.environ.get("BK_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/waitlist-{name}.png", full_page=True)


def mails(mail_dir) -> list[str]:
    texts = []
    for path in sorted(mail_dir.glob("*")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk.strip())
                part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
                texts.append(part.get_payload(decode=True).decode())
    return texts


@pytest.fixture
def office(live_url, live_server_proc, settings):
    settings.SITE_URL = live_url
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                    "OPTIONS": {"file_path": str(live_server_proc.mail_dir)}}}
    for path in live_server_proc.mail_dir.glob("*"):
        path.unlink()
    office = build_office(materialize=None)
    # Only the one dated window below exists: the weekly schedules would be materialised on commit
    # (issue 26) and give the waitlist other free times.
    office.group.schedules.filter(date__isnull=True).delete()
    day = timezone.localdate() + timedelta(days=3)
    add_schedule(office.group, office.location, "09:00", "09:15", day=day, counters=1)
    booking.materialize_slots(office.group, office.location, day, day)
    start = booking.free_starts([office.short], office.location, day)[0]
    taken = office.book(start, now=timezone.now(), email="vorher@example.org")
    return office, taken


def test_register_need_get_offer_and_accept(live_url, page, office, axe, console_errors, live_server_proc):
    office, taken = office
    page.goto(live_url + f"/termine/warteliste/?service={office.short.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kein passender Termin? Bedarf melden")
    expect(page.get_by_label(office.short.name)).to_be_checked()
    axe(page)
    shot(page, "register")

    # Keyboard only: the prefilled service and dates stay; name, e-mail, then Enter.
    page.keyboard.press("Tab")
    for _ in range(60):
        if page.evaluate("document.activeElement && document.activeElement.name") == "name":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("Vor- und Nachname")).to_be_focused()
    page.keyboard.type("Rosa Warte")
    page.keyboard.press("Tab")
    page.keyboard.type("rosa@example.org")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/termine/warteliste/eingetragen/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Bedarfsmeldung ist eingegangen")
    axe(page)
    entry = Entry.objects.get(email="rosa@example.org")
    assert not entry.offers.exists()  # nothing free yet
    assert any("wir haben Ihre Bedarfsmeldung erhalten" in text for text in mails(live_server_proc.mail_dir))

    # Somebody cancels; the waitlist gets the time at once and the matcher finds nothing more.
    booking.cancel_appointment(taken)
    services.match()
    offer = entry.offers.get(status=Offer.Status.OPEN)
    offer_mail = next(text for text in mails(live_server_proc.mail_dir) if "Terminangebot" in text
                      or "Annehmen oder ablehnen" in text)
    link = re.search(r"(http://127\.0\.0\.1:\d+/termine/warteliste/angebot/\S+)", offer_mail).group(1)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Terminangebot")
    axe(page)
    shot(page, "offer")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN  # opening the link changes nothing
    accept = page.get_by_role("button", name="Termin annehmen")
    accept.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Termin ist gebucht")
    axe(page)
    booked = Appointment.objects.get(pk=offer.appointment_id)
    assert booked.status == Appointment.Status.CONFIRMED and booked.email == "rosa@example.org"
    expect(page.locator(".booking-code")).to_have_text(booked.code)
    shot(page, "accepted")
    assert not console_errors
