"""Scoped roles: each role sees only its scope; nothing without an assignment."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from buergerkontakt.core.models import Role, RoleAssignment
from buergerkontakt.core.permissions import has_role, is_staff_member, team_ids_for


def test_team_scope_covers_only_that_team(org):
    lead = org.users["teamlead"]
    assert has_role(lead, Role.TEAMLEAD, obj=org.team)
    assert not has_role(lead, Role.TEAMLEAD, obj=org.second_team)
    assert not has_role(lead, Role.TEAMLEAD, obj=org.other_team)
    # a team scope does not reach up to the location or the authority
    assert not has_role(lead, Role.TEAMLEAD, obj=org.location)
    assert not has_role(lead, Role.TEAMLEAD, obj=org.authority)
    assert team_ids_for(lead, Role.TEAMLEAD) == {org.team.pk}


def test_location_scope_covers_its_teams_and_rooms(org):
    guard = org.users["security"]
    assert has_role(guard, Role.SECURITY, obj=org.location)
    assert has_role(guard, Role.SECURITY, obj=org.team)
    assert has_role(guard, Role.SECURITY, obj=org.room)
    assert not has_role(guard, Role.SECURITY, obj=org.second_location)
    assert not has_role(guard, Role.SECURITY, obj=org.second_team)


def test_authority_scope_covers_everything_of_that_authority_only(org):
    admin = org.users["admin"]
    for obj in (org.authority, org.location, org.second_location, org.team, org.second_team, org.room):
        assert has_role(admin, Role.ADMIN, obj=obj)
    for obj in (org.other_authority, org.other_location, org.other_team):
        assert not has_role(admin, Role.ADMIN, obj=obj)
    assert team_ids_for(admin, Role.ADMIN) == {org.team.pk, org.second_team.pk}


def test_other_authority_team_lead_sees_nothing_of_ours(org):
    other = org.users["other_teamlead"]
    assert not has_role(other, Role.TEAMLEAD, obj=org.team)
    assert has_role(other, Role.TEAMLEAD, obj=org.other_team)


def test_role_is_needed_not_just_an_account(org):
    assert not has_role(org.users["caseworker"], Role.TEAMLEAD, obj=org.team)
    assert not has_role(org.users["agent"], Role.SECURITY)
    assert not has_role(AnonymousUser(), Role.ADMIN)
    assert not is_staff_member(AnonymousUser())
    assert not is_staff_member(org.users["professional"])
    assert is_staff_member(org.users["caseworker"])


def test_inactive_user_has_no_roles(org):
    admin = org.users["admin"]
    admin.is_active = False
    admin.save()
    admin.__dict__.pop("_bk_assignments", None)
    assert not has_role(admin, Role.ADMIN, obj=org.authority)


def test_role_groups_and_admin_flag_follow_assignments(org):
    admin = org.users["admin"]
    admin.refresh_from_db()
    assert admin.is_staff
    assert admin.groups.filter(name="role:admin").exists()
    assert admin.has_perm("directory.change_service")
    caseworker = org.users["caseworker"]
    caseworker.refresh_from_db()
    assert not caseworker.is_staff
    assert not caseworker.has_perm("directory.change_service")
    RoleAssignment.objects.filter(user=admin).delete()
    admin.refresh_from_db()
    assert not admin.is_staff


@pytest.mark.parametrize("role", ["caseworker", "agent", "teamlead", "security", "register_keeper", "dpo"])
def test_non_admin_roles_cannot_manage_organisation(org, role):
    user = org.users[role]
    assert not user.has_perm("core.manage_organisation", org.authority)


def test_admin_rule_is_scoped(org):
    assert org.users["admin"].has_perm("core.manage_organisation", org.authority)
    assert not org.users["admin"].has_perm("core.manage_organisation", org.other_authority)
