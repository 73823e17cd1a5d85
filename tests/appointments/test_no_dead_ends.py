"""No dead-end error pages in the booking steps: a missing or impossible choice re-shows the question
with the German error (summary linked to the field, title "Fehler: …") and a 4xx status."""

from __future__ import annotations

import re

import pytest
import time_machine

from .builders import at, build_office

pytestmark = pytest.mark.django_db
NOW = at(2026, 6, 5, 10)


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office():
    return build_office()


def title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


def assert_question_again(page: str, heading: str, error: str) -> None:
    assert "Das hat leider nicht geklappt" not in page
    assert heading in page and error in page
    assert title(page).startswith("Fehler:")
    summary = page.split('id="fehler"', 1)[1].split("</div>", 1)[0]
    target = re.search(r'href="#([^"]+)"', summary).group(1)
    assert f'id="{target}"' in page  # the summary leads to the question


def test_no_service_ticked_shows_the_service_question_again(client, office):
    response = client.get("/termine/wann/")
    assert response.status_code == 400
    page = response.content.decode()
    assert_question_again(page, "Termin buchen", "Bitte wählen Sie mindestens eine Leistung.")
    assert 'name="service" value="meldebescheinigung"' in page


def test_services_of_different_groups_keep_the_ticks(client, office):
    response = client.get("/termine/wann/", {"service": ["meldebescheinigung", "fuehrerschein"]})
    assert response.status_code == 400
    page = response.content.decode()
    assert_question_again(page, "Termin buchen", "nicht gemeinsam")
    assert re.search(r'value="meldebescheinigung"[^>]*checked', page)


def test_a_stale_day_link_shows_the_day_choice_again(client, office):
    response = client.get("/termine/zeit/", {"service": "meldebescheinigung",
                                             "location": office.location.slug, "day": "2026-06-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert_question_again(page, "Ort und Tag wählen", "Dieser Tag liegt in der Vergangenheit.")
    assert "/termine/zeit/?" in page  # the free days are listed again
