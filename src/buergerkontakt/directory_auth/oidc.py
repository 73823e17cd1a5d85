"""OpenID Connect client (Authlib): discovery, authorization code + PKCE, signed ID tokens, logout.

Authlib fetches the provider's metadata from ``OIDC_DISCOVERY_URL``, sends the user to the
authorization endpoint with ``state``, ``nonce`` and a PKCE challenge (S256), exchanges the code
(client secret + code verifier) and verifies the ID token's signature against the provider's JWKS,
its issuer, audience, expiry and nonce. Only then are its claims used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from authlib.integrations.django_client import OAuth
from django.conf import settings

_clients: dict[tuple, Any] = {}


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_DISCOVERY_URL", "") and getattr(settings, "OIDC_CLIENT_ID", ""))


def client():
    """The Authlib client for the configured provider (its metadata and keys are cached with it)."""
    key = (settings.OIDC_DISCOVERY_URL, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET,
           settings.OIDC_SCOPES)
    if key not in _clients:
        _clients[key] = OAuth().register(
            "directory", client_id=settings.OIDC_CLIENT_ID, client_secret=settings.OIDC_CLIENT_SECRET,
            server_metadata_url=settings.OIDC_DISCOVERY_URL,
            client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256",
                           "timeout": settings.OIDC_TIMEOUT_SECONDS},
        )
    return _clients[key]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def groups_of(claims: dict) -> list[str]:
    return _as_list(claims.get(settings.OIDC_GROUPS_CLAIM))


def asserts_mfa(claims: dict) -> bool:
    """True when the provider says it checked a second factor (``amr`` or ``acr``, configurable)."""
    amr = {a.lower() for a in _as_list(claims.get("amr"))}
    if amr & {a.lower() for a in settings.OIDC_MFA_AMR}:
        return True
    acr = claims.get("acr")
    return bool(acr) and str(acr) in settings.OIDC_MFA_ACR
