"""LDAP / Active Directory sign-in against a real slapd: provisioning, nested groups, mapping at every
sign-in, German errors, StartTLS, django-axes lockout, break-glass local accounts."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from buergerkontakt.core.models import Role, RoleAssignment, User
from buergerkontakt.directory_auth.models import DirectoryAccount, GroupRoleMapping, MappedAssignment
from tests.factories import PASSWORD

from .conftest import ldap_env, use_ldap
from .slapd import DEMO_PASSWORD, Slapd, person_dn

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=DEMO_PASSWORD):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def roles(user) -> set[tuple[str, int | None, int | None]]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", "location_id", "team_id"))


def test_first_sign_in_provisions_the_account_with_attributes_and_nested_group_role(
        client, ldap_settings, mappings):
    response = sign_in(client, "anna.schmidt")

    # LDAP sign-ins keep the local second factor: first time, enrolment of the authenticator app.
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login_enrol")
    user = User.objects.get(username="anna.schmidt")
    assert (user.first_name, user.last_name) == ("Anna", "Schmidt")
    assert user.email == "anna.schmidt@musterstadt.example"
    assert user.phone == "+49 30 1234-101"
    assert not user.has_usable_password()
    assert user.authority == mappings.authority
    account = user.directory_account
    assert account.kind == DirectoryAccount.Kind.LDAP
    assert account.external_id.lower() == person_dn("anna.schmidt").lower()
    assert account.department == "Leistung"
    # Only through the nested group jc-team-leistung-1 ⊂ jc-sachbearbeitung.
    assert roles(user) == {(Role.CASEWORKER, None, mappings.team.pk)}
    assert list(user.teams.all()) == [mappings.team]
    assert MappedAssignment.objects.filter(assignment__user=user).count() == 1


def test_a_mover_loses_the_mapped_role_at_the_next_sign_in_but_keeps_manual_ones(
        client, ldap_settings, mappings, slapd):
    assert sign_in(client, "bernd.keller").status_code == 302
    bernd = User.objects.get(username="bernd.keller")
    team = mappings.team.pk
    assert roles(bernd) == {(Role.CASEWORKER, None, team), (Role.TEAMLEAD, None, team)}
    keeper = RoleAssignment.objects.create(user=bernd, role=Role.REGISTER_KEEPER,
                                           authority=mappings.authority)

    slapd.remove_member("jc-teamleitung-leistung-1", "bernd.keller")
    client.logout()
    assert sign_in(client, "bernd.keller").status_code == 302

    assert roles(bernd) == {(Role.CASEWORKER, None, mappings.team.pk), (Role.REGISTER_KEEPER, None, None)}
    assert RoleAssignment.objects.filter(pk=keeper.pk).exists()


def test_a_leaver_removed_from_every_mapped_group_is_refused_with_the_german_message(
        client, ldap_settings, mappings, slapd):
    assert sign_in(client, "anna.schmidt").status_code == 302
    slapd.remove_member("jc-team-leistung-1", "anna.schmidt")
    client.logout()

    response = sign_in(client, "anna.schmidt")

    assert response.status_code == 200
    assert "Ihr Konto hat noch keine Rolle" in response.text
    anna = User.objects.get(username="anna.schmidt")
    assert roles(anna) == set()
    assert not anna.teams.exists()
    assert "_auth_user_id" not in client.session


def test_no_mapped_group_gives_the_no_role_message(client, ldap_settings, mappings):
    response = sign_in(client, "carla.neu")
    assert response.status_code == 200
    assert "Ihr Konto hat noch keine Rolle in Bürgerkontakt. Bitte wenden Sie sich an" in response.text
    assert User.objects.filter(username="carla.neu", role_assignments__isnull=True).exists()


def test_wrong_password_and_unknown_user_get_the_same_message_and_lock_out(client, ldap_settings,
                                                                           mappings, settings):
    settings.AXES_FAILURE_LIMIT = 3
    unknown = sign_in(client, "niemand", "irgendwas-falsch")
    assert "Benutzername oder Passwort ist falsch" in unknown.text
    first = sign_in(client, "anna.schmidt", "falsch-falsch")
    assert first.status_code == 200
    assert "Benutzername oder Passwort ist falsch" in first.text
    sign_in(client, "anna.schmidt", "falsch-falsch")
    locked = sign_in(client, "anna.schmidt", "falsch-falsch")
    assert locked.status_code == 429
    # Locked out: even the right password does not get through now.
    assert sign_in(client, "anna.schmidt").status_code == 429


def test_unreachable_directory_gives_its_own_message_and_break_glass_account_still_works(
        client, settings, org, tmp_path):
    dead = Slapd(tmp_path / "never-started")  # a free port nobody listens on
    use_ldap(settings, ldap_env(dead))
    settings.AXES_ENABLED = True

    response = sign_in(client, "anna.schmidt")
    assert response.status_code == 200
    assert "Der Verzeichnisdienst ist gerade nicht erreichbar" in response.text

    local = sign_in(client, org.users["admin"].username, PASSWORD)
    assert local.status_code == 302


def test_local_accounts_can_be_switched_off(client, ldap_settings, org, settings):
    settings.LOCAL_LOGIN_ENABLED = False
    response = sign_in(client, org.users["admin"].username, PASSWORD)
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch" in response.text


def test_starttls_is_used_when_the_directory_demands_it(client, settings, mappings, tmp_path):
    server = Slapd(tmp_path / "tls", require_tls=True).start()
    try:
        use_ldap(settings, ldap_env(server))
        plain = sign_in(client, "anna.schmidt")
        assert plain.status_code == 200  # slapd: "confidentiality required"
        assert not User.objects.filter(username="anna.schmidt").exists()

        use_ldap(settings, ldap_env(server, LDAP_START_TLS="true"))
        assert sign_in(client, "anna.schmidt").status_code == 302
        assert User.objects.filter(username="anna.schmidt").exists()
    finally:
        server.stop()


def test_register_keeper_and_dpo_cannot_be_mapped(org):
    for role in (Role.REGISTER_KEEPER, Role.DPO):
        mapping = GroupRoleMapping(group="g", role=role, authority=org.authority)
        with pytest.raises(Exception, match="nur von der Administration"):
            mapping.full_clean()
    with pytest.raises(IntegrityError):
        GroupRoleMapping.objects.create(group="g", role=Role.REGISTER_KEEPER, authority=org.authority)


def test_a_local_account_of_the_same_name_is_not_taken_over(client, ldap_settings, mappings):
    from tests.factories import make_user

    local = make_user("bernd.keller", mappings.authority, Role.ADMIN, last_name="Lokal")

    assert sign_in(client, "bernd.keller").status_code == 200  # the directory password: refused
    local.refresh_from_db()
    assert local.last_name == "Lokal" and not DirectoryAccount.objects.filter(user=local).exists()
    assert sign_in(client, "bernd.keller", PASSWORD).status_code == 302  # its own password still works
