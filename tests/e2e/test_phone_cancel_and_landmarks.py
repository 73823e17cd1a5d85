"""On a phone the cancel confirmation is above the fold with buttons apart; on staff pages every
element sits in a landmark (axe "region", moderate, included)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.appointments import links
from buergerkontakt.appointments import services as booking
from tests.appointments.builders import add_schedule, build_office
from tests.e2e.conftest import check_accessibility
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in

PHONE = {"width": 320, "height": 568}


def test_cancel_confirmation_is_above_the_fold_on_a_phone(live_url, browser, axe):
    office = build_office(materialize=None)
    day = timezone.localdate() + timedelta(days=3)
    add_schedule(office.group, office.location, "09:00", "09:15", day=day, counters=1)
    booking.materialize_slots(office.group, office.location, day, day)
    start = booking.free_starts([office.short], office.location, day)[0]
    appointment = office.book(start, now=timezone.now())
    context = browser.new_context(viewport=PHONE, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(live_url + links.url(appointment, absolute=False))
    page.get_by_role("link", name="Termin absagen").click()
    confirm = page.get_by_role("button", name="Ja, Termin absagen")
    keep = page.get_by_role("link", name="Nein, Termin behalten")
    expect(confirm).to_be_visible()
    yes, no = confirm.bounding_box(), keep.bounding_box()
    assert yes["y"] + yes["height"] <= PHONE["height"], yes  # no scrolling to find it
    assert no["y"] + no["height"] <= PHONE["height"], no
    apart = max(no["y"] - (yes["y"] + yes["height"]), no["x"] - (yes["x"] + yes["width"]))
    assert apart >= 8, (yes, no)  # the buttons do not touch
    assert no["height"] >= 44  # a target for a finger
    axe(page)
    context.close()


def test_staff_pages_have_no_content_outside_landmarks(live_url, page):
    office = build_office(materialize=None)
    TOTPDevice.objects.create(user=office.org.users["agent"], name="App", key=KEY_HEX, confirmed=True)
    sign_in(page, live_url, "agent")
    page.evaluate("() => document.querySelectorAll('[data-register]').forEach(el => el.hidden = false)")
    check_accessibility(page, impacts=("minor", "moderate", "serious", "critical"))
