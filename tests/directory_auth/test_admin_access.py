"""Who may see and change group mappings in the admin: administrators of their own authority only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buergerkontakt.core.models import Role
from buergerkontakt.directory_auth.models import GroupRoleMapping
from tests.core.test_auth import sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_auth_grouprolemapping_changelist"


@pytest.fixture
def two_mappings(org):
    own = GroupRoleMapping.objects.create(group="jc-eigene-gruppe", role=Role.CASEWORKER,
                                          authority=org.authority, team=org.team)
    other = GroupRoleMapping.objects.create(group="andere-behoerde-gruppe", role=Role.CASEWORKER,
                                            authority=org.other_authority, team=org.other_team)
    return own, other


def test_an_administrator_sees_and_adds_mappings_of_their_own_authority_only(client, org, two_mappings):
    own, other = two_mappings
    sign_in(client, org.users["admin"])
    body = client.get(reverse(CHANGELIST)).text
    assert own.group in body and other.group not in body
    change_other = reverse("admin:directory_auth_grouprolemapping_change", args=[other.pk])
    assert client.get(change_other).status_code in (302, 404)
    add = client.get(reverse("admin:directory_auth_grouprolemapping_add")).text
    assert str(Role.REGISTER_KEEPER.label) not in add and str(Role.DPO.label) not in add
    assert str(Role.CASEWORKER.label) in add


@pytest.mark.parametrize("role", ["caseworker", "teamlead", "agent", "security", "register_keeper"])
def test_other_roles_cannot_open_the_mappings(client, org, two_mappings, role):
    user = next(u for u in org.users.values() if u.role_assignments.filter(role=role).exists())
    sign_in(client, user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302 and "login" in response["Location"]  # the admin stays closed


def test_the_dpo_may_look_but_not_change(client, org, two_mappings):
    dpo = next(u for u in org.users.values() if u.role_assignments.filter(role=Role.DPO).exists())
    sign_in(client, dpo)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:directory_auth_grouprolemapping_add")).status_code == 403
