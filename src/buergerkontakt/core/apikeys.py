"""Partner API keys: created in the admin (shown once), scoped, revocable, checked in constant
time by digest. ``CALLBACK_API_KEYS`` from the environment still works for installations that
configure keys outside the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ApiKey, Authority

# Keys configured in the environment, per scope (``authority-slug=key`` entries).
ENV_KEYS = {ApiKey.Scope.CALLBACKS: "CALLBACK_API_KEYS", ApiKey.Scope.TELEPHONY: "TELEPHONY_API_KEYS"}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(record: ApiKey) -> str:
    """Give an unsaved key record a new secret; returns the secret (shown once, never stored)."""
    key = "bk_" + secrets.token_urlsafe(32)
    record.prefix, record.key_hash = key[:8], digest(key)
    return key


def create_key(authority: Authority, name: str, scopes: list[str], expires_at=None) -> tuple[ApiKey, str]:
    record = ApiKey(authority=authority, name=name, scopes=list(scopes), expires_at=expires_at)
    key = issue(record)
    record.save()
    return record, key


def revoke(record: ApiKey) -> None:
    ApiKey.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


class WrongScope(Exception):
    """A valid key without the scope the operation needs."""


def authority_for(key: str | None, scope: str) -> Authority | None:
    """The authority a key belongs to; None for an unknown, revoked or expired key. Raises
    :class:`WrongScope` for a valid key without ``scope``."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    record = (
        ApiKey.objects.filter(key_hash=digest(key), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("authority")
        .first()
    )
    if record is not None:
        if scope not in record.scopes:
            raise WrongScope
        ApiKey.objects.filter(pk=record.pk).update(last_used_at=now)
        return record.authority
    given = digest(key)
    found = None
    for entry in getattr(settings, ENV_KEYS.get(scope, ""), ()):
        slug, _sep, secret = entry.partition("=")
        if secret and hmac.compare_digest(digest(secret.strip()), given):
            found = slug.strip()
    return Authority.objects.filter(slug=found).first() if found else None


def is_verified(key: str | None) -> bool:
    """Whether ``key`` is a partner key in force (any scope): a stored key that is neither revoked
    nor expired, or one configured in the environment. Only such a key exempts a request from the
    public write limit; the header alone proves nothing."""
    if not key or len(key) > 200:
        return False
    given = digest(key)
    now = timezone.now()
    if (ApiKey.objects.filter(key_hash=given, revoked_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exists()):
        return True
    found = False
    for setting in ENV_KEYS.values():
        for entry in getattr(settings, setting, ()):
            _slug, _sep, secret = entry.partition("=")
            if secret and hmac.compare_digest(digest(secret.strip()), given):
                found = True
    return found
