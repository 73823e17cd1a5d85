"""Proof of work against booking bots (ALTCHA), without any third-party service.

The server hands out a signed challenge (HMAC with a key derived from SECRET_KEY), the browser's
ALTCHA widget (npm ``altcha``, CSP-safe build from ``dist/external``) solves it in a web worker
and posts the payload with the form. :func:`verify_payload` checks signature, expiry and solution
and accepts each solved challenge only once (its signature is remembered in the cache until the
challenge expires), so a solution cannot be replayed for a second booking.

Cost is configurable (``ALTCHA_COST``): the default makes a phone solve it in about a second,
while a bot making thousands of bookings pays for each one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta

import altcha
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

ALGORITHM = "PBKDF2/SHA-256"
REPLAY_PREFIX = "altcha-used:"


def _hmac_secret() -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"buergerkontakt-altcha", hashlib.sha256).hexdigest()


def new_challenge(*, now: datetime | None = None) -> dict:
    """A fresh signed challenge, as the JSON the widget expects."""
    now = now or datetime.now(UTC)
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.ALTCHA_COST,
        expires_at=now + timedelta(seconds=settings.ALTCHA_TTL_SECONDS),
        hmac_secret=_hmac_secret(),
    )
    return challenge.to_dict()


def verify_payload(payload: str | None) -> bool:
    """True exactly once for a valid, unexpired, correctly solved challenge."""
    if not payload or len(payload) > 4096:
        return False
    try:
        parsed = altcha.Payload.from_base64(payload)
        result = altcha.verify_solution(parsed, _hmac_secret())
    except (ValueError, KeyError, TypeError) as exc:  # malformed base64 / JSON / fields
        log.info("altcha payload rejected: %s", type(exc).__name__)
        return False
    if not result.verified:
        return False
    # One booking per solved challenge: remember the signature until the challenge expires.
    key = REPLAY_PREFIX + parsed.challenge.signature
    return cache.add(key, 1, timeout=settings.ALTCHA_TTL_SECONDS + 60)
