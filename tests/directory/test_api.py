"""Directory API: OpenAPI completeness, reachability at fixed times, errors as German JSON."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from buergerkontakt.directory import hours
from buergerkontakt.directory.models import CalendarException, HoursKind, PublicationLevel

from .builders import build_directory, consent, rule

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_1030 = datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN)
SATURDAY_1200 = datetime(2026, 3, 7, 12, 0, tzinfo=BERLIN)

OPERATIONS = {
    ("/api/directory/locations", "get"),
    ("/api/directory/locations/{slug}", "get"),
    ("/api/directory/locations/{slug}/reachability", "get"),
    ("/api/directory/services", "get"),
    ("/api/directory/services/{slug}", "get"),
    ("/api/directory/teams/{slug}/contact", "get"),
    ("/api/directory/responsibility", "get"),
}


@pytest.fixture
def directory(db):
    return build_directory()


def test_openapi_lists_every_directory_operation(client, db):
    schema = client.get("/api/openapi.json").json()
    found = {(path, method) for path, ops in schema["paths"].items() for method in ops
             if path.startswith("/api/directory/")}
    assert found == OPERATIONS
    for path, method in OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["description"].strip(), path
        assert "\n\n" in operation["description"], f"{path}: German and English description"
        assert "200" in operation["responses"]
        assert "422" in operation["responses"], path
        if "{slug}" in path or path.endswith("responsibility"):
            assert "404" in operation["responses"], path
    assert "ReachabilityOut" in schema["components"]["schemas"]


def test_locations_list(client, directory):
    with time_machine.travel(MONDAY_1030, tick=False):
        data = client.get("/api/directory/locations").json()
    by_slug = {item["slug"]: item for item in data}
    assert set(by_slug) == {"jc-mitte", "jc-nord", "bb-anderswo-zentrum"}
    mitte = by_slug["jc-mitte"]
    assert mitte["address"] == {"street": "Hauptstraße 1", "postcode": "63065", "city": "Teststadt"}
    assert mitte["opening"]["open_now"] is True
    assert mitte["url"].endswith("/standorte/jc-mitte/")


def test_location_detail(client, directory):
    from buergerkontakt.appointments.models import Schedule

    data = client.get("/api/directory/locations/jc-mitte").json()
    assert data["channels"]["phone"] == "069 1234-0"
    assert data["channels"]["online_booking"] is True
    # ticked, but nothing can be booked there: not promised (issue 26, defect 3)
    Schedule.objects.filter(location=directory.org.location).delete()
    data = client.get("/api/directory/locations/jc-mitte").json()
    assert data["channels"]["online_booking"] is False
    assert data["emergency_rule"].startswith("Bei akuter Notlage")
    assert [t["slug"] for t in data["teams"]] == ["leistung-1"]
    assert [s["slug"] for s in data["services"]] == ["buergergeld"]


def test_reachability_monday_morning_matches_page_logic(client, directory):
    location = directory.org.location
    with time_machine.travel(MONDAY_1030, tick=False):
        data = client.get("/api/directory/locations/jc-mitte/reachability").json()
        expected = {kind: hours.reachability(location, kind).as_dict() for kind in HoursKind.values}
        page = client.get("/standorte/jc-mitte/").content.decode()
    phone = data["phone"]
    assert phone["open_now"] is True
    assert phone["status"] == "jetzt erreichbar – bis 12:00 Uhr"
    assert phone["current"]["start"].startswith("2026-03-02T08:00:00")
    assert datetime.fromisoformat(phone["current"]["end"]) == datetime(2026, 3, 2, 12, tzinfo=BERLIN)
    assert data["opening"]["status"] == "jetzt geöffnet – bis 16:30 Uhr"
    assert data["walk_in"]["open_now"] is False
    assert data["callback"]["has_hours"] is False
    for kind in HoursKind.values:
        for key in ("open_now", "status", "weekly"):
            assert data[kind][key] == expected[kind][key], (kind, key)
    assert phone["status"] in page and data["opening"]["status"] in page


def test_reachability_saturday_closed_next_window_monday(client, directory):
    with time_machine.travel(SATURDAY_1200, tick=False):
        data = client.get("/api/directory/locations/jc-mitte/reachability").json()
    phone = data["phone"]
    assert phone["open_now"] is False and phone["current"] is None
    assert datetime.fromisoformat(phone["next"]["start"]) == datetime(2026, 3, 9, 8, tzinfo=BERLIN)
    assert phone["status"] == "derzeit nicht erreichbar – wieder ab Mo 08:00 Uhr"
    assert data["opening"]["status"] == "geschlossen – öffnet Mo 07:30 Uhr"
    assert data["opening"]["weekly"] == [{"days": "Mo–Do", "hours": "07:30–16:30"},
                                         {"days": "Fr", "hours": "07:30–14:00"}]


def test_reachability_respects_closures(client, directory):
    CalendarException.objects.create(location=directory.org.location, date=MONDAY_1030.date(),
                                     closed=True, reason="Personalversammlung")
    with time_machine.travel(MONDAY_1030, tick=False):
        data = client.get("/api/directory/locations/jc-mitte/reachability").json()
    assert data["opening"]["open_now"] is False
    assert "Personalversammlung" in data["opening"]["status"]


def test_services_search(client, directory):
    assert [s["slug"] for s in client.get("/api/directory/services", {"q": "perso"}).json()] == [
        "personalausweis"]
    assert [s["slug"] for s in client.get("/api/directory/services", {"q": "Buergergeld"}).json()] == [
        "buergergeld"]
    assert client.get("/api/directory/services", {"q": "nichts"}).json() == []
    all_slugs = [s["slug"] for s in client.get("/api/directory/services").json()]
    assert sorted(all_slugs) == ["buergergeld", "personalausweis"]


def test_service_detail_with_locations(client, directory):
    with time_machine.travel(MONDAY_1030, tick=False):
        data = client.get("/api/directory/services/buergergeld").json()
    assert data["what_to_bring"] == ["Personalausweis", "Kontoauszüge der letzten 3 Monate"]
    places = {p["slug"]: p for p in data["locations"]}
    assert set(places) == {"jc-mitte", "jc-nord"}
    assert places["jc-mitte"]["phone_number"] == "069 1234-100"  # the responsible team's line
    assert places["jc-mitte"]["phone"]["status"] == "jetzt erreichbar – bis 11:00 Uhr"
    assert places["jc-mitte"]["online_booking"] is True
    assert places["jc-nord"]["online_booking"] is False


@pytest.mark.parametrize("path", [
    "/api/directory/locations/gibt-es-nicht",
    "/api/directory/locations/gibt-es-nicht/reachability",
    "/api/directory/services/gibt-es-nicht",
    "/api/directory/services/intern",  # not public
    "/api/directory/teams/gibt-es-nicht/contact",
    "/api/directory/locations/%00",
    "/api/directory/services/%C3%BC%00x",
    "/api/directory/teams/a%0A/contact",
])
def test_unknown_slugs_are_404_with_german_detail(client, directory, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith(("Diesen", "Diese", "Dieses"))


def test_responsibility(client, directory):
    org = directory.org
    rule(org, org.team, surname_from="A", surname_to="K")
    rule(org, org.second_team, case_number_pattern=r"^555")
    consent(org.users["teamlead"], PublicationLevel.PUBLIC, org.users["admin"])
    data = client.get("/api/directory/responsibility",
                      {"authority": "jc-test", "surname": "von Braun"}).json()
    assert data["team"]["slug"] == "leistung-1"
    assert [p["name"] for p in data["team"]["people"]] == ["Teamlead Test"]  # not the caseworker
    data = client.get("/api/directory/responsibility",
                      {"authority": "jc-test", "case_number": "55512"}).json()
    assert data["team"]["slug"] == "leistung-2"


@pytest.mark.parametrize("params, status", [
    ({"authority": "jc-test", "surname": "Zander"}, 404),
    ({"authority": "unbekannt", "surname": "Meier"}, 404),
    ({"authority": "jc-test", "surname": "Meier", "service": "personalausweis"}, 404),
    ({"surname": "Meier"}, 422),
    ({"authority": "jc-test"}, 422),
    ({"authority": "jc-test", "surname": "x" * 101}, 422),
    ({"authority": "jc-test", "case_number": "1" * 41}, 422),
    ({"authority": "jc\x00test", "surname": "Meier"}, 422),
    ({"authority": "jc-test", "surname": "Meier", "service": "a\x00"}, 422),
    ({"authority": "jc-test", "surname": "Me\x00ier"}, 404),  # no DB lookup with the surname
])
def test_responsibility_errors(client, directory, params, status):
    rule(directory.org, directory.org.team, surname_from="A", surname_to="K")
    response = client.get("/api/directory/responsibility", params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_responsibility_no_match_names_central_line(client, directory):
    rule(directory.org, directory.org.team, surname_from="A", surname_to="K")
    response = client.get("/api/directory/responsibility", {"authority": "jc-test", "surname": "Zander"})
    assert "069 1234-5" in response.json()["detail"]


def test_invalid_search_query_is_422(client, directory):
    response = client.get("/api/directory/services", {"q": "x" * 1000})
    assert response.status_code == 422
    assert response.json()["detail"] == "Ungültige Eingabe."
