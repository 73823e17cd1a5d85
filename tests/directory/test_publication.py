"""Publication levels: consent, revocation, security exceptions and absence, on pages and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from buergerkontakt.directory.models import PublicationLevel
from buergerkontakt.directory.publication import effective_level, viewer_level, visible_people

from .builders import build_directory, consent, hide, revoke, staff_person, today


@pytest.fixture
def directory(db, settings):
    # Staff sign in with a second factor; these tests use force_login, so 2FA is off here and
    # test_unverified_staff_sees_only_public checks the other case.
    settings.REQUIRE_2FA = False
    d = build_directory()
    org = d.org
    d.people = {
        "anna": staff_person("anna", org, org.team, last_name="Annaberg", phone="069 1234-101",
                             email="anna@jobcenter-test.invalid"),
        "bernd": staff_person("bernd", org, org.team, last_name="Bernhardt", phone="069 1234-102",
                              email="bernd@jobcenter-test.invalid"),
        "carla": staff_person("carla", org, org.team, last_name="Carstens", phone="069 1234-103",
                              email="carla@jobcenter-test.invalid"),
    }
    return d


def _page(client, user=None) -> str:
    if user is not None:
        client.force_login(user)
    return client.get("/ansprechpersonen/").content.decode()


def _api_people(client, slug="leistung-1") -> list[dict]:
    response = client.get(f"/api/directory/teams/{slug}/contact")
    assert response.status_code == 200
    return response.json()["people"]


def test_without_consent_never_public(client, directory):
    html = _page(client)
    assert "Annaberg" not in html and "069 1234-101" not in html
    assert all(p["name"] != "Anna Annaberg" for p in _api_people(client))
    # ... and the team line is public all the same.
    assert "069 1234-100" in html


def test_public_consent_appears_publicly(client, directory):
    anna = directory.people["anna"]
    consent(anna, PublicationLevel.PUBLIC, directory.org.users["admin"])
    html = _page(client)
    assert "Anna Annaberg" in html and "069 1234-101" in html and "anna@jobcenter-test.invalid" in html
    people = _api_people(client)
    assert people == [{"name": "Anna Annaberg", "job_title": "", "phone": "069 1234-101",
                       "email": "anna@jobcenter-test.invalid", "absent": False, "note": None}]


def test_professionals_level_for_professionals_only(client, directory):
    org = directory.org
    consent(directory.people["bernd"], PublicationLevel.PROFESSIONALS, org.users["admin"])
    assert "Bernhardt" not in _page(client)
    assert _api_people(client) == []
    html = _page(client, org.users["professional"])
    assert "Bernhardt" in html and "069 1234-102" in html
    # The API stays at the public level even for a signed-in professional.
    assert _api_people(client) == []


def test_internal_level_for_own_authority_staff_only(client, directory):
    org = directory.org
    consent(directory.people["carla"], PublicationLevel.INTERNAL, org.users["admin"])
    assert "Carstens" not in _page(client)
    assert "Carstens" not in _page(client, org.users["professional"])
    assert "Carstens" not in _page(client, org.users["other_admin"])  # staff of another authority
    html = _page(client, org.users["agent"])
    assert "Carstens" in html and "069 1234-103" in html


def test_no_consent_listed_for_own_staff_without_direct_data(client, directory):
    org = directory.org
    html = _page(client, org.users["agent"])
    assert "Annaberg" in html and "069 1234-101" not in html
    assert "Keine Freigabe der direkten Kontaktdaten" in html
    assert "Annaberg" not in _page(client, org.users["other_teamlead"])


def test_revoked_consent_disappears(client, directory):
    org = directory.org
    row = consent(directory.people["anna"], PublicationLevel.PUBLIC, org.users["admin"])
    assert "Annaberg" in _page(client)
    revoke(row, org.users["admin"])
    assert effective_level(directory.people["anna"]) is None
    assert "Annaberg" not in _page(client)
    assert _api_people(client) == []


def test_latest_non_revoked_consent_counts(client, directory):
    org = directory.org
    old = consent(directory.people["anna"], PublicationLevel.PUBLIC, org.users["admin"])
    revoke(old, org.users["admin"])
    consent(directory.people["anna"], PublicationLevel.PROFESSIONALS, org.users["admin"])
    assert effective_level(directory.people["anna"]) == PublicationLevel.PROFESSIONALS
    assert "Annaberg" not in _page(client)


def test_security_exception_hides_for_everyone_including_staff(client, directory):
    org = directory.org
    anna = directory.people["anna"]
    consent(anna, PublicationLevel.PUBLIC, org.users["admin"])
    hide(anna, org.users["admin"])
    assert "Annaberg" not in _page(client)
    assert _api_people(client) == []
    for role in ("professional", "agent", "teamlead", "admin"):
        client.logout()
        assert "Annaberg" not in _page(client, org.users[role]), role
    superuser = org.users["admin"]
    superuser.is_superuser = True
    superuser.save()
    assert visible_people(superuser, team=org.team) and all(
        e.person != anna for e in visible_people(superuser, team=org.team))


def test_absence_hides_direct_dial_and_shows_team_line(client, directory):
    org = directory.org
    anna, bernd = directory.people["anna"], directory.people["bernd"]
    consent(anna, PublicationLevel.PUBLIC, org.users["admin"])
    consent(bernd, PublicationLevel.PUBLIC, org.users["admin"])
    anna.absent_until = today() + timedelta(days=3)
    anna.deputy = bernd
    anna.save()
    html = _page(client)
    assert "Anna Annaberg" in html
    assert "069 1234-101" not in html and "anna@jobcenter-test.invalid" not in html
    assert "derzeit abwesend – bitte wenden Sie sich an das Teamtelefon" in html
    assert "Vertretung: Bernd Bernhardt" in html
    people = {p["name"]: p for p in _api_people(client)}
    assert people["Anna Annaberg"]["phone"] is None and people["Anna Annaberg"]["email"] is None
    assert people["Anna Annaberg"]["absent"] is True
    assert people["Bernd Bernhardt"]["phone"] == "069 1234-102"


def test_absence_over_shows_contact_again(client, directory):
    org = directory.org
    anna = directory.people["anna"]
    consent(anna, PublicationLevel.PUBLIC, org.users["admin"])
    anna.absent_until = today() - timedelta(days=1)
    anna.save()
    assert "069 1234-101" in _page(client)


def test_deputy_without_consent_is_not_named(client, directory):
    org = directory.org
    anna, carla = directory.people["anna"], directory.people["carla"]
    consent(anna, PublicationLevel.PUBLIC, org.users["admin"])
    anna.absent_until = today()
    anna.deputy = carla
    anna.save()
    html = _page(client)
    assert "derzeit abwesend" in html and "Carstens" not in html and "Vertretung" not in html


def test_viewer_levels(directory):
    org = directory.org
    assert viewer_level(AnonymousUser(), org.authority) == PublicationLevel.PUBLIC
    assert viewer_level(None, org.authority) == PublicationLevel.PUBLIC
    assert viewer_level(org.users["professional"], org.authority) == PublicationLevel.PROFESSIONALS
    assert viewer_level(org.users["agent"], org.authority) == PublicationLevel.INTERNAL
    assert viewer_level(org.users["agent"], org.authority.pk) == PublicationLevel.INTERNAL
    assert viewer_level(org.users["other_admin"], org.authority) == PublicationLevel.PROFESSIONALS
    inactive = org.users["agent"]
    inactive.is_active = False
    assert viewer_level(inactive, org.authority) == PublicationLevel.PUBLIC


def test_team_contact_in_api_has_team_line_and_hours(client, directory):
    response = client.get("/api/directory/teams/leistung-1/contact")
    data = response.json()
    assert data["phone"] == "069 1234-100"
    assert data["email"] == "leistung1@jobcenter-test.invalid"
    assert data["phone_hours"]["weekly"] == [{"days": "Mo–Fr", "hours": "10:00–11:00"}]


def test_unverified_staff_sees_only_public(client, directory, settings):
    org = directory.org
    consent(directory.people["carla"], PublicationLevel.INTERNAL, org.users["admin"])
    consent(directory.people["bernd"], PublicationLevel.PROFESSIONALS, org.users["admin"])
    settings.REQUIRE_2FA = True
    assert viewer_level(org.users["agent"], org.authority) == PublicationLevel.PUBLIC
    html = _page(client, org.users["agent"])
    assert "Carstens" not in html and "Annaberg" not in html
    client.logout()
    assert "Bernhardt" not in _page(client, org.users["professional"])
