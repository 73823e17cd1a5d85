"""The one signed-link mechanism for citizens' links (appointments, waitlist, callbacks).

A link carries an object's public code and a token ``<expiry>.<signature>``: the expiry in hex Unix
seconds, the signature an HMAC (SECRET_KEY, a salt per app) over code, purpose and expiry. The
signature makes the link unforgeable, the expiry makes it useless afterwards; the token is short
enough for an SMS (≈ 35 characters). Each app declares a :class:`LinkScheme` with its purposes – when
a purpose's links expire, which URL they open and how the code finds the object – and its own German
error messages (a subclass of its user-facing error for "invalid" and "expired").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

MAX_TOKEN_LENGTH = 120
MAX_CODE_LENGTH = 20


@dataclass(frozen=True)
class Purpose:
    expires: Callable[[object], datetime]  # when a link made now for this object stops working
    url_name: str                          # URL pattern with the code as its argument
    find: Callable[[str], object | None]   # the object for a (normalised) code, or None


class LinkScheme:
    def __init__(self, salt: str, purposes: dict[str, Purpose], *, code_of: Callable[[object], str],
                 invalid: type[Exception], expired: type[Exception], url_kwarg: str = "code") -> None:
        self.salt = salt
        self.url_kwarg = url_kwarg
        self.purposes = purposes
        self.code_of = code_of
        self.invalid = invalid
        self.expired = expired

    def _signature(self, code: str, purpose: str, expiry: str) -> str:
        return signing.Signer(salt=self.salt).signature(f"{code}.{purpose}.{expiry}")

    def make_token(self, obj, purpose: str) -> str:
        if purpose not in self.purposes:
            raise ValueError(purpose)
        expiry = format(int(self.purposes[purpose].expires(obj).timestamp()), "x")
        return f"{expiry}.{self._signature(self.code_of(obj), purpose, expiry)}"

    def check_token(self, code: str, token: str, purpose: str, *, now: datetime | None = None):
        """The object the link is for; ``invalid`` or ``expired`` (the app's errors) otherwise."""
        code = (code or "").strip().upper()
        token = (token or "").strip()
        expiry, _sep, signature = token.partition(".")
        if (purpose not in self.purposes or not signature or len(token) > MAX_TOKEN_LENGTH
                or len(code) > MAX_CODE_LENGTH):
            raise self.invalid()
        if not signing.constant_time_compare(self._signature(code, purpose, expiry), signature):
            raise self.invalid()
        try:
            expires = datetime.fromtimestamp(int(expiry, 16), tz=timezone.get_current_timezone())
        except (ValueError, OverflowError, OSError):
            raise self.invalid() from None
        if expires < (now or timezone.now()):
            raise self.expired()
        found = self.purposes[purpose].find(code)
        if found is None:
            raise self.invalid()
        return found

    def url(self, obj, purpose: str, *, absolute: bool = True) -> str:
        """``<path>?t=<token>``, absolute with ``SITE_URL`` for e-mails and SMS."""
        path = reverse(self.purposes[purpose].url_name, kwargs={self.url_kwarg: self.code_of(obj)})
        full = f"{path}?t={self.make_token(obj, purpose)}"
        return settings.SITE_URL + full if absolute else full


def end_of_local_day(moment: datetime) -> datetime:
    """23:59:59 of the Berlin day of ``moment`` (links valid "until the end of the day")."""
    return timezone.localtime(moment).replace(hour=23, minute=59, second=59, microsecond=0)


class PublicCodeConverter:
    """The 8-character public codes of appointments and waitlist entries/offers (no 0/O/1/I/l)."""

    regex = "[2-9A-HJ-NP-Za-hj-np-z]{8}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value
