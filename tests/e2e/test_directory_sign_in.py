"""Browser journeys: staff sign in with their service account – through the OpenID Connect provider
(a real provider process) and through LDAP (a real slapd) – and land on their staff home with the
mapped role; no role, bad passwords and lockout give the German pages."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.core.models import Role, User
from buergerkontakt.directory_auth.models import GroupRoleMapping
from tests.directory_auth.oidc import PROVIDER_PASSWORD, OIDCProvider
from tests.directory_auth.slapd import DEMO_PASSWORD, PEOPLE, Slapd, group_dn
from tests.factories import build_org
from tests.liveserver import LiveServer

KEY_HEX = "3132333435363738393031323334353637383930"


class DirectoryServer(LiveServer):
    """The platform with LDAP and OpenID Connect configured (and django-axes on)."""

    def __init__(self, mail_dir, extra: dict[str, str]):
        super().__init__(mail_dir)
        self.extra = extra

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra}


@pytest.fixture(scope="module")
def directory(django_db_setup, tmp_path_factory):
    folder = tmp_path_factory.mktemp("directory")
    slapd = Slapd(folder / "slapd").start()
    provider = OIDCProvider(folder / "provider").start()
    server = DirectoryServer(folder / "mail", {
        "LDAP_SERVER_URI": slapd.uri, "LDAP_BIND_DN": "cn=admin,dc=musterstadt,dc=example",
        "LDAP_BIND_PASSWORD": "slapd-admin-secret", "LDAP_USER_BASE": PEOPLE,
        "LDAP_USER_FILTER": "(uid=%(user)s)", "LDAP_GROUP_BASE": "ou=groups,dc=musterstadt,dc=example",
        **provider.env(), "AUTHLIB_INSECURE_TRANSPORT": "1",
        "AXES_ENABLED": "true", "LOGIN_FAILURE_LIMIT": "3",
    })
    (folder / "mail").mkdir()
    server.start()
    provider.setup(redirect_uris=[f"{server.url}/anmelden/dienstkonto/rueckkehr/"],
                   post_logout=[f"{server.url}/"])
    yield server, provider
    server.stop()
    provider.stop()
    slapd.stop()


@pytest.fixture
def office(transactional_db, directory):
    org = build_org()
    GroupRoleMapping.objects.create(group="jc-sachbearbeitung", role=Role.CASEWORKER,
                                    authority=org.authority, team=org.team)
    GroupRoleMapping.objects.create(group=group_dn("jc-teamleitung-leistung-1"), role=Role.TEAMLEAD,
                                    authority=org.authority, team=org.team)
    # The flush between tests gives content types new ids; a fresh server process forgets the old ones.
    directory[0].restart()
    return directory


def provider_sign_in(page, username: str) -> None:
    heading = "Anmeldung am Identitätsanbieter der Stadt Musterstadt"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_label("Konto").fill(username)
    page.get_by_label("Kennwort").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Anmelden beim Identitätsanbieter").click()


def test_oidc_sign_in_with_provider_mfa_lands_on_the_staff_home_and_signs_out_at_the_provider(
        office, page, axe):
    server, provider = office
    provider.setup(people=[{"username": "petra.schulz", "first_name": "Petra", "last_name": "Schulz",
                            "groups": ["jc-sachbearbeitung", "provider-mfa"]}])

    page.goto(server.url + "/mitarbeiter/")
    link = page.get_by_role("link", name="Mit Dienstkonto anmelden")
    expect(link).to_be_visible()
    axe(page)
    link.click()
    provider_sign_in(page, "petra.schulz")

    expect(page.get_by_role("heading", name="Mitarbeiterbereich")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/mitarbeiter/$"))
    expect(page.get_by_text("Sachbearbeitung – Team Leistung 1")).to_be_visible()

    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/(\?state=\w+)?$"))
    # The provider's session ended too: the next sign-in asks for the password again.
    page.goto(server.url + "/anmelden/")
    page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
    expect(page.get_by_label("Kennwort")).to_be_visible()

    # Removed from the group at the provider: no access at the next sign-in.
    provider.setup(people=[{"username": "petra.schulz", "groups": ["provider-mfa"]}])
    provider_sign_in(page, "petra.schulz")
    expect(page.get_by_role("heading", name="Anmeldung nicht möglich")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ihr Konto hat noch keine Rolle")
    axe(page)


def test_oidc_token_without_mfa_claim_is_asked_for_the_local_second_factor(office, page):
    server, provider = office
    provider.setup(people=[{"username": "otto.ohnemfa", "groups": ["jc-sachbearbeitung"]}])

    page.goto(server.url + "/anmelden/")
    page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
    provider_sign_in(page, "otto.ohnemfa")

    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()


def test_ldap_sign_in_keeps_the_local_totp_and_lands_with_the_mapped_role(office, page):
    server, _provider = office
    # The person has already connected an authenticator app (the account existed before).
    anna = User.objects.create_user("anna.schmidt")
    TOTPDevice.objects.create(user=anna, name="Authenticator-App", key=KEY_HEX, confirmed=True)

    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill("anna.schmidt")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Weiter").click()

    expect(page.get_by_role("heading", name="Sicherheitscode eingeben")).to_be_visible()
    page.get_by_label("Sicherheitscode").fill(f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}")
    page.get_by_label("Sicherheitscode").press("Enter")

    expect(page.get_by_role("heading", name="Mitarbeiterbereich")).to_be_visible()
    expect(page.get_by_text("Sachbearbeitung – Team Leistung 1")).to_be_visible()


def test_ldap_wrong_password_gives_the_german_error_and_locks_out(office, page):
    server, _provider = office
    page.goto(server.url + "/anmelden/")
    for _attempt in range(2):
        page.get_by_label("Benutzername").fill("bernd.keller")
        page.get_by_label("Passwort").fill("falsches-Passwort")
        page.get_by_role("button", name="Weiter").click()
        expect(page.get_by_text("Benutzername oder Passwort ist falsch")).to_be_visible()
    page.get_by_label("Benutzername").fill("carla.neu")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_text("Ihr Konto hat noch keine Rolle in Bürgerkontakt")).to_be_visible()

    page.get_by_label("Benutzername").fill("bernd.keller")
    page.get_by_label("Passwort").fill("falsches-Passwort")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("heading", name="Anmeldung vorübergehend gesperrt")).to_be_visible()
