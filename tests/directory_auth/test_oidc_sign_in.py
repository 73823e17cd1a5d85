"""OpenID Connect sign-in against a real provider process (django-oauth-toolkit): discovery, code +
PKCE, signed ID token, groups → roles at every sign-in, MFA from ``amr``, German errors, logout."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from buergerkontakt.core.models import Role, RoleAssignment, User
from buergerkontakt.directory_auth.models import DirectoryAccount, IdentityProviderDevice

from .conftest import use_oidc
from .oidc import sign_in_at_provider

pytestmark = pytest.mark.django_db

SCHULZ = {"username": "petra.schulz", "first_name": "Petra", "last_name": "Schulz",
          "email": "petra.schulz@musterstadt.example", "groups": ["jc-sachbearbeitung", "provider-mfa"]}


def oidc_sign_in(client, username: str):
    start = client.get(reverse("directory_auth:oidc_start"))
    assert start.status_code == 302
    return client.get(sign_in_at_provider(start["Location"], username))


def test_sign_in_with_provider_mfa_lands_on_staff_home_with_the_mapped_role(client, oidc_settings,
                                                                             mappings):
    oidc_settings.setup(people=[SCHULZ])

    response = oidc_sign_in(client, "petra.schulz")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_home")
    home = client.get(reverse("core:staff_home"))
    assert home.status_code == 200
    assert "Sachbearbeitung" in home.text
    user = User.objects.get(username="petra.schulz")
    assert (user.first_name, user.last_name, user.email) == ("Petra", "Schulz", SCHULZ["email"])
    assert not user.has_usable_password()
    account = user.directory_account
    assert account.kind == DirectoryAccount.Kind.OIDC
    assert account.external_id == f"{oidc_settings.issuer}|{user.directory_account.external_id.split('|')[1]}"
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", "team_id")) == {
        (Role.CASEWORKER, mappings.team.pk)}
    # No local TOTP: the provider's second factor verified the session.
    assert IdentityProviderDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_authorization_request_uses_pkce_and_a_nonce(client, oidc_settings):
    start = client.get(reverse("directory_auth:oidc_start"))
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["nonce"] and query["state"]
    assert query["response_type"] == ["code"]


def test_token_without_mfa_claim_is_asked_for_the_local_totp(client, oidc_settings, mappings):
    oidc_settings.setup(people=[{**SCHULZ, "username": "otto.ohnemfa", "groups": ["jc-sachbearbeitung"]}])

    response = oidc_sign_in(client, "otto.ohnemfa")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:login_enrol")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("core:login_enrol")).status_code == 200


def test_no_mapped_group_is_refused_with_the_german_message(client, oidc_settings, mappings):
    oidc_settings.setup(people=[{**SCHULZ, "username": "rolf.ohnerolle", "groups": ["provider-mfa"]}])

    response = oidc_sign_in(client, "rolf.ohnerolle")

    assert response.status_code == 403
    assert "Ihr Konto hat noch keine Rolle in Bürgerkontakt" in response.text
    assert "_auth_user_id" not in client.session


def test_removed_from_the_group_loses_access_at_the_next_sign_in(client, oidc_settings, mappings):
    oidc_settings.setup(people=[{**SCHULZ, "username": "lea.geht"}])
    assert oidc_sign_in(client, "lea.geht").status_code == 302
    client.post(reverse("core:logout"))

    oidc_settings.setup(people=[{**SCHULZ, "username": "lea.geht", "groups": ["provider-mfa"]}])
    response = oidc_sign_in(client, "lea.geht")

    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user__username="lea.geht").exists()


def test_a_forged_return_is_refused(client, oidc_settings):
    client.get(reverse("directory_auth:oidc_start"))
    response = client.get(reverse("directory_auth:oidc_callback"), {"code": "abc", "state": "forged"})
    assert response.status_code == 400
    assert "Die Anmeldung über Ihr Dienstkonto ist fehlgeschlagen" in response.text


def test_a_local_account_with_the_same_name_is_not_taken_over(client, oidc_settings, mappings, org):
    local = org.users["caseworker"]
    oidc_settings.setup(people=[{**SCHULZ, "username": local.username}])

    assert oidc_sign_in(client, local.username).status_code == 302

    local.refresh_from_db()
    assert not hasattr(local, "directory_account") or local.directory_account is None
    assert User.objects.filter(username__startswith=f"{local.username}.",
                               directory_account__isnull=False).exists()


def test_logout_ends_the_provider_session_too(client, oidc_settings, mappings):
    oidc_settings.setup(people=[SCHULZ])
    oidc_sign_in(client, "petra.schulz")

    response = client.post(reverse("core:logout"))

    assert response.status_code == 200
    end_session = re.search(r'<a href="([^"]+)">Weiter zum Anmeldedienst', response.text).group(1)
    target = urlparse(end_session.replace("&amp;", "&"))
    assert f"{target.scheme}://{target.netloc}{target.path}".startswith(oidc_settings.issuer)
    query = parse_qs(target.query)
    assert query["id_token_hint"] and query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert "_auth_user_id" not in client.session


def test_unreachable_provider_gives_the_german_message(client, settings, oidc_provider):
    use_oidc(settings, {**oidc_provider.env(), "OIDC_DISCOVERY_URL": "http://127.0.0.1:9/.well-known/x"})
    response = client.get(reverse("directory_auth:oidc_start"))
    assert response.status_code == 503
    assert "Der Anmeldedienst Ihrer Behörde ist gerade nicht erreichbar" in response.text


def test_sign_in_page_offers_the_service_account_first_only_when_configured(client, settings, oidc_provider):
    page = client.get(reverse("core:login")).text
    assert "Mit Dienstkonto anmelden" not in page
    use_oidc(settings, oidc_provider.env())
    page = client.get(reverse("core:login")).text
    assert page.index("Mit Dienstkonto anmelden") < page.index('name="password"')


def test_an_id_token_not_signed_by_the_provider_is_refused(oidc_settings):
    import time

    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    from buergerkontakt.directory_auth import oidc

    now = int(time.time())
    claims = {"iss": oidc_settings.issuer, "sub": "1", "aud": "buergerkontakt", "iat": now, "exp": now + 300,
              "nonce": "n"}
    client = oidc.client()
    provider_kid = client.fetch_jwk_set()["keys"][0]["kid"]  # claims to be the provider's key
    forged = jwt.encode({"alg": "RS256", "kid": provider_kid}, claims, RSAKey.generate_key(2048))
    with pytest.raises(JoseError, match="signature"):
        client.parse_id_token({"id_token": forged}, nonce="n")
