"""Telephone numbers, validated with ``phonenumbers`` (German numbers may omit +49): one helper for
every app – callers' numbers for callbacks, staff's mobile numbers for the alarm's SMS fallback."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "DE"
MAX_INPUT_LENGTH = 30


class InvalidNumber(ValueError):
    """Not a valid telephone number."""


def normalise(raw: str | None) -> str:
    """E.164 (``+4969123456``) of a valid number; :class:`InvalidNumber` otherwise."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidNumber(text)
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise InvalidNumber(text) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(text)
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


def normalise_mobile(raw: str | None) -> str:
    """E.164 of a valid mobile number (one an SMS reaches); :class:`InvalidNumber` otherwise."""
    number = normalise(raw)
    if not is_mobile(number):
        raise InvalidNumber(number)
    return number


def sms_number(raw: str | None) -> str:
    """The E.164 mobile number of a stored value, or ``""`` when no SMS can reach it."""
    try:
        return normalise_mobile(raw)
    except InvalidNumber:
        return ""


def validate_mobile(value: str) -> None:
    """Model/form validator: a mobile number an SMS reaches (German or international)."""
    if value and not sms_number(value):
        raise ValidationError(
            _("Bitte geben Sie eine gültige Mobilnummer an, zum Beispiel 0151 23456789 oder "
              "+49 151 23456789 (keine Festnetz-Durchwahl)."),
            code="invalid_mobile",
        )
