"""Walk-in numbers only within the queue's walk-in hours (minus a cut-off before the end); outside
them the kiosk shows the next walk-in time and the reception may override with a stated reason."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.directory.models import HoursKind
from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import CallEvent, Screen, Ticket
from buergerkontakt.walkin.services import QueueError
from tests.appointments.builders import at
from tests.factories import weekly

from .builders import make_queue, make_screen

pytestmark = pytest.mark.django_db

THURSDAY_EVENING = at(2026, 6, 11, 22, 54)  # walk-in Mo–Fr 07:30–10:00
FRIDAY_MORNING = at(2026, 6, 12, 8, 0)


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


@pytest.fixture
def queue(org):
    weekly(org.location, HoursKind.WALK_IN, range(0, 5), time(7, 30), time(10, 0))
    return make_queue(org.location, "E", "Erstantrag", walk_in_cutoff_minutes=15)


def test_no_walk_in_number_outside_walk_in_hours(queue):
    with pytest.raises(QueueError) as refused:
        services.issue_ticket(queue, now=THURSDAY_EVENING)
    assert refused.value.status_code == 409
    assert refused.value.message == "Wartenummern ohne Termin gibt es wieder morgen ab 07:30 Uhr."
    assert services.issue_ticket(queue, now=FRIDAY_MORNING).label == "E-001"


def test_the_cut_off_before_the_end_closes_issuing_early(queue):
    assert services.issue_ticket(queue, now=at(2026, 6, 12, 9, 44)).label == "E-001"
    with pytest.raises(QueueError):
        services.issue_ticket(queue, now=at(2026, 6, 12, 9, 45))


def test_a_queue_without_walk_in_hours_keeps_issuing(org):
    plain = make_queue(org.location, "B", "Beratung")
    assert services.issue_ticket(plain, now=THURSDAY_EVENING).label == "B-001"


def test_reception_override_needs_a_reason_and_is_recorded(queue, org):
    clerk = org.users["agent"]
    with pytest.raises(QueueError):
        services.issue_ticket(queue, by=clerk, override_reason="   ", now=THURSDAY_EVENING)
    ticket = services.issue_ticket(queue, by=clerk, override_reason="Nachzügler, Bus verspätet",
                                   now=THURSDAY_EVENING)
    event = CallEvent.objects.get(ticket=ticket, kind=CallEvent.Kind.ISSUED)
    assert "Bus verspätet" in event.note and event.user == clerk
    # Without a staff member nobody can override (the kiosk).
    with pytest.raises(QueueError):
        services.issue_ticket(queue, override_reason="egal", now=THURSDAY_EVENING)


def test_kiosk_outside_walk_in_hours_shows_the_next_time_and_issues_nothing(client, org, queue):
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    path = reverse("queue:kiosk", args=[kiosk.key])
    with time_machine.travel(THURSDAY_EVENING, tick=False):
        page = client.get(path)
        assert page.status_code == 200
        assert "Wartenummern ohne Termin gibt es wieder" in page.text and "07:30" in page.text
        assert f'name="queue" value="{queue.pk}"' not in page.text
        # Appointment holders can still check in.
        assert 'name="code"' in page.text
        response = client.post(path, {"queue": queue.pk})
        assert response.status_code == 409 and "07:30" in response.text
    assert not Ticket.objects.exists()
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        page = client.get(path)
        assert f'name="queue" value="{queue.pk}"' in page.text
        assert client.post(path, {"queue": queue.pk}).status_code == 200
    assert Ticket.objects.count() == 1


def test_reception_outside_hours_asks_for_a_reason_then_issues(client, org, queue):
    client.force_login(org.users["agent"])
    with time_machine.travel(THURSDAY_EVENING, tick=False):
        page = client.get(reverse("queue_staff:reception"))
        assert "außerhalb der Zeiten" in page.text
        response = client.post(reverse("queue_staff:issue"),
                               {"queue": queue.pk, "standort": org.location.slug})
        assert response.status_code == 400
        assert "Bitte geben Sie einen Grund an" in response.text
        assert not Ticket.objects.exists()
        response = client.post(reverse("queue_staff:issue"), {
            "queue": queue.pk, "standort": org.location.slug, "override_reason": "Termin verpasst, Bus"})
        assert response.status_code == 302
    assert Ticket.objects.get().label == "E-001"
