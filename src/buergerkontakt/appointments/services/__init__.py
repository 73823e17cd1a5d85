"""Appointments: the public write API, by concern, re-exported here.

* :mod:`.capacity` – materialising the time units from the schedules, releasing due capacity;
* :mod:`.booking` – hold, book, confirm the e-mail link, cancel, move a booking;
* :mod:`.details` – the citizen's details as a booking takes them;
* :mod:`.attendance` – check-in, no-show, visit completed;
* :mod:`.reminders` – reminder sent once, reconfirmation, cancellation when not reconfirmed;
* :mod:`.removal` – removing a service group or a location set up by mistake;
* :mod:`.privacy` – retention, access and erasure of the citizen's details.

The availability reads live in ``queries.py`` (re-exported here too, so callers of this package keep
working); the rules both share (which group serves a request, the booking window) in
``booking_rules.py``.

Capacity invariant
==================
For every :class:`~buergerkontakt.appointments.models.Slot` and each quota (online, internal)::

    0 <= used <= capacity
    used == number of AppointmentSlot rows on it whose appointment has that quota and
            capacity_released = False

Only the functions in this package change ``*_used``, and each runs in one transaction:

* **Booking** (:func:`hold_slot`) consumes one unit in each of the k consecutive slot rows
  (k = ceil(sum of the service durations / slot_minutes)). It locks the k rows with
  ``SELECT … FOR UPDATE ORDER BY id``, checks each has free capacity in the requested quota, then
  runs ``UPDATE slot SET used = used + 1 WHERE id IN (…) AND used < capacity`` and requires the
  row count to be exactly k; otherwise :class:`SlotUnavailable` rolls everything back, so nothing
  is ever half-booked. The ``CheckConstraint`` ``used <= capacity`` is the last line of defence: an
  ``IntegrityError`` becomes the same :class:`SlotUnavailable`.
* **Releasing** (:func:`release_due_capacity`) claims each due appointment with a conditional
  update of ``capacity_released`` (exactly once, even when two workers race) and decrements the
  counters of its units.
* **Seating**: a booking never runs across a drop in its quota's capacity (a counter closing), so
  the bookings of every unit can always be assigned to concrete counters without a hand-over
  (interval graphs are perfect; the proof and the counter-example without this rule are in the ADR).

Lock order (no deadlocks on PostgreSQL): per-person advisory locks (only :func:`confirm_booking`)
→ appointment rows in ascending id → slot rows in ascending id, each class taken in one statement.
On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (settings), so writers are
serialised and wait for each other up to the busy timeout. Why this design, and why per-unit
capacity = counters is enough to seat everybody at a concrete counter, is written down in
``docs/adr/0002-capacity-invariant.md``.

Expired holds, expired e-mail confirmations and cancellations whose release delay has passed are
*due*: the reads (:func:`free_starts`, :func:`availability`) already count them as free, and
:func:`hold_slot` releases the due appointments on the units it needs before it books, so a due
appointment never blocks a booking even when the periodic task has not run yet.

All functions take an optional ``now`` (aware datetime) for tests and simulations.
"""

from __future__ import annotations

from ..booking_rules import HOLDING, MAX_SERVICES_PER_APPOINTMENT, NOT_OFFERED_HERE, Status
from ..exceptions import BookingError, HoldExpired, SlotUnavailable
from ..queries import (
    EPOCH_DAY,
    DayAvailability,
    availability,
    bookable_range,
    bookable_services,
    check_day,
    free_starts,
    group_for,
    locations_for,
    online_location_ids,
    resolve_services,
)
from ..queries import _due_units as _due_units  # private, imported from here before the split
from .attendance import check_in, complete_appointment, mark_no_show
from .booking import (
    DETAIL_FIELDS,
    cancel_appointment,
    confirm_booking,
    confirm_pending,
    hold_slot,
    link_move,
    reschedule,
)
from .capacity import (
    RELEASE_BATCH,
    MaterializeResult,
    materialize_horizon,
    materialize_slots,
    release_due_capacity,
)
from .details import FIELD_LIMITS, normalise_phone, normalised_details
from .privacy import PERSONAL_BLANKS, erase_person, personal_data_of, purge_personal_data
from .reminders import cancel_unreconfirmed, reconfirm, send_reminder
from .removal import (
    Removal,
    clear_location,
    live_appointments_reason,
    location_live_work,
    retire_or_delete_group,
)

__all__ = [
    "DETAIL_FIELDS",
    "EPOCH_DAY",
    "FIELD_LIMITS",
    "HOLDING",
    "MAX_SERVICES_PER_APPOINTMENT",
    "NOT_OFFERED_HERE",
    "PERSONAL_BLANKS",
    "RELEASE_BATCH",
    "BookingError",
    "DayAvailability",
    "HoldExpired",
    "MaterializeResult",
    "Removal",
    "SlotUnavailable",
    "Status",
    "availability",
    "bookable_range",
    "bookable_services",
    "cancel_appointment",
    "cancel_unreconfirmed",
    "check_day",
    "check_in",
    "clear_location",
    "complete_appointment",
    "confirm_booking",
    "confirm_pending",
    "erase_person",
    "free_starts",
    "group_for",
    "hold_slot",
    "link_move",
    "live_appointments_reason",
    "location_live_work",
    "locations_for",
    "mark_no_show",
    "materialize_horizon",
    "materialize_slots",
    "normalise_phone",
    "normalised_details",
    "online_location_ids",
    "personal_data_of",
    "purge_personal_data",
    "reconfirm",
    "release_due_capacity",
    "reschedule",
    "resolve_services",
    "retire_or_delete_group",
    "send_reminder",
]
