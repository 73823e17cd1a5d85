"""Issue 20 item 3: an authority administrator must not escalate himself. Register-keeper and DPO
roles are granted only through a role request approved by a second person (the DPO of the
authority or the operator), never to oneself; nobody grants himself any role; administrators
cannot reset the password or second factor of register/DPO holders. Each path is refused and
logged (ids only)."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerkontakt.core.models import Role, RoleAssignment, RoleRequest, User
from tests.core.test_auth import add_device, sign_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db
SECURITY_LOGGER = "buergerkontakt.security"


@pytest.fixture
def refusals(caplog):
    caplog.set_level(logging.WARNING, logger=SECURITY_LOGGER)
    return lambda: [r for r in caplog.records if r.name == SECURITY_LOGGER]


def add_assignment(client, user, role, authority):
    return client.post(
        reverse("admin:core_roleassignment_add"),
        {"user": user.pk, "role": role, "authority": authority.pk},
    )


@pytest.mark.parametrize("role", [Role.REGISTER_KEEPER, Role.DPO])
def test_administrator_cannot_assign_register_or_dpo_roles_directly(client, org, refusals, role):
    admin = org.users["admin"]
    sign_in(client, admin)
    for target, message in ((admin, "sich selbst"), (org.users["caseworker"], "Rollenantrag")):
        response = add_assignment(client, target, role, org.authority)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not RoleAssignment.objects.filter(user=target, role=role).exists()
    assert len(refusals()) == 2
    assert "caseworker" not in refusals()[1].getMessage()  # ids only, no names


def test_nobody_grants_himself_a_role(client, org, refusals):
    admin = org.users["admin"]
    sign_in(client, admin)
    response = add_assignment(client, admin, Role.TEAMLEAD, org.authority)
    assert response.status_code == 200 and "sich selbst" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=admin, role=Role.TEAMLEAD).exists()
    # the same through the roles on the own user page
    response = client.post(
        reverse("admin:core_user_change", args=[admin.pk]),
        {
            "username": admin.username, "first_name": "A", "last_name": "B", "email": "",
            "authority": org.authority.pk, "job_title": "", "phone": "", "is_active": "on",
            "role_assignments-TOTAL_FORMS": "2", "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-0-id": RoleAssignment.objects.get(user=admin).pk,
            "role_assignments-0-user": admin.pk,
            "role_assignments-0-role": Role.ADMIN, "role_assignments-0-authority": org.authority.pk,
            "role_assignments-1-user": admin.pk,
            "role_assignments-1-role": Role.DPO, "role_assignments-1-authority": org.authority.pk,
        },
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=admin, role=Role.DPO).exists()
    assert len(refusals()) == 2


def test_a_role_request_needs_the_dpo_and_never_the_requester(client, org, refusals):
    admin, dpo, worker = org.users["admin"], org.users["dpo"], org.users["caseworker"]
    sign_in(client, admin)
    # for oneself: refused
    response = client.post(
        reverse("admin:core_rolerequest_add"),
        {"user": admin.pk, "role": Role.REGISTER_KEEPER, "authority": org.authority.pk},
    )
    assert response.status_code == 200 and not RoleRequest.objects.exists()
    response = client.post(
        reverse("admin:core_rolerequest_add"),
        {"user": worker.pk, "role": Role.REGISTER_KEEPER, "authority": org.authority.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = RoleRequest.objects.get()
    assert request.requested_by == admin and request.status == RoleRequest.Status.REQUESTED
    changelist = reverse("admin:core_rolerequest_changelist")
    # the requesting administrator cannot approve it, nor can a second administrator
    client.post(changelist, {"action": "approve_requests", "_selected_action": [request.pk]})
    second_admin = make_user("admin2", org.authority, Role.ADMIN)
    client.logout()
    sign_in(client, second_admin)
    client.post(changelist, {"action": "approve_requests", "_selected_action": [request.pk]})
    assert not RoleAssignment.objects.filter(user=worker, role=Role.REGISTER_KEEPER).exists()
    assert RoleRequest.objects.get().status == RoleRequest.Status.REQUESTED
    assert len(refusals()) == 3
    # the DPO approves: the role is granted
    client.logout()
    sign_in(client, dpo)
    response = client.post(changelist, {"action": "approve_requests", "_selected_action": [request.pk]})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(
        user=worker, role=Role.REGISTER_KEEPER, authority=org.authority
    ).exists()
    decided = RoleRequest.objects.get()
    assert decided.status == RoleRequest.Status.APPROVED and decided.decided_by == dpo


def test_dpo_cannot_approve_a_request_for_himself(client, org, refusals):
    from buergerkontakt.core import roles

    dpo = org.users["dpo"]
    request = roles.request_role(org.users["admin"], dpo, Role.REGISTER_KEEPER, org.authority)
    with pytest.raises(roles.RoleError):
        roles.decide(dpo, request, approve=True)
    assert not RoleAssignment.objects.filter(user=dpo, role=Role.REGISTER_KEEPER).exists()


@pytest.mark.parametrize("holder", ["register_keeper", "dpo"])
def test_administrator_cannot_reset_credentials_of_register_or_dpo_holders(client, org, refusals, holder):
    target = org.users[holder]
    device = add_device(target)
    sign_in(client, org.users["admin"])
    response = client.get(f"/admin/core/user/{target.pk}/password/")
    assert response.status_code == 403
    response = client.post(
        f"/admin/core/user/{target.pk}/password/",
        {"password1": "Uebernahme-Passwort-2026", "password2": "Uebernahme-Passwort-2026"},
    )
    assert response.status_code == 403
    assert not User.objects.get(pk=target.pk).check_password("Uebernahme-Passwort-2026")
    client.post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [target.pk]},
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert len(refusals()) == 3
    # an ordinary case worker's password can still be reset by the administrator
    worker = org.users["caseworker"]
    assert client.get(f"/admin/core/user/{worker.pk}/password/").status_code == 200


ADMIN_PATHS = {
    "admin:core_rolerequest_changelist": {"admin", "dpo", "other_admin"},
    "admin:core_rolerequest_add": {"admin", "other_admin"},
    "admin:core_roleassignment_changelist": {"admin", "dpo", "other_admin"},
}


@pytest.mark.parametrize("name", list(ADMIN_PATHS))
def test_role_grant_pages_per_role(client, org, settings, name):
    """The access matrix of the role-grant pages in the admin (outside tests/security's page walk)."""
    settings.REQUIRE_2FA = False
    for who, user in org.users.items():
        client.force_login(user)
        response = client.get(reverse(name))
        if who in ADMIN_PATHS[name]:
            assert response.status_code == 200, (who, name)
        else:
            assert response.status_code in (302, 403), (who, name, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), (who, name)
        client.logout()
