"""Telephone numbers of callers: validated with ``phonenumbers`` (German numbers without +49).

The parsing lives in ``core.phones`` (staff's alarm mobile numbers use it too); this module turns an
invalid number into the callback services' German error."""

from __future__ import annotations

from buergerkontakt.core.phones import MAX_INPUT_LENGTH, REGION, InvalidNumber, display, is_mobile, masked
from buergerkontakt.core.phones import normalise as _normalise

from .exceptions import InvalidPhone

__all__ = ["MAX_INPUT_LENGTH", "REGION", "display", "is_mobile", "masked", "normalise"]


def normalise(raw: str | None) -> str:
    """E.164 (``+4969123456``) of a valid number; :class:`InvalidPhone` (German message) otherwise."""
    try:
        return _normalise(raw)
    except InvalidNumber:
        raise InvalidPhone() from None
