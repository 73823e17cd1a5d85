"""Charts stay legible: axis and legend text renders at 12 px or more in the dashboard's narrowest
chart column (bar patterns: tests/reports/test_chart_patterns.py)."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.test_appointments_staff import KEY_HEX, sign_in
from tests.e2e.test_reports_journey import _history
from tests.factories import build_org


def test_chart_text_is_at_least_12_px(live_url, browser):
    org = build_org()
    _history(org)
    TOTPDevice.objects.create(user=org.users["teamlead"], name="App", key=KEY_HEX, confirmed=True)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE",
                                  timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, live_url, "teamlead")
    page.goto(live_url + "/mitarbeiter/berichte/")
    expect(page.locator("svg.chart").first).to_be_visible()
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('svg.chart text')]
        .filter(t => t.textContent.trim())
        .map(t => parseFloat(getComputedStyle(t).fontSize) * t.closest('svg').getScreenCTM().a))""")
    assert smallest >= 12, smallest
    context.close()
