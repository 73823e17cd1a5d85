"""Queue pages: role × endpoint, bad input (unknown, finished, forged, double), display, kiosk, ticket."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.walkin import services
from buergerkontakt.walkin.links import ticket_path
from buergerkontakt.walkin.models import Desk, Screen, Ticket
from tests.appointments.builders import at

from .builders import make_queue, make_screen

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 8, 9, 0)
Status = Ticket.Status


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False  # force_login here; the two-factor sign-in is tested in tests/core


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def queue(org):
    return make_queue(org.location, "A", "Ausweise")


def url(name, *args):
    return reverse(f"queue_staff:{name}", args=args)


ALLOWED, DENIED, HIDDEN = "allowed", 403, 404
# Everybody who serves citizens at the location works the queue; nobody else.
MATRIX = {
    "agent": ALLOWED, "caseworker": ALLOWED, "teamlead": ALLOWED, "admin": ALLOWED,
    "security": DENIED, "register_keeper": DENIED, "dpo": DENIED, "professional": DENIED,
    "other_admin": HIDDEN, "other_teamlead": HIDDEN,
}


def outcome(response) -> str | int:
    assert response.status_code < 500, response.content[:500]
    if response.status_code in (400, 403, 404, 409):
        return response.status_code
    return ALLOWED


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_by_endpoint(client, org, queue, role):
    expected = MATRIX[role]
    user = org.users[role]
    waiting = services.issue_ticket(queue)
    client.force_login(user)
    loc = {"standort": org.location.slug}
    assert outcome(client.get(url("desk"), loc)) == expected
    assert outcome(client.get(url("reception"), loc)) == expected
    assert outcome(client.get(url("overview"), loc)) == expected
    assert outcome(client.get(url("print", waiting.pk))) == expected
    setup = {**loc, "room": org.room.pk, "queues": [queue.pk]}
    assert outcome(client.post(url("desk_setup"), setup)) == expected
    assert outcome(client.post(url("issue"), {**loc, "queue": queue.pk})) == expected
    assert outcome(client.post(url("emergency", waiting.pk), {"reason": "Räumung"})) == expected
    assert outcome(client.post(url("call_next"), loc)) == expected
    called = Ticket.objects.filter(status=Status.CALLED).first()
    if expected == ALLOWED:
        assert called is not None and called.pk == waiting.pk  # the emergency came first
        assert outcome(client.post(url("recall", called.pk))) == ALLOWED
        assert outcome(client.post(url("start", called.pk))) == ALLOWED
        assert outcome(client.post(url("finish", called.pk))) == ALLOWED
        assert Ticket.objects.get(pk=called.pk).status == Status.DONE
        assert Ticket.objects.count() == 2
    else:
        assert called is None and Desk.objects.count() == 0
        assert Ticket.objects.count() == 1
        assert Ticket.objects.get(pk=waiting.pk).kind == "walk_in"
        assert outcome(client.post(url("cancel", waiting.pk))) == expected
        assert Ticket.objects.get(pk=waiting.pk).status == Status.WAITING


def test_anonymous_users_are_sent_to_the_login(client, org, queue):
    ticket = services.issue_ticket(queue)
    for response in (client.get(url("desk")), client.get(url("reception")), client.post(url("call_next")),
                     client.post(url("cancel", ticket.pk)), client.get(url("print", ticket.pk))):
        assert response.status_code == 302 and "/anmelden/" in response["Location"]
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING


def test_a_caseworker_of_another_location_cannot_touch_our_tickets(client, org, queue):
    elsewhere = make_queue(org.second_location, "N")
    ticket = services.issue_ticket(elsewhere)
    client.force_login(org.users["caseworker"])  # team scope at the first location
    assert client.post(url("cancel", ticket.pk)).status_code == 404
    assert client.post(url("call", ticket.pk)).status_code == 404
    assert client.get(url("desk"), {"standort": org.second_location.slug}).status_code == 404


def _desk(client, org, queue, role="caseworker"):
    client.force_login(org.users[role])
    services.set_desk(org.users[role], org.location, org.room, [queue])
    return client


def test_calling_page_flow(client, org, queue):
    ticket = services.issue_ticket(queue)
    client = _desk(client, org, queue)
    response = client.get(url("desk"))
    assert "Nächste Nummer aufrufen" in response.text
    response = client.post(url("call_next"), {"standort": org.location.slug}, follow=True)
    assert ticket.label in response.text and "Erneut aufrufen" in response.text
    assert "„Nicht erschienen“ ist nach 3 Aufrufen möglich." in response.text
    response = client.post(url("finish", ticket.pk), follow=True)
    assert f"{ticket.label} ist abgeschlossen." in response.text
    response = client.post(url("call_next"), {"standort": org.location.slug}, follow=True)
    assert "Im Moment wartet niemand auf Sie." in response.text


@pytest.mark.parametrize(("action", "data", "status", "message"), [
    ("recall", {}, 409, "wird nicht von Ihnen bearbeitet"),
    ("start", {}, 409, "wird nicht von Ihnen bearbeitet"),
    ("finish", {}, 409, "wird nicht von Ihnen bearbeitet"),
    ("missed", {}, 409, "wird nicht von Ihnen bearbeitet"),
    ("call", {}, 409, "wartet nicht mehr"),
    ("cancel", {}, 409, "wartet nicht mehr"),
    ("requeue", {}, 409, "Nur Nummern, die als nicht erschienen markiert sind"),
    ("emergency", {"reason": "x"}, 409, "wartet nicht mehr"),
])
def test_finished_tickets_give_clear_errors(client, org, queue, action, data, status, message):
    ticket = services.issue_ticket(queue)
    client = _desk(client, org, queue)
    services.call_next(org.users["caseworker"], org.location)
    services.finish(ticket, org.users["caseworker"])
    response = client.post(url(action, ticket.pk), data)
    assert response.status_code == status
    assert message in response.text


def test_double_call_and_unknown_tickets(client, org, queue):
    first, second = services.issue_ticket(queue), services.issue_ticket(queue)
    client = _desk(client, org, queue)
    assert client.post(url("call", first.pk)).status_code == 302
    response = client.post(url("call", second.pk))  # still busy with the first
    assert response.status_code == 409 and f"noch die Nummer {first.label}" in response.text
    response = client.post(url("call_next"), {"standort": org.location.slug})
    assert response.status_code == 409
    colleague = org.users["teamlead"]
    services.set_desk(colleague, org.location, org.room, [queue])
    client.force_login(colleague)
    response = client.post(url("call", first.pk))
    assert response.status_code == 409 and "wurde bereits aufgerufen" in response.text
    assert client.post(url("recall", 987654)).status_code == 404
    assert client.get(url("recall", first.pk)).status_code == 405
    assert Ticket.objects.get(pk=second.pk).status == Status.WAITING


def test_bad_form_input_is_a_400_with_german_messages(client, org, queue):
    client = _desk(client, org, queue)
    loc = {"standort": org.location.slug}
    response = client.post(url("issue"), {**loc, "queue": queue.pk, "emergency": "on", "reason": " "})
    assert response.status_code == 400 and "Bitte geben Sie den Grund für den Notfall an." in response.text
    response = client.post(url("issue"), {**loc, "queue": "abc"})
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Warteschlange aus der Liste." in response.text
    response = client.post(url("desk_setup"), {**loc, "room": 999999})
    assert response.status_code == 400 and "Bitte wählen Sie einen Raum aus der Liste." in response.text
    response = client.post(url("check_in"), {**loc, "code": "nonsense!"})
    assert response.status_code == 400 and "kein gültiger Buchungscode" in response.text
    response = client.post(url("check_in"), {**loc, "code": "ZZZZZZZZ"})
    assert response.status_code == 404 and "keinen Termin" in response.text
    assert client.get(url("desk"), {"standort": "gibt-es-nicht"}).status_code == 404
    assert not Ticket.objects.exists()


def test_reception_issues_and_prints_a_ticket_with_qr(client, org, queue):
    client = _desk(client, org, queue, role="agent")
    response = client.post(url("issue"), {"standort": org.location.slug, "queue": queue.pk})
    ticket = Ticket.objects.get()
    assert response["Location"] == url("print", ticket.pk)
    page = client.get(response["Location"]).text
    assert "A-001" in page and "<svg" in page and 'role="img"' in page
    assert "Vor Ihnen: 0 Personen" in page


def test_hand_over_form(client, org, queue):
    other = make_queue(org.location, "B", "Meldewesen")
    ticket = services.issue_ticket(queue)
    client = _desk(client, org, queue)
    services.call_next(org.users["caseworker"], org.location)
    response = client.post(url("hand_over", ticket.pk), {"queue": ""})
    assert response.status_code == 400 and "Bitte wählen Sie eine Warteschlange." in response.text
    response = client.post(url("hand_over", ticket.pk), {"queue": other.pk, "note": "Ummeldung"}, follow=True)
    assert "A-001 ist weitergeleitet an Meldewesen." in response.text
    assert Ticket.objects.get(pk=ticket.pk).queue == other


# --- public pages --------------------------------------------------------------------------------------
def test_ticket_page_shows_position_and_forged_links_are_404(client, org, queue):
    services.issue_ticket(queue)
    ticket = services.issue_ticket(queue)
    page = client.get(ticket_path(ticket))
    assert page.status_code == 200
    assert "A-002" in page.text and "1 Person" in page.text and "Sie sind gleich dran." in page.text
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in page.text
    changed = ticket.secret[:-1] + ("A" if ticket.secret[-1] != "A" else "B")
    for forged in (f"/wartenummer/{ticket.pk}/{changed}/",
                   f"/wartenummer/{ticket.pk + 1}/{ticket.secret}/", f"/wartenummer/{ticket.pk}/{'a' * 16}/"):
        response = client.get(forged)
        assert response.status_code == 404 and "Diese Wartenummer gibt es nicht." in response.text


def test_ticket_page_when_called_and_after(client, org, queue):
    ticket = services.issue_ticket(queue)
    services.set_desk(org.users["caseworker"], org.location, org.room, [queue])
    services.call_next(org.users["caseworker"], org.location)
    page = client.get(ticket_path(ticket)).text
    assert "Sie werden aufgerufen!" in page and "Raum 1.10" in page
    services.finish(ticket, org.users["caseworker"])
    page = client.get(ticket_path(ticket)).text
    assert "Ihr Anliegen ist erledigt." in page and "http-equiv" not in page


def test_display_page_and_unknown_display(client, org, queue):
    screen = make_screen(org.location)
    services.set_desk(org.users["caseworker"], org.location, org.room, [queue])
    ticket = services.issue_ticket(queue)
    services.call_next(org.users["caseworker"], org.location)
    page = client.get(reverse("queue:display", args=[screen.key]))
    assert page.status_code == 200 and ticket.label in page.text and "Raum 1.10" in page.text
    assert f'data-ws="/ws/anzeige/{screen.key}/"' in page.text
    response = client.get(reverse("queue:display", args=["falsch"]))
    assert response.status_code == 404 and "Diese Anzeige ist nicht (mehr) eingerichtet." in response.text
    kiosk = make_screen(org.location, Screen.Kind.KIOSK)
    # A kiosk's key opens no display.
    assert client.get(reverse("queue:display", args=[kiosk.key])).status_code == 404
    screen.is_active = False
    screen.save()
    assert client.get(reverse("queue:display", args=[screen.key])).status_code == 404


def test_kiosk_walk_in_and_bad_input(client, org, queue):
    kiosk = make_screen(org.location, Screen.Kind.KIOSK, name="Kiosk")
    path = reverse("queue:kiosk", args=[kiosk.key])
    page = client.get(path)
    assert page.status_code == 200 and "Ich habe keinen Termin" in page.text and "Ausweise" in page.text
    response = client.post(path, {"queue": queue.pk})
    assert response.status_code == 200 and "A-001" in response.text and "<svg" in response.text
    for bad in ("abc", "999999", ""):
        response = client.post(path, {"queue": bad})
        assert response.status_code == 400 and "Bitte wählen Sie ein Anliegen aus der Liste." in response.text
    response = client.post(path, {"code": "ZZZZZZZZ"})
    assert response.status_code == 409 and "kein Check-in möglich" in response.text
    response = client.post(path, {"code": ""})
    assert response.status_code == 400 and "Bitte geben Sie den Buchungscode ein." in response.text
    assert Ticket.objects.count() == 1
    assert client.get(reverse("queue:kiosk", args=["nope"])).status_code == 404


def test_the_booking_page_shows_a_check_in_qr_code_with_the_code_only(client):
    from buergerkontakt.appointments import links
    from tests.appointments.builders import build_office

    office = build_office()
    appointment = office.book(at(2026, 6, 9, 9, 0), now=NOW)
    page = client.get(links.url(appointment, absolute=False)).text
    assert "QR-Code zum Einchecken vor Ort" in page and 'class="qr"' in page
    # What the QR encodes is accepted at the kiosk and the reception.
    assert services.parse_booking_code(appointment.code) == appointment.code
