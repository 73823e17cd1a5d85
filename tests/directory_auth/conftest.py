"""Fixtures: a real slapd with the demo directory, the LDAP settings pointing at it, group mappings."""

from __future__ import annotations

import os

import pytest

from buergerkontakt.directory_auth import conf

from .slapd import BASE, GROUPS, PEOPLE, Slapd, available, group_dn


def ldap_env(server: Slapd, **extra: str) -> dict[str, str]:
    env = {
        "LDAP_SERVER_URI": server.uri,
        "LDAP_BIND_DN": f"cn=admin,{BASE}",
        "LDAP_BIND_PASSWORD": "slapd-admin-secret",
        "LDAP_USER_BASE": PEOPLE,
        # Only members of the staff group (AD-like memberOf, kept by slapd's memberof overlay).
        "LDAP_USER_FILTER": f"(&(uid=%(user)s)(memberOf={group_dn('bk-alle')}))",
        "LDAP_GROUP_BASE": GROUPS,
        "LDAP_ATTR_DEPARTMENT": "departmentNumber",
        "LDAP_TIMEOUT_SECONDS": "3",
    }
    if server.ca_file:
        env["LDAP_CA_CERT_FILE"] = str(server.ca_file)
    env.update(extra)
    return env


def use_ldap(settings, env: dict[str, str]) -> None:
    for key, value in conf.ldap_settings(env).items():
        setattr(settings, key, value)
    settings.AUTHENTICATION_BACKENDS = conf.authentication_backends(env)


@pytest.fixture
def slapd(tmp_path):
    if not available():
        pytest.fail("Debian's slapd and ldap-utils are missing: run `make slapd`")
    server = Slapd(tmp_path / "slapd").start()
    yield server
    server.stop()


@pytest.fixture
def ldap_settings(settings, slapd):
    use_ldap(settings, ldap_env(slapd))
    settings.AXES_ENABLED = True
    return settings


@pytest.fixture
def mappings(org):
    from buergerkontakt.core.models import Role
    from buergerkontakt.directory_auth.models import GroupRoleMapping

    GroupRoleMapping.objects.create(group="jc-sachbearbeitung", role=Role.CASEWORKER,
                                    authority=org.authority, team=org.team)
    GroupRoleMapping.objects.create(group=group_dn("jc-teamleitung-leistung-1"), role=Role.TEAMLEAD,
                                    authority=org.authority, team=org.team)
    GroupRoleMapping.objects.create(group="jc-sicherheitsdienst", role=Role.SECURITY,
                                    authority=org.authority, location=org.location)
    return org


# The test provider speaks plain HTTP on 127.0.0.1; Authlib insists on HTTPS unless told otherwise.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

CALLBACK = "http://testserver/anmelden/dienstkonto/rueckkehr/"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    from .oidc import OIDCProvider

    provider = OIDCProvider(tmp_path_factory.mktemp("oidc-provider")).start()
    yield provider
    provider.stop()


def use_oidc(settings, env: dict[str, str]) -> None:
    for key, value in conf.oidc_settings(env).items():
        setattr(settings, key, value)


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    oidc_provider.setup(redirect_uris=[CALLBACK], post_logout=["http://testserver/"])
    use_oidc(settings, oidc_provider.env())
    settings.AXES_ENABLED = True
    return oidc_provider
