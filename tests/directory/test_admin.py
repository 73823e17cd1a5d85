"""Directory admin: consent bookkeeping, revocation, scoping and the responsibility preview."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from buergerkontakt.directory.models import (
    CalendarException,
    HoursKind,
    HoursRule,
    PublicationConsent,
    PublicationLevel,
    SecurityException,
)

from .builders import build_directory, consent, rule, staff_person


@pytest.fixture
def directory(db, settings):
    settings.REQUIRE_2FA = False
    return build_directory()


@pytest.fixture
def superuser(directory):
    user = directory.org.users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def scoped_admin(directory):
    """The admin of the first authority: staff flag and model permissions, but no superuser."""
    user = directory.org.users["admin"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="directory"))
    return user


@pytest.mark.parametrize("model", ["service", "hoursrule", "calendarexception", "publicationconsent",
                                   "securityexception", "responsibilityrule"])
def test_changelists_and_add_forms_render(client, superuser, model):
    client.force_login(superuser)
    assert client.get(f"/admin/directory/{model}/").status_code == 200
    assert client.get(f"/admin/directory/{model}/add/").status_code == 200


def test_consent_records_who_and_can_be_revoked(client, directory, superuser):
    org = directory.org
    person = staff_person("dora", org, org.team, last_name="Dorn")
    client.force_login(superuser)
    response = client.post("/admin/directory/publicationconsent/add/", {
        "staff": person.pk, "level": PublicationLevel.PUBLIC,
        "granted_at_0": "01.03.2026", "granted_at_1": "10:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    row = PublicationConsent.objects.get(staff=person)
    assert row.recorded_by == superuser
    # A second active consent is refused with a German message instead of a database error.
    response = client.post("/admin/directory/publicationconsent/add/", {
        "staff": person.pk, "level": PublicationLevel.INTERNAL,
        "granted_at_0": "02.03.2026", "granted_at_1": "10:00:00",
    })
    assert response.status_code == 200
    assert "bereits eine gültige Einwilligung" in response.content.decode()
    response = client.post("/admin/directory/publicationconsent/", {
        "action": "revoke", "_selected_action": [row.pk],
    })
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == superuser


def test_security_exception_records_creator(client, directory, superuser):
    person = staff_person("emil", directory.org, directory.org.team, last_name="Eck")
    client.force_login(superuser)
    response = client.post("/admin/directory/securityexception/add/", {
        "staff": person.pk, "reason": "Bedrohung", "created_at_0": "01.03.2026", "created_at_1": "10:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert SecurityException.objects.get(staff=person).created_by == superuser


def test_scoped_admin_sees_only_own_authority(client, directory, scoped_admin):
    org = directory.org
    own = HoursRule.objects.filter(location=org.location, kind=HoursKind.OPENING).first()
    foreign = HoursRule.objects.filter(location=org.other_location).first()
    team_rule = HoursRule.objects.filter(team=org.team).first()
    CalendarException.objects.create(authority=org.other_authority, date=date(2026, 3, 2), reason="Fremd")
    CalendarException.objects.create(location=org.location, date=date(2026, 3, 3), reason="Eigen")
    consent(org.users["other_teamlead"], PublicationLevel.PUBLIC, org.users["other_admin"])
    client.force_login(scoped_admin)
    assert client.get(f"/admin/directory/hoursrule/{own.pk}/change/").status_code == 200
    assert client.get(f"/admin/directory/hoursrule/{team_rule.pk}/change/").status_code == 200
    assert client.get(f"/admin/directory/hoursrule/{foreign.pk}/change/").status_code == 302  # not found
    html = client.get("/admin/directory/calendarexception/").content.decode()
    assert "Eigen" in html and "Fremd" not in html
    html = client.get("/admin/directory/service/").content.decode()
    assert "Bürgergeld beantragen" in html and "Personalausweis beantragen" not in html
    html = client.get("/admin/directory/publicationconsent/").content.decode()
    assert "Other_Teamlead" not in html
    html = client.get("/admin/directory/service/add/").content.decode()
    assert "Bürgerbüro Anderswo" not in html  # neither the authority nor its location
    html = client.get("/admin/directory/responsibilityrule/add/").content.decode()
    assert "Personalausweis beantragen" not in html and "Bürgergeld beantragen" in html
    html = client.get("/admin/directory/hoursrule/").content.decode()
    assert "Bürgerbüro Anderswo" not in html  # not even in the sidebar filters


def test_responsibility_preview(client, directory, superuser):
    org = directory.org
    matched = rule(org, org.second_team, priority=1, surname_from="A", surname_to="K")
    client.force_login(superuser)
    html = client.get("/admin/directory/responsibilityrule/").content.decode()
    assert "Vorschau: Welches Team wäre zuständig?" in html
    response = client.get("/admin/directory/responsibilityrule/vorschau/",
                          {"authority": org.authority.pk, "surname": "von Braun"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Leistung 2" in html and "braun" in html
    assert f"/admin/directory/responsibilityrule/{matched.pk}/change/" in html
    html = client.get("/admin/directory/responsibilityrule/vorschau/",
                      {"authority": org.authority.pk, "surname": "Zander"}).content.decode()
    assert "Keine Regel passt." in html
    response = client.get("/admin/directory/responsibilityrule/vorschau/", {"authority": "x"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_hours_rule_list_editable(client, directory, superuser):
    client.force_login(superuser)
    html = client.get("/admin/directory/hoursrule/", {"kind__exact": "phone"}).content.decode()
    assert 'name="form-0-start"' in html
