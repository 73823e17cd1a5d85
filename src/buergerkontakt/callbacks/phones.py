"""Telephone numbers of callers: validated with ``phonenumbers`` (German numbers without +49)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from .exceptions import InvalidPhone

REGION = "DE"
MAX_INPUT_LENGTH = 30


def normalise(raw: str | None) -> str:
    """E.164 (``+4969123456``) of a valid number; :class:`InvalidPhone` (German message) otherwise."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parsed(e164: str):
    try:
        return phonenumbers.parse(e164, REGION)
    except NumberParseException:
        return None


def display(e164: str) -> str:
    """``069 123456`` for German numbers, ``+43 1 234567`` for others (the raw value if unparsable)."""
    number = _parsed(e164)
    if number is None:
        return e164
    if phonenumbers.region_code_for_number(number) == REGION:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def is_mobile(e164: str) -> bool:
    """True for mobile numbers (an SMS can reach them)."""
    number = _parsed(e164)
    return number is not None and phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def masked(e164: str) -> str:
    """For the citizen's status page: only the last three digits (``… 678``)."""
    return f"… {e164[-3:]}" if len(e164) > 3 else "…"
