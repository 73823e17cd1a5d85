"""Outside the demo, half an hour after midnight in Berlin (22:30/23:30 UTC the day before): the
walk-in numbers restart with the Berlin day, the night's closing ends the day before, and callback
deadlines count the Berlin day of the call (2026-12-04)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from buergerkontakt.callbacks.deadlines import Policy, base_due
from buergerkontakt.core.calendar import BusinessCalendar, public_holidays, weekly_rules
from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import Ticket
from tests.walkin.builders import make_queue

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.django_db
@pytest.mark.parametrize("evening, after_midnight", [
    (berlin(2026, 12, 7, 23, 50), berlin(2026, 12, 8, 0, 30)),  # winter: 23:30 UTC on the 7th
    (berlin(2026, 7, 6, 23, 50), berlin(2026, 7, 7, 0, 30)),    # summer: 22:30 UTC on the 6th
])
def test_walkin_numbers_and_day_end_follow_the_berlin_day(org, evening, after_midnight):
    queue = make_queue(org.location, "A", "Ausweise")
    late = services.issue_ticket(queue, now=evening)
    services.issue_ticket(queue, now=evening)
    first = services.issue_ticket(queue, now=after_midnight)
    assert (first.day, first.label) == (after_midnight.date(), "A-001")
    assert services.close_past_days(now=after_midnight) == 2
    late.refresh_from_db()
    first.refresh_from_db()
    assert late.status == Ticket.Status.CANCELLED and first.status == Ticket.Status.WAITING


CALENDAR = BusinessCalendar(weekly=weekly_rules((day, time(8), time(15)) for day in range(5)),
                            holidays=public_holidays("HE"), tz=BERLIN)


@pytest.mark.parametrize("created, urgency, expected", [
    # Tuesday 00:30 Berlin is still Monday in UTC: Tuesday counts as the day of the call.
    (berlin(2026, 6, 9, 0, 30), "normal", berlin(2026, 6, 11, 15)),
    (berlin(2026, 6, 9, 0, 30), "emergency", berlin(2026, 6, 9, 10)),
    (berlin(2026, 12, 8, 0, 30), "urgent", berlin(2026, 12, 8, 15)),
])
def test_callback_deadlines_count_the_berlin_day_of_the_call(created, urgency, expected):
    assert base_due(CALENDAR, created, urgency, Policy()) == expected
