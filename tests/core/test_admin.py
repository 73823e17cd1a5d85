"""The core admin: two-factor sign-in required, every administrator scoped to their authority."""

from __future__ import annotations

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerkontakt.core.auth_views import create_recovery_codes
from buergerkontakt.core.models import Floor, Location, Role, RoleAssignment, Room, Team, User
from tests.core.test_auth import add_device, sign_in
from tests.factories import make_user


def changelist(model) -> str:
    return reverse(f"admin:core_{model._meta.model_name}_changelist")


def test_admin_index_for_a_verified_administrator(client, org):
    sign_in(client, org.users["admin"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    body = response.content.decode()
    for model in (Location, Floor, Room, Team, User, RoleAssignment):
        assert changelist(model) in body


def test_admin_without_second_factor_is_sent_to_our_login(client, org):
    client.force_login(org.users["admin"])
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("core:login"))


def test_admin_is_closed_to_staff_without_admin_role(client, org):
    sign_in(client, org.users["teamlead"])
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("core:login"))
    assert "keinen Zugriff auf die angeforderte Seite" in response.content.decode()


def test_admin_of_authority_b_does_not_see_authority_a(client, org):
    sign_in(client, org.users["other_admin"])
    body = client.get(changelist(Location)).content.decode()
    assert org.other_location.name in body
    assert org.location.name not in body
    assert org.second_location.name not in body
    for model, hidden in ((Team, org.team), (Room, org.room), (Floor, org.room.floor),
                          (User, org.users["caseworker"])):
        response = client.get(reverse(f"admin:core_{model._meta.model_name}_change", args=[hidden.pk]))
        assert response.status_code == 302, model  # "does not exist" → redirect to the index
        assert response["Location"] == reverse("admin:index")


def test_admin_of_authority_a_sees_own_data_only(client, org):
    sign_in(client, org.users["admin"])
    body = client.get(changelist(Location)).content.decode()
    assert org.location.name in body
    assert org.second_location.name in body
    assert org.other_location.name not in body
    users = client.get(changelist(User)).content.decode()
    assert "caseworker" in users
    assert "other_admin" not in users
    authorities = client.get(changelist(org.authority.__class__)).content.decode()
    assert org.authority.name in authorities
    assert org.other_authority.name not in authorities


def test_choice_lists_offer_only_own_authority(client, org):
    sign_in(client, org.users["admin"])
    page = client.get(reverse("admin:core_team_add")).content.decode()
    assert org.location.name in page
    assert org.other_location.name not in page
    room_page = client.get(reverse("admin:core_room_change", args=[org.room.pk])).content.decode()
    other_floor = Floor.objects.create(location=org.other_location, name="EG", level=0)
    Room.objects.create(floor=other_floor, number="X.99")
    room_page = client.get(reverse("admin:core_room_change", args=[org.room.pk])).content.decode()
    assert "X.99" not in room_page
    user_page = client.get(reverse("admin:core_user_change", args=[org.users["agent"].pk])).content.decode()
    assert "Meldewesen" not in user_page  # the other authority's team
    assert 'name="is_superuser"' not in user_page
    assert 'name="user_permissions"' not in user_page


def test_user_admin_shows_extra_fields_and_role_inline(client, org):
    sign_in(client, org.users["admin"])
    page = client.get(reverse("admin:core_user_change", args=[org.users["caseworker"].pk])).content.decode()
    for name in ("authority", "job_title", "phone", "workstation_room", "deputy", "teams", "absent_until"):
        assert f'name="{name}"' in page, name
    assert "role_assignments-TOTAL_FORMS" in page


def test_administrator_creates_a_user_in_own_authority(client, org):
    sign_in(client, org.users["admin"])
    response = client.post(reverse("admin:core_user_add"), {
        "username": "neu", "first_name": "Neue", "last_name": "Kollegin",
        "authority": org.authority.pk, "usable_password": "true",
        "password1": "Ein-langes-Passwort-2026", "password2": "Ein-langes-Passwort-2026",
        "role_assignments-TOTAL_FORMS": "0", "role_assignments-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(username="neu").authority == org.authority
    # Another authority is not a valid choice.
    response = client.post(reverse("admin:core_user_add"), {
        "username": "fremd", "first_name": "F", "last_name": "F",
        "authority": org.other_authority.pk, "usable_password": "true",
        "password1": "Ein-langes-Passwort-2026", "password2": "Ein-langes-Passwort-2026",
        "role_assignments-TOTAL_FORMS": "0", "role_assignments-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert not User.objects.filter(username="fremd").exists()


def test_role_assignment_scope_must_match_the_authority(client, org):
    sign_in(client, org.users["admin"])
    target = make_user("neu2", org.authority)
    response = client.post(reverse("admin:core_roleassignment_add"), {
        "user": target.pk, "role": Role.TEAMLEAD, "authority": org.authority.pk, "team": org.team.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert RoleAssignment.objects.filter(user=target, role=Role.TEAMLEAD, team=org.team).exists()
    response = client.post(reverse("admin:core_roleassignment_add"), {
        "user": target.pk, "role": Role.CASEWORKER, "authority": org.authority.pk,
        "location": org.location.pk, "team": org.second_team.pk,
    })
    assert response.status_code == 200
    assert "entweder einen Standort oder ein Team" in response.content.decode()


def test_superuser_sees_everything(client, org):
    boss = User.objects.create_superuser("chefin", password="Test-Passwort-2026")
    sign_in(client, boss)
    body = client.get(changelist(Location)).content.decode()
    assert org.location.name in body
    assert org.other_location.name in body


def test_administrator_resets_two_factor_of_own_staff_only(client, org):
    sign_in(client, org.users["admin"])
    own, foreign = org.users["caseworker"], org.users["other_teamlead"]
    for user in (own, foreign):
        add_device(user)
        create_recovery_codes(user)
    response = client.post(changelist(User), {
        "action": "reset_two_factor", "_selected_action": [own.pk, foreign.pk],
    })
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=own).exists()
    assert not StaticDevice.objects.filter(user=own).exists()
    assert TOTPDevice.objects.filter(user=foreign).exists()  # not in this administrator's scope
    assert StaticDevice.objects.filter(user=foreign).exists()
