"""Public directory pages: rendering, search, JSON-LD and bad input (never a 500)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.directory.models import CalendarException, PublicationLevel
from buergerkontakt.directory.queries import fold_search, search_services

from .builders import build_directory, consent, rule

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_1030 = datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN)  # an ordinary Monday in Hessen


@pytest.fixture
def directory(db):
    return build_directory()


def _json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.mark.parametrize("name, kwargs", [
    ("directory:home", {}),
    ("directory:services", {}),
    ("directory:locations", {}),
    ("directory:people", {}),
    ("directory:responsibility", {}),
    ("directory:service", {"slug": "buergergeld"}),
    ("directory:location", {"slug": "jc-mitte"}),
])
def test_public_pages_render_for_anonymous(client, directory, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'style="' not in html
    assert "<script>" not in html


def test_home_lists_offices_with_status_and_search(client, directory):
    with time_machine.travel(MONDAY_1030, tick=False):
        html = client.get("/").content.decode()
    assert "Welche Leistung suchen Sie?" in html
    assert "Jobcenter Mitte" in html and "Bürgerbüro Anderswo" in html
    assert "jetzt geöffnet – bis 16:30 Uhr" in html
    assert "Bürgergeld beantragen" in html  # popular services


def test_home_shows_closed_with_next_opening_on_weekend(client, directory):
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=BERLIN)
    with time_machine.travel(saturday, tick=False):
        html = client.get("/").content.decode()
    assert "geschlossen – öffnet Mo 07:30 Uhr" in html


@pytest.mark.parametrize("query", ["perso", "Personalausweis", "PERSONALAUSWEIS", "Ausweis", "Perso",
                                   "personalausweis beantragen", "identitatskarte"])
def test_search_finds_personalausweis(client, directory, query):
    response = client.get("/leistungen/", {"q": query})
    assert response.status_code == 200
    assert "Personalausweis beantragen" in response.content.decode()


@pytest.mark.parametrize("query", ["Bürgergeld", "Buergergeld", "burgergeld", "BÜRGERGELD", "hartz"])
def test_search_is_umlaut_tolerant(directory, query):
    assert [s.slug for s in search_services(query)] == ["buergergeld"]


def test_fold_search_treats_umlaut_spellings_alike():
    assert fold_search("Bürgergeld") == fold_search("Buergergeld") == fold_search("burgergeld")
    assert fold_search("Straße") == fold_search("strasse")


def test_search_without_result_says_so_with_suggestions(client, directory):
    response = client.get("/leistungen/", {"q": "Persnalausweiss"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Keine Leistung gefunden für „Persnalausweiss“" in html
    assert "Personalausweis beantragen" in html  # suggested


def test_search_never_lists_non_public_services(client, directory):
    html = client.get("/leistungen/", {"q": "Interne"}).content.decode()
    assert "Keine Leistung gefunden" in html
    assert "/leistungen/intern/" not in html
    assert client.get("/leistungen/intern/").status_code == 404


def test_services_without_query_are_grouped_by_authority(client, directory):
    html = client.get("/leistungen/").content.decode()
    assert html.index("Bürgerbüro Anderswo") < html.index("Jobcenter Teststadt")
    assert "Personalausweis beantragen" in html and "Bürgergeld beantragen" in html


def test_service_page_shows_how_to_reach_each_location(client, directory):
    with time_machine.travel(MONDAY_1030, tick=False):
        html = client.get("/leistungen/buergergeld/").content.decode()
    assert "So erreichen Sie uns" in html
    assert "Kontoauszüge der letzten 3 Monate" in html
    assert "Hauptstraße 1, 63065 Teststadt" in html and "Nordring 5" in html
    assert "jetzt geöffnet" in html
    # The responsible team's phone hours (10–11) win over the location's (8–12) at Jobcenter Mitte.
    assert "069 1234-100" in html
    assert "jetzt erreichbar – bis 11:00 Uhr" in html
    assert "Bei akuter Notlage" in html
    assert "Online buchbar." in html


def test_location_page_has_all_sections(client, directory):
    org = directory.org
    with time_machine.travel(MONDAY_1030, tick=False):
        CalendarException.objects.create(location=org.location, date=MONDAY_1030.date(), closed=True,
                                         kinds="walk_in", reason="Personalversammlung")
        html = client.get("/standorte/jc-mitte/").content.decode()
    for text in ("Hauptstraße 1", "Öffnungszeiten", "Telefonzeiten", "Vorsprache ohne Termin",
                 "Personalversammlung", "Leistung 1", "069 1234-100", "Bürgergeld beantragen",
                 "So vereinbaren Sie einen Termin", "Im Notfall", "Barrierefreiheit", "Anfahrt",
                 "Mo–Do", "07:30–16:30"):
        assert text in html, text
    assert "Rückrufzeiten" not in html  # no callback hours at this location


def test_location_json_ld_is_a_government_office(client, directory):
    org = directory.org
    with time_machine.travel(MONDAY_1030, tick=False):
        CalendarException.objects.create(location=org.location, date=MONDAY_1030.date() + timedelta(3),
                                         closed=True, reason="Betriebsausflug </script><b>")
        CalendarException.objects.create(location=org.location, date=MONDAY_1030.date() + timedelta(5),
                                         closed=False, start="09:00", end="13:00", reason="Samstag")
        html = client.get("/standorte/jc-mitte/").content.decode()
    assert "</script><b>" not in html
    data = _json_ld(html)
    assert data["@type"] == "GovernmentOffice"
    assert data["address"]["@type"] == "PostalAddress"
    assert data["address"]["postalCode"] == "63065"
    assert data["telephone"] == "069 1234-0"
    assert data["geo"]["latitude"] == pytest.approx(50.110924)
    specs = data["openingHoursSpecification"]
    assert len(specs) == 5
    assert specs[0] == {"@type": "OpeningHoursSpecification", "dayOfWeek": "https://schema.org/Monday",
                        "opens": "07:30", "closes": "16:30"}
    assert specs[4]["dayOfWeek"] == "https://schema.org/Friday" and specs[4]["closes"] == "14:00"
    special = {s["validFrom"]: s for s in data["specialOpeningHoursSpecification"]}
    closed = special["2026-03-05"]
    assert (closed["opens"], closed["closes"], closed["validThrough"]) == ("00:00", "00:00", "2026-03-05")
    assert closed["name"] == "Betriebsausflug </script><b>"
    assert (special["2026-03-07"]["opens"], special["2026-03-07"]["closes"]) == ("09:00", "13:00")
    # Karfreitag 2026 (3 April) is a holiday in Hessen and a regular opening day.
    assert special["2026-04-03"]["opens"] == "00:00"


def test_people_page_lists_team_lines_always(client, directory):
    html = client.get("/ansprechpersonen/").content.decode()
    assert "Leistung 1" in html and "069 1234-100" in html
    assert "Meldewesen" in html and "089 555-1" in html


def test_people_filter_by_authority_and_team(client, directory):
    org = directory.org
    html = client.get("/ansprechpersonen/", {"authority": org.other_authority.pk}).content.decode()
    assert f'id="team-{org.other_team.pk}"' in html and f'id="team-{org.team.pk}"' not in html
    html = client.get("/ansprechpersonen/", {"team": org.team.pk}).content.decode()
    assert f'id="team-{org.team.pk}"' in html and f'id="team-{org.second_team.pk}"' not in html


@pytest.mark.parametrize("params", [{"team": "abc"}, {"authority": "x"}, {"team": "999999"},
                                   {"team": "1" * 400}])
def test_people_bad_params_are_a_german_400(client, directory, params):
    response = client.get("/ansprechpersonen/", params)
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Eintrag aus der Liste." in response.content.decode()


def test_people_team_of_other_authority_is_400(client, directory):
    org = directory.org
    response = client.get("/ansprechpersonen/", {"authority": org.authority.pk, "team": org.other_team.pk})
    assert response.status_code == 400
    assert "gehört nicht zur gewählten Behörde" in response.content.decode()


@pytest.mark.parametrize("path", ["/leistungen/gibt-es-nicht/", "/standorte/gibt-es-nicht/"])
def test_unknown_slug_is_german_404(client, directory, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


@pytest.mark.parametrize("query", ["x" * 1000, "Ä" * 101, "a\x00b"])
def test_bad_search_input_is_a_4xx_never_500(client, directory, query):
    response = client.get("/leistungen/", {"q": query})
    assert response.status_code == 400
    assert "Bitte korrigieren Sie die Eingabe" in response.content.decode()


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "%", "*", "'; DROP TABLE x; --", "(["])
def test_odd_search_input_is_handled(client, directory, query):
    response = client.get("/leistungen/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_responsibility_lookup_shows_team_without_unconsented_people(client, directory):
    org = directory.org
    rule(org, org.team, surname_from="A", surname_to="K")
    caseworker = org.users["caseworker"]
    caseworker.last_name = "Geheim"
    caseworker.save()
    public = org.users["teamlead"]
    public.last_name = "Offenbar"
    public.phone = "069 1234-111"
    public.save()
    consent(public, PublicationLevel.PUBLIC, org.users["admin"])
    with time_machine.travel(MONDAY_1030, tick=False):
        response = client.post("/zustaendigkeit/", {"authority": org.authority.pk, "surname": "von Braun"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Für Sie ist zuständig:" in html and "Leistung 1" in html
    assert "069 1234-100" in html and "jetzt erreichbar – bis 11:00 Uhr" in html
    assert "Offenbar" in html and "069 1234-111" in html
    assert "Geheim" not in html


def test_responsibility_no_match_points_to_central_contact(client, directory):
    org = directory.org
    rule(org, org.team, surname_from="A", surname_to="K")
    response = client.post("/zustaendigkeit/", {"authority": org.authority.pk, "surname": "Zander"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wir konnten kein zuständiges Team finden." in html
    assert "069 1234-5" in html and "info@jobcenter-test.invalid" in html


@pytest.mark.parametrize("data, message", [
    ({}, "Bitte wählen Sie die Behörde aus."),
    ({"authority": "abc", "surname": "Meier"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
    ({"authority": "AUTH"}, "Bitte geben Sie Ihren Nachnamen oder Ihr Aktenzeichen an."),
    ({"authority": "AUTH", "surname": "x" * 500}, "höchstens 100 Zeichen"),
    ({"authority": "AUTH", "surname": "Meier", "service": "OTHER"}, "gehört nicht zur gewählten Behörde"),
])
def test_responsibility_bad_input_is_a_german_400(client, directory, data, message):
    data = {k: (str(directory.org.authority.pk) if v == "AUTH" else v) for k, v in data.items()}
    data = {k: (str(directory.perso.pk) if v == "OTHER" else v) for k, v in data.items()}
    response = client.post("/zustaendigkeit/", data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_responsibility_prefill_ignores_odd_authority(client, directory):
    assert client.get("/zustaendigkeit/", {"behoerde": "jc\x00test"}).status_code == 200
    html = client.get("/zustaendigkeit/", {"behoerde": "jc-test"}).content.decode()
    assert f'<option value="{directory.org.authority.pk}" selected>' in html


def test_methods_other_than_get_are_refused(client, directory):
    assert client.post("/leistungen/").status_code == 405
    assert client.delete("/zustaendigkeit/").status_code == 405
