"""The office page links its own channels: online booking and online callback are links, not the
word "möglich"."""

from __future__ import annotations

import re

import pytest

from .builders import build_directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    return build_directory()


def contact_block(page: str) -> str:
    return page.split('id="kontakt-titel"', 1)[1].split("</section>", 1)[0]


def test_location_page_links_online_booking_and_callback(client, directory):
    location = directory.org.location
    location.offers_online_callback = True
    location.save()
    team = directory.org.team
    team.offers_online_callback = True
    team.save()
    block = contact_block(client.get(location.get_absolute_url()).content.decode())
    assert "möglich" not in block
    assert re.search(r'<dt>Termin online buchen</dt>\s*<dd><a href="/termine/">', block), block
    assert re.search(r'<dt>Rückruf online anfordern</dt>\s*<dd><a href="/rueckruf/">', block), block
