"""Removing a location set up by mistake, or one that closes (issue 26 defect 6, 2026-12-04).

``retire_or_delete_location`` is the one write path (the location admin's action calls it). It
refuses only while live work exists there – an app above ``core`` says what is live (upcoming
appointments, …) and what it can clear away first (schedules, empty time units) by registering a
check and a clean-up when it loads (``register``); ``core`` never imports those apps. Afterwards the
location is deleted; when history still refers to it (past appointments, alarms, incident reports,
teams) it is *retired* instead: hidden from the public, no online bookings, marked "außer Betrieb".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ServiceError
from .locks import for_update
from .models import Location

RETIRED_MARK = "außer Betrieb"

# (location, now) → German reasons why it cannot go yet (live work); and clean-ups before deleting.
_checks: list[Callable[[Location, datetime], list[str]]] = []
_cleanups: list[Callable[[Location, datetime], None]] = []


def register(*, check: Callable[[Location, datetime], list[str]] | None = None,
             cleanup: Callable[[Location, datetime], None] | None = None) -> None:
    if check is not None and check not in _checks:
        _checks.append(check)
    if cleanup is not None and cleanup not in _cleanups:
        _cleanups.append(cleanup)


class RetirementRefused(ServiceError):
    """Live work still depends on the object; ``message`` says what (German)."""

    def __init__(self, message: str):
        super().__init__(message, status_code=409)


@dataclass(frozen=True)
class Outcome:
    name: str
    deleted: bool  # False: retired (history refers to it)


def retired_name(name: str, max_length: int = 200) -> str:
    mark = f" ({RETIRED_MARK})"
    return name if name.endswith(mark) else name[: max_length - len(mark)] + mark


def retire_or_delete_location(location: Location | int, *, now: datetime | None = None) -> Outcome:
    """Delete the location, or retire it when history refers to it; :class:`RetirementRefused`
    while live work exists (nothing is changed then)."""
    now = now or timezone.now()
    pk = location.pk if isinstance(location, Location) else int(location)
    with transaction.atomic():
        current = for_update(Location.objects.filter(pk=pk)).get()
        reasons = [reason for check in _checks for reason in check(current, now)]
        if reasons:
            raise RetirementRefused(
                _("„%(name)s“ bleibt bestehen: %(reasons)s")
                % {"name": current.name, "reasons": " ".join(reasons)})
        for cleanup in _cleanups:
            cleanup(current, now)
        name = current.name
        try:
            with transaction.atomic():
                current.delete()
        except (ProtectedError, RestrictedError):
            pass
        else:
            return Outcome(name, deleted=True)
        current.is_public = False
        current.offers_online_booking = False
        current.offers_online_callback = False
        current.name = retired_name(current.name)
        current.save(update_fields=["is_public", "offers_online_booking", "offers_online_callback", "name"])
        return Outcome(name, deleted=False)
