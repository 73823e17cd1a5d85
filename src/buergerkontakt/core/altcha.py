"""Proof of work against booking bots (ALTCHA), without any third-party service.

The server hands out a signed challenge (HMAC with a key derived from SECRET_KEY), the browser's
ALTCHA widget (npm ``altcha``, CSP-safe build from ``dist/external``) solves it in a web worker
and posts the payload with the form. :func:`verify_payload` checks signature, expiry and solution
and accepts each solved challenge only once (its signature is remembered in the cache until the
challenge expires), so a solution cannot be replayed for a second booking.

Cost is configurable (``ALTCHA_COST``): the default makes a phone solve it in about a second,
while a bot making thousands of bookings pays for each one. The cost rises with demand (ADR 0015):
each client's first ``ALTCHA_FREE_CHALLENGES`` challenges in ``ALTCHA_WINDOW_SECONDS`` cost the
base, every further batch of that size doubles it, and while all clients together fetch more than
``ALTCHA_BUSY_PER_MINUTE`` a minute (a release peak) it doubles once more; ``ALTCHA_COST_MAX``
caps it. The cost is part of the signed challenge, so a client cannot lower it.
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


def cost_for(client: str | None) -> int:
    """The cost of the next challenge for ``client`` (its address), counting this one."""
    from . import ratelimit

    base = settings.ALTCHA_COST
    doublings = 0
    free = max(1, settings.ALTCHA_FREE_CHALLENGES)
    if client:
        fetched = ratelimit.count("altcha_client", client, period_seconds=settings.ALTCHA_WINDOW_SECONDS)
        doublings += max(0, fetched - 1) // free
    busy = settings.ALTCHA_BUSY_PER_MINUTE
    if busy > 0 and ratelimit.count("altcha_all", "all", period_seconds=60) > busy:
        doublings += 1
    return max(1, min(base * 2 ** min(doublings, 20), max(base, settings.ALTCHA_COST_MAX)))


def new_challenge(*, now: datetime | None = None, client: str | None = None) -> dict:
    """A fresh signed challenge, as the JSON the widget expects; its cost for ``client`` (the
    address asking) follows :func:`cost_for`."""
    now = now or datetime.now(UTC)
    challenge = altcha.create_challenge(
        ALGORITHM,
        cost_for(client),
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
