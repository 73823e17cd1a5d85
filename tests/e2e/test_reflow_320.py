"""Reflow (WCAG 1.4.10): every citizen page works at 320 CSS pixels without horizontal scrolling –
long German compounds wrap, tables reflow."""

from __future__ import annotations

import os

import pytest

from buergerkontakt.appointments import services as booking
from buergerkontakt.core.models import Team
from tests.appointments.builders import build_office
from tests.callbacks.builders import build_office as build_callback_office

PHONE = {"width": 320, "height": 640}


def shot(page, name: str) -> None:
    folder = os.environ.get("BK_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/reflow-{name}.png", full_page=True)


@pytest.fixture
def site():
    office = build_callback_office()
    # A service group with free online times: the Erreichbarkeit page shows its table.
    booking_office = build_office(org=office.org, materialize=None)
    booking.materialize_horizon()
    team = office.org.team
    Team.objects.filter(pk=team.pk).update(name="Leistungssachbearbeitung", offers_online_callback=True)
    location = office.org.location
    location.offers_online_callback = True
    location.save()
    return office, booking_office


def overflow(page) -> list[str]:
    """The elements sticking out to the right of the viewport (empty when the page reflows)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        const wide = [];
        for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 || el.scrollWidth > el.clientWidth + 1 && el.clientWidth) {
                const text = (el.textContent || '').trim().slice(0, 40);
                wide.push(el.tagName + '.' + el.className + ': ' + text);
            }
        }
        return wide.length ? wide.slice(-8) : ['page ' + document.documentElement.scrollWidth + ' px'];
    }""")


def test_every_citizen_page_reflows_at_320_px(live_url, browser, site):
    office, booking_office = site
    location = office.org.location
    paths = [
        "/", "/leistungen/", booking_office.long.get_absolute_url(), "/standorte/",
        location.get_absolute_url(),
        f"/standorte/{location.slug}/erreichbarkeit/", "/zustaendigkeit/", "/ansprechpersonen/",
        "/termine/", "/termine/wann/?service=meldebescheinigung", "/termine/suchen/",
        "/termine/warteliste/", "/rueckruf/", f"/rueckruf/anfordern/{office.org.team.slug}/",
    ]
    context = browser.new_context(viewport=PHONE, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    problems = {}
    for path in paths:
        response = page.goto(live_url + path)
        assert response.status < 400, (path, response.status)
        wide = overflow(page)
        if wide:
            problems[path] = wide
            shot(page, path.strip("/").replace("/", "_") or "home")
    context.close()
    assert not problems, problems
