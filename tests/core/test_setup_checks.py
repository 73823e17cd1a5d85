"""Issue 26, defect 9 (2026-12-04): smaller set-up mistakes are refused with a German message on the
admin form – overlapping hours on one day, a surname range "Z bis A", a deputy who is the person
themself, a room that is its own neighbour – a catch-all routing rule is possible, and display and
kiosk keys are generated, never typed."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buergerkontakt.callbacks.routing import route
from buergerkontakt.core.models import Room, User
from buergerkontakt.directory.models import HoursKind, HoursRule, ResponsibilityRule
from buergerkontakt.walkin.models import Screen

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


@pytest.fixture
def root(client):
    user = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-2026")
    client.force_login(user)
    return client


# --- hours ------------------------------------------------------------------------------------------
def _rule(org, start, end, **fields) -> HoursRule:
    values = {"location": org.location, "kind": HoursKind.OPENING, "weekday": 0, "start": start, "end": end}
    values.update(fields)
    return HoursRule(**values)


def test_overlapping_hours_on_one_day_are_refused(org):
    # build_org: the location opens Monday 07:30–16:30
    with pytest.raises(ValidationError, match="überschneidet sich"):
        _rule(org, time(14), time(18)).full_clean()
    # touching windows (a lunch break) and other kinds, days and owners are fine
    _rule(org, time(16, 30), time(18)).full_clean()
    _rule(org, time(14), time(18), kind=HoursKind.PHONE).full_clean()
    _rule(org, time(14), time(18), weekday=5).full_clean()
    _rule(org, time(14), time(18), location=None, team=org.team).full_clean()
    # validity ranges that do not overlap are fine too
    from datetime import date

    HoursRule.objects.filter(location=org.location, weekday=0).update(valid_until=date(2026, 12, 31))
    _rule(org, time(8), time(12), valid_from=date(2027, 1, 1)).full_clean()
    with pytest.raises(ValidationError, match="überschneidet sich"):
        _rule(org, time(8), time(12), valid_from=date(2026, 12, 1)).full_clean()
    # editing a rule never collides with itself
    existing = HoursRule.objects.filter(location=org.location, weekday=0, kind=HoursKind.OPENING).first()
    existing.end = time(17)
    existing.full_clean()


def test_the_admin_shows_the_overlap_in_german(root, org):
    response = root.post(reverse("admin:directory_hoursrule_add"), {
        "location": org.location.pk, "team": "", "kind": HoursKind.OPENING, "weekday": 0,
        "start": "14:00", "end": "18:00", "valid_from": "", "valid_until": "", "note": ""})
    assert response.status_code == 200
    assert "überschneidet sich" in response.text and "07:30–16:30" in response.text
    assert HoursRule.objects.filter(location=org.location, weekday=0).count() == 1


# --- routing rules ----------------------------------------------------------------------------------
def test_a_surname_range_z_to_a_is_refused(org):
    rule = ResponsibilityRule(authority=org.authority, team=org.team, surname_from="Z", surname_to="A")
    with pytest.raises(ValidationError, match="vor"):
        rule.full_clean()
    for low, high in (("Sch", "Schm"), ("S", "S"), ("A", "")):
        rule = ResponsibilityRule(authority=org.authority, team=org.team, surname_from=low, surname_to=high)
        rule.full_clean()


def test_a_catch_all_rule_routes_everything_else(org):
    ResponsibilityRule.objects.create(authority=org.authority, team=org.team, surname_from="A",
                                      surname_to="K", priority=10)
    catch_all = ResponsibilityRule(authority=org.authority, team=org.second_team, priority=999)
    catch_all.full_clean()
    catch_all.save()
    assert route(org.authority, name="Erika Adler").team == org.team
    assert route(org.authority, name="Zora Zimmer").team == org.second_team
    assert route(org.authority, case_number="999").team == org.second_team
    assert route(org.authority).team == org.second_team  # nothing said: the catch-all too
    assert str(catch_all).startswith("alle")


# --- deputy and neighbours --------------------------------------------------------------------------
def test_a_deputy_cannot_be_the_person_themself(org):
    user = org.users["caseworker"]
    user.deputy = user
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert "deputy" in caught.value.message_dict
    assert "selbst" in " ".join(caught.value.message_dict["deputy"])


def test_the_user_admin_refuses_oneself_as_deputy(root, org):
    user = org.users["caseworker"]
    page = root.get(reverse("admin:core_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"deputy": user.pk, "teams": [t.pk for t in user.teams.all()], "authority": org.authority.pk,
                 "role_assignments-TOTAL_FORMS": 0, "role_assignments-INITIAL_FORMS": 0,
                 "role_assignments-MIN_NUM_FORMS": 0, "role_assignments-MAX_NUM_FORMS": 1000,
                 "workstation_room": user.workstation_room_id, "date_joined_0": "01.01.2026",
                 "date_joined_1": "10:00:00"})
    data.pop("password", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = root.post(reverse("admin:core_user_change", args=[user.pk]), data)
    assert response.status_code == 200
    assert "nicht selbst" in response.text
    user.refresh_from_db()
    assert user.deputy_id is None


def test_a_room_is_not_its_own_neighbour(root, org):
    other = Room.objects.create(floor=org.room.floor, number="1.11")
    url = reverse("admin:core_room_change", args=[org.room.pk])
    data = {"floor": org.room.floor_id, "number": org.room.number, "name": "", "kind": org.room.kind,
            "neighbours": [org.room.pk, other.pk]}
    response = root.post(url, data)
    assert response.status_code == 200
    assert "nicht sein eigener Nachbar" in response.text
    assert not org.room.neighbours.exists()
    data["neighbours"] = [other.pk]
    assert root.post(url, data).status_code == 302
    assert list(org.room.neighbours.all()) == [other]
    # the service layer cannot store it either
    with pytest.raises(ValidationError):
        org.room.neighbours.add(org.room)


# --- display and kiosk keys -------------------------------------------------------------------------
def test_display_and_kiosk_keys_are_generated_not_typed(root, org):
    add = root.get(reverse("admin:walkin_screen_add")).text
    assert 'name="key"' not in add
    response = root.post(reverse("admin:walkin_screen_add"), {
        "location": org.location.pk, "kind": Screen.Kind.KIOSK, "name": "Kiosk Eingang", "is_active": "on",
        "repeat_seconds": 20, "recent_count": 6, "allowed_networks": "10.0.0.0/8", "key": "geheim"})
    assert response.status_code == 302
    screen = Screen.objects.get(name="Kiosk Eingang")
    assert screen.key != "geheim" and len(screen.key) >= 24
    old = screen.key
    response = root.post(reverse("admin:walkin_screen_changelist"), {
        "action": "new_key", "_selected_action": [screen.pk]}, follow=True)
    screen.refresh_from_db()
    assert screen.key != old and len(screen.key) >= 24
    assert "neue Adresse" in response.text
