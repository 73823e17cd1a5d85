"""Load the demo data: the organisation first, then each app's step in the order of the apps.

Idempotent: every step looks its objects up first (or stops when its marker exists), so running it
again changes nothing – or, days later, only adds what the days in between need.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from .offices import build_buergerbuero, build_jobcenter
from .steps import alarms, appointments, callbacks, incidents, reports, telephony, waitlist, walkin

# Later steps build on earlier ones: walk-in check-ins need booked appointments, the telephony demo
# callers with open tickets, and the reports history runs last over every other app's data.
STEPS: tuple[Callable[[], None], ...] = (
    appointments.appointments_demo,
    waitlist.waitlist_demo,
    walkin.queue_demo,
    callbacks.callbacks_demo,
    alarms.alarm_demo,
    incidents.incidents_demo,
    telephony.telephony_demo,
    reports.reports_demo,
)


@transaction.atomic
def load_demo() -> None:
    build_jobcenter()
    build_buergerbuero()
    for step in STEPS:
        step()
