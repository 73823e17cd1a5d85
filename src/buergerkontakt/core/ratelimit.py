"""Rate limits for public forms and the API (fixed windows in the cache).

With ``REDIS_URL`` the counters live in Redis and are shared by every worker process; without it
(the SQLite demo) each process counts for itself. Keys are hashed, so no e-mail address, phone
number or IP address is stored in the cache in clear text.

A limit of 0 switches a rule off (e.g. for the load benchmark, which sends thousands of bookings
from one address).
"""

from __future__ import annotations

import base64
import hashlib
import time

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The one message for every refusal by a rate limit (pages, API, the forms' own rules).
TOO_MANY = gettext_lazy("Zu viele Anfragen in kurzer Zeit. Bitte versuchen Sie es in einigen Minuten erneut.")


def client_ip(request) -> str:
    """The client's address. Behind ``PROXY_COUNT`` reverse proxies (the same setting the login
    throttling uses) it is the address the outermost trusted proxy saw, i.e. the ``PROXY_COUNT``-th
    entry of ``X-Forwarded-For`` from the right; entries further left are set by the client and
    can be forged, so they are never used."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(scope: str, subject: str, window: int) -> str:
    digest = hashlib.blake2b(f"{settings.SECRET_KEY}:{scope}:{subject}".encode(), digest_size=12).hexdigest()
    namespace = getattr(settings, "RATE_LIMIT_NAMESPACE", "")
    return f"rl:{namespace}{scope}:{digest}:{window}"


def count(scope: str, subject: str, *, period_seconds: int) -> int:
    """Count one event of ``subject`` in ``scope``; returns how many arrived in the current window
    of ``period_seconds`` (this one included)."""
    window = int(time.time() // period_seconds)
    key = _key(scope, subject, window)
    cache.add(key, 0, timeout=period_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period_seconds + 5)
        count = 1
    return count


def hit(scope: str, subject: str, *, limit: int, period_seconds: int) -> bool:
    """Count one request of ``subject`` in ``scope``; False once more than ``limit`` arrived in the
    current window of ``period_seconds``."""
    if limit <= 0 or not subject:
        return True
    return count(scope, subject, period_seconds=period_seconds) <= limit


def rule(name: str) -> tuple[int, int]:
    """(limit, period in seconds) of a configured rule, see ``RATE_LIMITS`` in the settings."""
    return settings.RATE_LIMITS[name]


def allow(name: str, subject: str) -> bool:
    limit, period = rule(name)
    return hit(name, subject, limit=limit, period_seconds=period)


# --- Every public write (SPEC §8) -------------------------------------------------------------
# Besides the rules of the individual forms above, every POST/PUT/PATCH/DELETE of a visitor who is
# not signed in counts against one rule per client address ("public_write_ip"), whatever page or
# API operation it goes to. Exceptions, each with its own protection:
#   * the sign-in steps: django-axes locks out after failed attempts (by account and address), and
#     a whole office signs in from one address at 8:00;
#   * kiosks in the waiting area issue tickets for everybody in the office: counted per kiosk
#     (its secret key in the URL), rule "kiosk_screen";
#   * partner systems calling the API with an API key (X-API-Key) that is in force – verified
#     against the stored digests before the exemption applies (a made-up, revoked or expired key
#     counts like no key; 2026-12-04, ADR 0015): authenticated, each key can be revoked;
#   * alarm devices with their device token (alarms/devices.py, 2026-12-04): verified the same way,
#     each device has its own limits ("device_alarm", "device_heartbeat").
SIGN_IN_VIEWS = frozenset({"core:login", "core:login_code", "core:login_enrol", "core:login_recovery",
                           "core:logout"})
PER_KIOSK_VIEWS = {"queue:kiosk": "key"}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"


def public_write_rule(request, user) -> tuple[str, str] | None:
    """(rule, subject) an unsafe request of ``user`` counts against, or None if none applies. A
    partner's API key is not looked at here: see :func:`exempt_partner`."""
    if request.method not in UNSAFE_METHODS:
        return None
    if user.is_authenticated:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "public_write_ip", client_ip(request)
    if match.view_name in SIGN_IN_VIEWS:
        return None
    if match.view_name in PER_KIOSK_VIEWS:
        return "kiosk_screen", str(match.kwargs.get(PER_KIOSK_VIEWS[match.view_name], ""))
    return "public_write_ip", client_ip(request)


# Further credentials of the API that exempt a request once verified, registered by their apps
# (the alarm devices' tokens, alarms/apps.py): (read the credential from a request, verify it).
CREDENTIALS: list[tuple] = []


def register_credential(read, verify) -> None:
    if (read, verify) not in CREDENTIALS:
        CREDENTIALS.append((read, verify))


def partner_key(request) -> str | None:
    """The API key of a request to the API, if it carries one (not yet verified): the header
    ``X-API-Key``, the password of HTTP Basic authentication, or the URL part ``api_key`` (for
    telephone systems that can only be given a URL)."""
    if not request.path_info.startswith(API_PREFIX):
        return None
    key = request.headers.get("X-API-Key") or basic_password(request) or _url_key(request)
    if key:
        return key
    for read, _verify in CREDENTIALS:
        found = read(request)
        if found:
            return found
    return None


def basic_password(request) -> str:
    """The password of an ``Authorization: Basic …`` header ("" without one)."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value or len(value) > 400:
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def _url_key(request) -> str:
    try:
        return str(resolve(request.path_info).kwargs.get("api_key", ""))
    except Resolver404:
        return ""


def exempt_partner(request) -> bool:
    """True for an API request with a verified partner key or registered credential (one database
    look-up, only for requests that carry one)."""
    from .apikeys import is_verified

    if not request.path_info.startswith(API_PREFIX):
        return False
    key = request.headers.get("X-API-Key") or basic_password(request) or _url_key(request)
    if key:
        return is_verified(key)
    for read, verify in CREDENTIALS:
        found = read(request)
        if found:
            return verify(found)
    return False


def _limited(request, user) -> bool:
    chosen = public_write_rule(request, user)
    if chosen is None:
        return False
    # Counted first; only a request over the limit that carries a key costs a look-up.
    return not allow(*chosen) and not exempt_partner(request)


def _too_many(request):
    from .views import error_response

    return error_response(request, 429, _("Zu viele Anfragen"), str(TOO_MANY))


@sync_and_async_middleware
def public_write_limit_middleware(get_response):
    """Answers 429 with a German message once a visitor's public writes exceed their rule. Safe
    requests pass straight through, without a thread switch in either mode."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            if request.method in UNSAFE_METHODS:
                chosen = public_write_rule(request, await request.auser())
                # Counted first; only a request over the limit that carries a key costs a look-up.
                if (chosen is not None and not allow(*chosen)
                        and not (partner_key(request) and await sync_to_async(exempt_partner)(request))):
                    return await sync_to_async(_too_many)(request)
            return await get_response(request)
    else:
        def middleware(request):
            if request.method in UNSAFE_METHODS and _limited(request, request.user):
                return _too_many(request)
            return get_response(request)
    return middleware
