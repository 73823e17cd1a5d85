"""Staff and citizen pages: role × endpoint access (deny by default), the agent screen, the
worklist, the ticket actions, the citizen's request and the signed status page, bad input."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.callbacks import links, services
from buergerkontakt.callbacks.models import FirstContact, Outcome, Ticket
from buergerkontakt.core.models import Role
from tests.factories import make_user

from .builders import MONDAY_10, at, build_office

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.REQUIRE_2FA = False  # force_login here; the two-factor sign-in is tested in tests/core
    settings.ALTCHA_ENABLED = False  # proof of work is tested in tests/core/test_altcha.py
    settings.SMS_FILE_PATH = tmp_path / "sms"


@pytest.fixture
def office():
    office = build_office()
    office.other_caseworker = make_user(
        "other_caseworker", office.org.other_authority, Role.CASEWORKER, scope=office.org.other_team
    )
    return office


@pytest.fixture
def travel():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def ticket_for(office, **fields) -> Ticket:
    values = {"caller_name": "Erika Ärger", "phone": "0151 23456789", "topic": "Bescheid", "now": MONDAY_10}
    values.update(fields)
    return services.create_ticket(office.org.authority, **values)


def login(client, office, key):
    user = (
        office.second_worker
        if key == "second_worker"
        else getattr(office, key, None) or office.org.users[key]
    )
    client.force_login(user)
    return client


ALLOWED, DENIED, HIDDEN, REDIRECT = "allowed", 403, 404, 302

# role → (agent screen, worklist, ticket page, log an attempt)
MATRIX = {
    "agent": (ALLOWED, REDIRECT, ALLOWED, DENIED),
    "caseworker": (DENIED, ALLOWED, ALLOWED, ALLOWED),
    "teamlead": (DENIED, ALLOWED, ALLOWED, ALLOWED),
    "admin": (ALLOWED, ALLOWED, ALLOWED, DENIED),
    "second_worker": (DENIED, ALLOWED, HIDDEN, HIDDEN),  # case worker of another team
    "other_caseworker": (DENIED, ALLOWED, HIDDEN, HIDDEN),  # another authority
    "other_admin": (ALLOWED, ALLOWED, HIDDEN, DENIED),
    "security": (DENIED, DENIED, DENIED, DENIED),
    "dpo": (DENIED, DENIED, DENIED, DENIED),
    "professional": (DENIED, DENIED, DENIED, DENIED),
}


def outcome(response):
    assert response.status_code < 500
    if response.status_code in (302, 403, 404):
        return response.status_code
    return ALLOWED


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_by_endpoint(client, office, travel, role):
    ticket = ticket_for(office)
    login(client, office, role)
    new, worklist, detail, attempt = MATRIX[role]
    assert outcome(client.get(reverse("callbacks_staff:new"))) == new
    assert outcome(client.get(reverse("callbacks_staff:worklist"))) == worklist
    assert outcome(client.get(reverse("callbacks_staff:detail", args=[ticket.number]))) == detail
    response = client.post(
        reverse("callbacks_staff:attempt", args=[ticket.number]), {"outcome": Outcome.NOT_REACHED}
    )
    assert outcome(response) in (attempt, REDIRECT if attempt == ALLOWED else attempt)
    ticket.refresh_from_db()
    assert ticket.attempts_made == (1 if attempt == ALLOWED else 0)


def test_anonymous_is_sent_to_sign_in(client, office, travel):
    ticket = ticket_for(office)
    for url in (
        reverse("callbacks_staff:new"),
        reverse("callbacks_staff:worklist"),
        reverse("callbacks_staff:detail", args=[ticket.number]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/anmelden/" in response["Location"]
    response = client.post(
        reverse("callbacks_staff:attempt", args=[ticket.number]), {"outcome": "not_reached"}
    )
    assert response.status_code == 302
    assert Ticket.objects.get().attempts_made == 0


def test_worklist_shows_the_case_workers_and_pool_tickets_by_deadline(client, office, travel):
    mine = ticket_for(office, caller_name="Anna Adler")  # A–K → the case worker
    pool = ticket_for(office, caller_name="Karl Keller", team=office.org.team, case_number="12345")
    urgent = ticket_for(office, caller_name="Bernd Berg", urgency="emergency")
    other = ticket_for(office, caller_name="Lena Lang")  # L–Z → second team
    login(client, office, "caseworker")
    page = client.get(reverse("callbacks_staff:worklist")).content.decode()
    assert mine.number in page and urgent.number in page and other.number not in page
    assert page.index(urgent.number) < page.index(mine.number)  # ordered by deadline
    assert pool.number in page or Ticket.objects.get(pk=pool.pk).assignee is not None
    partial = client.get(reverse("callbacks_staff:worklist"), headers={"HX-Request": "true"})
    assert (
        partial.status_code == 200
        and b"<html" not in partial.content
        and mine.number.encode() in partial.content
    )
    login(client, office, "second_worker")
    page = client.get(reverse("callbacks_staff:worklist")).content.decode()
    assert other.number in page and mine.number not in page


def test_worklist_bad_filters(client, office, travel):
    login(client, office, "caseworker")
    assert client.get(reverse("callbacks_staff:worklist") + "?team=abc").status_code == 400
    assert (
        client.get(reverse("callbacks_staff:worklist") + f"?team={office.org.second_team.pk}").status_code
        == 404
    )
    assert client.get(reverse("callbacks_staff:worklist") + "?ansicht=xyz&status=<b>").status_code == 200


def agent_post(client, **fields):
    data = {
        "name": "Erika Ärger",
        "phone": "0151 23456789",
        "topic": "Frage zum Bescheid",
        "urgency": "normal",
        "prefers_morning": "on",
        "prefers_afternoon": "on",
        "aktion": "ticket",
    }
    data.update(fields)
    return client.post(reverse("callbacks_staff:new"), data)


def test_agent_creates_a_ticket(client, office, travel):
    login(client, office, "agent")
    response = agent_post(client, case_number="", urgency="urgent")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.created_by == office.org.users["agent"] and ticket.urgency == "urgent"
    assert ticket.assignee == office.org.users["caseworker"]
    page = client.get(response["Location"]).content.decode()
    assert f"Rückrufticket {ticket.number} angelegt" in page


def test_agent_solves_directly_without_personal_data(client, office, travel):
    login(client, office, "agent")
    response = agent_post(client, name="", phone="", topic="Öffnungszeiten", aktion="geloest")
    assert response.status_code == 302
    assert FirstContact.objects.get().topic == "Öffnungszeiten" and not Ticket.objects.exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"phone": "12"}, "gültige Telefonnummer"),
        ({"phone": "abcdefg"}, "gültige Telefonnummer"),
        ({"phone": ""}, "Telefonnummer für den Rückruf"),
        ({"name": ""}, "Namen der anrufenden Person"),
        ({"topic": ""}, "Anliegen"),
        ({"urgency": "sofort"}, "Dringlichkeit"),
        ({"team": "999999"}, "Team ist unbekannt"),
        ({"team": "abc"}, "Team ist unbekannt"),
        ({"service": "999999"}, "Leistung aus der Liste"),
        ({"email": "kein-at"}, "gültige E-Mail-Adresse"),
        ({"name": "x" * 300}, "höchstens 200 Zeichen"),
        ({"name": "4711", "case_number": "9"}, "kein Team zuständig"),
    ],
)
def test_agent_screen_bad_input_gives_german_errors(client, office, travel, fields, message):
    login(client, office, "agent")
    response = agent_post(client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_agent_cannot_pick_a_team_of_another_authority(client, office, travel):
    login(client, office, "agent")
    response = agent_post(client, team=str(office.org.other_team.pk))
    assert response.status_code == 400 and "Team ist unbekannt" in response.content.decode()


def test_routing_preview(client, office, travel):
    login(client, office, "agent")
    response = client.get(
        reverse("callbacks_staff:preview"),
        {"name": "Karl von Braun", "urgency": "emergency"},
        headers={"HX-Request": "true"},
    )
    text = response.content.decode()
    assert response.status_code == 200 and office.org.team.name in text and "braun" in text
    assert (
        "Keine Regel passt"
        in client.get(reverse("callbacks_staff:preview"), {"name": "4711"}).content.decode()
    )
    assert client.get(reverse("callbacks_staff:preview"), {"service": "abc", "team": "-1"}).status_code == 200


def test_ticket_actions_for_the_case_worker(client, office, travel):
    ticket = ticket_for(office)
    login(client, office, "caseworker")
    url = reverse("callbacks_staff:attempt", args=[ticket.number])
    response = client.post(url, {"outcome": "not_reached", "note": "Freizeichen"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Versuch 1 erfasst: nicht erreicht" in page and "Nächster Versuch ab" in page
    assert client.post(url, {"outcome": "vielleicht"}).status_code == 400
    assert (
        client.post(reverse("callbacks_staff:pause", args=[ticket.number]), {"reason": ""}).status_code == 400
    )
    assert (
        client.post(
            reverse("callbacks_staff:pause", args=[ticket.number]), {"reason": "wartet auf Unterlagen"}
        ).status_code
        == 302
    )
    assert (
        client.post(reverse("callbacks_staff:pause", args=[ticket.number]), {"reason": "nochmal"}).status_code
        == 409
    )
    assert (
        client.post(reverse("callbacks_staff:resume", args=[ticket.number]), {"reason": ""}).status_code
        == 302
    )
    # case workers may only take the ticket themselves or give it back to the pool
    assign = reverse("callbacks_staff:assign", args=[ticket.number])
    assert client.post(assign, {"assignee": office.deputy.pk}).status_code == 400
    assert client.post(assign, {"assignee": ""}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert (
        client.post(
            reverse("callbacks_staff:appointment", args=[ticket.number]), {"code": "NOPE1234"}
        ).status_code
        == 400
    )


def test_team_lead_assigns_within_the_team(client, office, travel):
    ticket = ticket_for(office)
    login(client, office, "teamlead")
    assign = reverse("callbacks_staff:assign", args=[ticket.number])
    assert client.post(assign, {"assignee": office.deputy.pk}).status_code == 302
    assert client.post(assign, {"assignee": office.second_worker.pk}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee == office.deputy


def test_book_hands_the_caller_to_the_staff_booking(client, office, travel):
    ticket = ticket_for(office, service=office.service)
    login(client, office, "agent")
    response = client.post(reverse("callbacks_staff:book", args=[ticket.number]))
    assert response.status_code == 302 and f"leistung={office.service.pk}" in response["Location"]
    prefill = client.session["appointments_caller_prefill"]
    assert prefill["name"] == "Erika Ärger" and prefill["return_url"].endswith(f"{ticket.number}/")
    login(client, office, "caseworker")
    assert client.post(reverse("callbacks_staff:book", args=[ticket.number])).status_code == 403


# --- citizens -----------------------------------------------------------------------------------------
def test_status_page_with_signed_link_shows_every_attempt(client, office, travel):
    ticket = ticket_for(office)
    services.log_attempt(ticket, Outcome.NOT_REACHED, by=None, now=at(2026, 6, 8, 10, 5))
    response = client.get(links.url(ticket, absolute=False))
    text = response.content.decode()
    assert response.status_code == 200 and ticket.number in text
    assert "Versuch 1 am" in text and "nicht erreicht" in text and "Nächster Anrufversuch" in text
    assert "23456789" not in text  # the phone number is masked
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("tamper", ["token", "number", "empty", "garbage", "other_ticket"])
def test_tampered_status_links_are_refused_in_german(client, office, travel, tamper):
    ticket = ticket_for(office)
    other = ticket_for(office, caller_name="Lena Lang")
    token = links.make_token(ticket)
    number = ticket.number
    if tamper == "token":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif tamper == "number":
        number = other.number
    elif tamper == "empty":
        token = ""
    elif tamper == "garbage":
        token = "x:y:z<script>"
    elif tamper == "other_ticket":
        token = links.make_token(other)
    response = client.get(reverse("callbacks:status", args=[number]), {"t": token})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Dieser Link ist ungültig" in text and "Erika" not in text


def test_expired_status_link(client, office, settings):
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = ticket_for(office)
        url = links.url(ticket, absolute=False)
    with time_machine.travel(at(2026, 9, 1, 10), tick=False):
        response = client.get(url)
    assert response.status_code == 410 and "abgelaufen" in response.content.decode()


def test_citizen_requests_a_callback_online(client, office, travel):
    office.org.team.offers_online_callback = True
    office.org.team.save()
    start = client.get(reverse("callbacks:start"))
    assert office.org.team.name in start.content.decode()
    url = reverse("callbacks:request", args=[office.org.team.slug])
    page = client.get(url)
    assert page.status_code == 200
    window = page.context["form"].fields["window"].choices[0][0]
    response = client.post(
        url,
        {
            "window": window,
            "name": "Erika Ärger",
            "phone": "0151 23456789",
            "topic": "Nachzahlung",
            "privacy": "on",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == "online" and ticket.window_start == datetime.fromisoformat(window)
    assert ticket.team == office.org.team
    status = client.get(response["Location"])
    assert status.status_code == 200 and "Ihr Rückrufwunsch ist eingegangen" in status.content.decode()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"phone": "0000"}, "gültige Telefonnummer"),
        ({"window": "2020-01-01T10:00:00+01:00"}, "Zeitfenster ist nicht mehr frei wählbar"),
        ({"window": ""}, "Bitte wählen Sie ein Zeitfenster"),
        ({"privacy": ""}, "Speicherung"),
        ({"name": ""}, "Ihren Namen"),
        ({"topic": ""}, "Anliegen"),
    ],
)
def test_citizen_request_bad_input(client, office, travel, fields, message):
    office.org.team.offers_online_callback = True
    office.org.team.save()
    url = reverse("callbacks:request", args=[office.org.team.slug])
    window = client.get(url).context["form"].fields["window"].choices[0][0]
    data = {"window": window, "name": "Erika", "phone": "0151 23456789", "topic": "Frage", "privacy": "on"}
    data.update(fields)
    response = client.post(url, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Ticket.objects.exists()


def test_unknown_or_closed_team_is_404(client, office, travel):
    assert client.get(reverse("callbacks:request", args=["gibt-es-nicht"])).status_code == 404
    assert client.get(reverse("callbacks:request", args=[office.org.second_team.slug])).status_code == 404


def test_citizen_requests_are_rate_limited(client, office, travel, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "callback_ip": (1, 3600)}
    office.org.team.offers_online_callback = True
    office.org.team.save()
    url = reverse("callbacks:request", args=[office.org.team.slug])
    window = client.get(url).context["form"].fields["window"].choices[0][0]
    data = {"window": window, "name": "Erika", "phone": "0151 23456789", "topic": "Frage", "privacy": "on"}
    from django.core.cache import cache

    cache.clear()
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 429
    assert Ticket.objects.count() == 1


def test_online_request_needs_the_proof_of_work(client, office, travel, settings):
    settings.ALTCHA_ENABLED = True
    office.org.team.offers_online_callback = True
    office.org.team.save()
    url = reverse("callbacks:request", args=[office.org.team.slug])
    window = client.get(url).context["form"].fields["window"].choices[0][0]
    response = client.post(
        url,
        {
            "window": window,
            "name": "Erika",
            "phone": "0151 23456789",
            "topic": "Frage",
            "privacy": "on",
            "altcha": "bogus",
        },
    )
    assert response.status_code == 403 and "Prüfung gegen Missbrauch" in response.content.decode()


def test_turning_a_ticket_into_an_appointment(client, office, travel):
    """The staff booking form is filled in from the ticket; afterwards the agent is back on the
    ticket with the booking code, which closes it with a reference."""
    from buergerkontakt.appointments import services as booking
    from buergerkontakt.appointments.models import Quota
    from tests.appointments.builders import build_office as build_counters

    counters = build_counters(org=office.org)
    ticket = ticket_for(office)
    login(client, office, "agent")
    client.post(reverse("callbacks_staff:book", args=[ticket.number]))
    held = booking.hold_slot(
        [counters.short],
        counters.location,
        at(2026, 6, 9, 9),
        quota=Quota.INTERNAL,
        booked_by=office.org.users["agent"],
        now=MONDAY_10,
    )
    details = reverse("appointments_staff:book_details", args=[held.pk])
    form = client.get(details).context["form"]
    assert form["name"].value() == "Erika Ärger" and form["phone"].value() == "+4915123456789"
    response = client.post(details, {"name": "Erika Ärger", "phone": "+4915123456789", "language": "de"})
    held.refresh_from_db()
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("callbacks_staff:detail", args=[ticket.number]) + f"?termin={held.code}"
    )
    page = client.get(response["Location"])
    assert page.context["appointment_form"]["code"].value() == held.code
    assert (
        client.post(
            reverse("callbacks_staff:appointment", args=[ticket.number]), {"code": held.code}
        ).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.appointment_code == held.code
    assert "appointments_caller_prefill" not in client.session
