"""Appointments API against the real database: OpenAPI, reads, hold → book → look-up → cancel,
German errors with the right status, idempotency, full slots, expired holds, tampered tokens."""

from __future__ import annotations

from datetime import date, timedelta

import altcha
import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client

from buergerkontakt.appointments import availability_cache, services
from buergerkontakt.appointments.api import AvailabilityOut
from buergerkontakt.appointments.models import Appointment, AppointmentSlot, Slot

from .builders import add_schedule, at, build_office, slot_at, weekly_schedule
from .test_concurrency import assert_capacity_invariant

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)  # Friday before the reference week
EIGHT = at(2026, 6, 8, 8)  # Monday 08:00, the first bookable unit
MONDAY = date(2026, 6, 8)
Status = Appointment.Status

OPERATIONS = {
    ("/api/appointments/services", "get"),
    ("/api/appointments/availability", "get"),
    ("/api/appointments/times", "get"),
    ("/api/appointments/challenge", "get"),
    ("/api/appointments/hold", "post"),
    ("/api/appointments/book", "post"),
    ("/api/appointments/booking/{code}", "get"),
    ("/api/appointments/booking/{code}/cancel", "post"),
}


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    """Rate-limit counters, ALTCHA replay marks and cached overviews never leak between tests."""
    settings.ALTCHA_ENABLED = False
    settings.ALTCHA_COST = 50
    cache.clear()
    availability_cache.clear_local()
    yield
    cache.clear()
    availability_cache.clear_local()


@pytest.fixture
def office(db):
    return build_office()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def hold(client: Client, office, start=EIGHT, **extra):
    body = {"services": [office.short.slug], "location": office.location.slug, "start": start.isoformat(),
            **extra}
    return client.post("/api/appointments/hold", body, content_type="application/json")


def book(client: Client, held: dict, **extra):
    body = {"code": held["code"], "token": held["token"], "name": "Erika Mustermann",
            "email": "erika@example.org", **extra}
    return client.post("/api/appointments/book", body, content_type="application/json")


def assert_german_error(response, status: int, fragment: str = "") -> str:
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert fragment in detail
    return detail


# --- OpenAPI ----------------------------------------------------------------------------------------
def test_openapi_lists_every_appointments_operation_with_schemas(client, db):
    schema = client.get("/api/openapi.json").json()
    found = {(path, method) for path, ops in schema["paths"].items() for method in ops
             if path.startswith("/api/appointments/")}
    assert found == OPERATIONS
    for path, method in OPERATIONS:
        operation = schema["paths"][path][method]
        assert "\n\n" in operation["description"], f"{path}: German and English description"
        ok = "201" if path.endswith("/hold") else "200"
        assert "$ref" in str(operation["responses"][ok]["content"]), path
        if path != "/api/appointments/challenge" and path != "/api/appointments/services":
            assert {"422"} <= set(operation["responses"]), path
        if method == "post":
            assert "requestBody" in operation, path
    responses = schema["paths"]["/api/appointments/hold"]["post"]["responses"]
    assert {"400", "403", "404", "409", "422", "429"} <= set(responses)
    assert {"410"} <= set(schema["paths"]["/api/appointments/book"]["post"]["responses"])
    components = schema["components"]["schemas"]
    for name in ("AvailabilityOut", "HoldIn", "HoldOut", "BookIn", "BookingOut", "TimesOut",
                 "BookableServiceOut", "ChallengeOut"):
        assert name in components, name
    params = {p["name"] for p in schema["paths"]["/api/appointments/availability"]["get"]["parameters"]}
    assert params == {"service", "from", "days", "location"}
    assert "/api/health" in schema["paths"]


def test_health(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- reads --------------------------------------------------------------------------------------------
def test_services_lists_online_bookable_services_with_group_and_locations(client, office):
    office.long.online_bookable = False
    office.long.save()
    data = client.get("/api/appointments/services").json()
    by_slug = {item["slug"]: item for item in data}
    # "fuehrerschein" has a group without schedules, "personalausweis" is not bookable online.
    assert set(by_slug) == {"meldebescheinigung"}
    item = by_slug["meldebescheinigung"]
    assert item["id"] == office.short.pk and item["duration_minutes"] == 15
    [group] = item["groups"]
    assert group["slug"] == "pass-und-ausweis" and group["slot_minutes"] == 15
    assert group["release_time"] == "08:00:00" and group["max_days_ahead"] == 42
    assert group["locations"] == [{"slug": "jc-mitte", "name": "Jobcenter Mitte"}]


def test_availability_per_location_and_day(client, office, frozen):
    for service in (office.short, office.long):  # offered there too (issue 26 defect 5)
        service.locations.add(office.org.second_location)
    weekly_schedule(office.group, office.org.second_location, [("09:00", "10:00")], counters=1)
    services.materialize_slots(office.group, office.org.second_location, MONDAY, date(2026, 6, 19))
    response = client.get("/api/appointments/availability",
                          {"service": "meldebescheinigung", "from": "2026-06-08", "days": 5})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    data = AvailabilityOut.model_validate(response.json()).model_dump()
    assert data["services"] == ["meldebescheinigung"]
    assert (data["first_day"], data["last_day"]) == (MONDAY, date(2026, 6, 12))
    assert data["earliest"] == {"location": "jc-mitte", "start": EIGHT}
    by_slug = {item["slug"]: item for item in data["locations"]}
    assert list(by_slug) == ["jc-mitte", "jc-nord"]  # earliest first
    mitte = by_slug["jc-mitte"]
    assert [d["day"] for d in mitte["days"]] == [MONDAY + timedelta(days=i) for i in range(5)]
    assert mitte["days"][0]["free_starts"] == 24  # 08–12 and 13–15, every 15 minutes
    assert by_slug["jc-nord"]["days"][0] == {"day": MONDAY, "free_starts": 4,
                                             "first_start": at(2026, 6, 8, 9)}
    # The service id works as well; one location only; two services need 45 minutes.
    only = client.get("/api/appointments/availability", {
        "service": [str(office.short.pk), "personalausweis"], "from": "2026-06-08", "days": 1,
        "location": "jc-nord"}).json()
    assert only["services"] == ["meldebescheinigung", "personalausweis"]
    assert [(loc["slug"], loc["days"][0]["free_starts"]) for loc in only["locations"]] == [("jc-nord", 2)]


def test_times_of_one_day(client, office, frozen):
    response = client.get("/api/appointments/times", {"service": "personalausweis", "location": "jc-mitte",
                                                      "day": "2026-06-08"})
    assert response.status_code == 200
    data = response.json()
    assert data["starts"][0] == "2026-06-08T08:00:00+02:00"
    assert len(data["starts"]) == 15 + 7  # 30 minutes: 08:00–11:30 and 13:00–14:30
    assert "2026-06-08T11:45:00+02:00" not in data["starts"]
    closed = client.get("/api/appointments/times", {"service": "personalausweis", "location": "jc-mitte",
                                                    "day": "2026-06-06"})
    assert closed.status_code == 200 and closed.json()["starts"] == []


@pytest.mark.parametrize(("params", "status", "fragment"), [
    ({"service": "gibt-es-nicht"}, 404, "Leistung"),
    ({"service": "99999999"}, 404, "Leistung"),
    ({"service": "9" * 30}, 404, "Leistung"),
    ({"service": "meldebescheinigung", "location": "nirgendwo"}, 404, "Standort"),
    ({"service": "fuehrerschein"}, 400, "keine Termine"),
    ({"service": ["meldebescheinigung", "fuehrerschein"]}, 400, "nicht gemeinsam"),
    ({"service": "meldebescheinigung", "from": "2026-13-01"}, 422, "Ungültige Eingabe"),
    ({"service": "meldebescheinigung", "from": "9999-12-31"}, 400, "Zukunft"),
    ({"service": "meldebescheinigung", "days": 93}, 422, "Ungültige Eingabe"),
    ({"service": "meldebescheinigung", "days": 0}, 422, "Ungültige Eingabe"),
    ({"service": "meldebescheinigung", "days": "viele"}, 422, "Ungültige Eingabe"),
    ({"service": "<script>"}, 422, "Ungültige Eingabe"),
    ({}, 422, "Ungültige Eingabe"),
    ({"service": ["meldebescheinigung"] * 6}, 422, "Ungültige Eingabe"),
])
def test_availability_bad_input_gives_german_4xx(client, office, frozen, params, status, fragment):
    response = client.get("/api/appointments/availability", params)
    assert_german_error(response, status, fragment)


@pytest.mark.parametrize(("params", "status"), [
    ({"service": "meldebescheinigung", "location": "jc-mitte", "day": "morgen"}, 422),
    ({"service": "meldebescheinigung", "location": "jc-mitte", "day": "9999-12-31"}, 400),
    ({"service": "meldebescheinigung", "location": "jc-nord", "day": "2026-06-08"}, 400),
    ({"service": "meldebescheinigung", "day": "2026-06-08"}, 422),
    ({"service": "unbekannt", "location": "jc-mitte", "day": "2026-06-08"}, 404),
])
def test_times_bad_input(client, office, frozen, params, status):
    assert_german_error(client.get("/api/appointments/times", params), status)


def test_availability_cache_is_invalidated_by_a_hold(client, office, frozen,
                                                     django_capture_on_commit_callbacks):
    params = {"service": "meldebescheinigung", "from": "2026-06-08", "days": 1, "location": "jc-mitte"}

    def today() -> dict:
        return client.get("/api/appointments/availability", params).json()["locations"][0]["days"][0]

    assert today()["free_starts"] == 24
    # Until a write commits, the cached overview stays as it is …
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.hold_slot([office.short], office.location, at(2026, 6, 8, 14, 30), now=NOW)
    assert callbacks and today()["free_starts"] == 24
    callbacks.clear()
    # … a committed hold through the services (pages, staff, waitlist) makes it stale at once …
    with django_capture_on_commit_callbacks(execute=True):
        services.hold_slot([office.short], office.location, at(2026, 6, 8, 14, 45), now=NOW)
    assert today()["free_starts"] == 22  # (the first hold is in the same test transaction)
    # … and so does a hold through the API.
    with django_capture_on_commit_callbacks(execute=True):
        assert hold(client, office).status_code == 201
    after = today()
    assert after["free_starts"] == 21
    assert after["first_start"] == "2026-06-08T08:15:00+02:00"


def test_availability_without_cache(client, office, frozen, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 0
    params = {"service": "meldebescheinigung", "from": "2026-06-08", "days": 1, "location": "jc-mitte"}
    services.hold_slot([office.short], office.location, EIGHT, now=NOW)
    day = client.get("/api/appointments/availability", params).json()["locations"][0]["days"][0]
    assert day["free_starts"] == 23


def test_challenge(client, db):
    response = client.get("/api/appointments/challenge")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["signature"] and data["parameters"]["algorithm"] == "PBKDF2/SHA-256"


# --- hold → book → look-up → cancel ------------------------------------------------------------------
def test_round_trip_writes_to_the_database(office, frozen, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)  # portals send no CSRF token, and need none
    response = hold(client, office, idempotency_key="form-1")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    held = response.json()
    assert held["status"] == "held"
    assert held["start"] == "2026-06-08T08:00:00+02:00" and held["end"] == "2026-06-08T08:15:00+02:00"
    assert held["location"] == {"slug": "jc-mitte", "name": "Jobcenter Mitte"}
    assert held["services"] == [{"slug": "meldebescheinigung", "name": "Meldebescheinigung",
                                 "duration_minutes": 15}]
    assert held["hold_expires_at"].startswith("2026-06-05T08:03:00")  # UTC: a short first hold (ADR 0015)
    appointment = Appointment.objects.get(code=held["code"])
    assert appointment.status == Status.HELD
    assert slot_at(office.group, office.location, EIGHT).online_used == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, held, phone="0171 2345678", interpreter_language="Arabisch",
                        wheelchair=True)
    assert response.status_code == 200, response.content
    booked = response.json()
    assert booked["status"] == "confirmed" and booked["status_label"] == "gebucht"
    assert booked["name"] == "Erika Mustermann" and booked["message"] == "Ihr Termin ist gebucht."
    assert not {"email", "phone", "case_number", "note"} & set(booked)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.email, appointment.phone, appointment.wheelchair) == (
        Status.CONFIRMED, "erika@example.org", "+491712345678", True)
    assert len(mail.outbox) == 1  # the confirmation with the .ics
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, held).json()["status"] == "confirmed"  # sending twice books once
    assert len(mail.outbox) == 1

    looked_up = client.get(f"/api/appointments/booking/{held['code']}", {"token": held["token"]})
    assert looked_up.status_code == 200 and looked_up.json() == booked
    assert looked_up["Cache-Control"] == "no-store"
    lower = client.get(f"/api/appointments/booking/{held['code'].lower()}", {"token": held["token"]})
    assert lower.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/appointments/booking/{held['code']}/cancel",
                               {"token": held["token"]}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert len(mail.outbox) == 2  # the cancellation
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED and appointment.capacity_release_at is not None
    again = client.post(f"/api/appointments/booking/{held['code']}/cancel", {"token": held["token"]},
                        content_type="application/json")
    assert again.status_code == 200
    assert_capacity_invariant()


def test_email_confirmation_groups_answer_pending(client, frozen, db):
    office = build_office(require_email_confirmation=True)
    held = hold(client, office).json()
    assert_german_error(book(client, held, email="", phone="0171 2345678"), 400, "E-Mail-Adresse")
    booked = book(client, held).json()
    assert booked["status"] == "pending_confirmation" and booked["confirmation_required"] is True
    assert "Link in der E-Mail" in booked["message"]


def test_hold_is_idempotent(client, office, frozen):
    first = hold(client, office, idempotency_key="doppelklick")
    second = hold(client, office, idempotency_key="doppelklick")
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]
    assert Appointment.objects.count() == 1
    assert slot_at(office.group, office.location, EIGHT).online_used == 1
    other = hold(client, office, start=at(2026, 6, 8, 9), idempotency_key="doppelklick")
    assert_german_error(other, 400, "anderen Angaben")


def test_full_slot_answers_409(client, office, frozen):
    assert hold(client, office).status_code == 201  # online quota 1
    assert_german_error(hold(client, office), 409, "leider vergeben")
    assert_german_error(hold(client, office, start=at(2026, 6, 8, 8, 7)), 409, "leider vergeben")
    assert Appointment.objects.count() == 1
    assert_capacity_invariant()


def test_expired_hold_answers_410(client, office):
    with time_machine.travel(NOW, tick=False):
        held = hold(client, office).json()
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert_german_error(book(client, held), 410, "abgelaufen")
        assert Appointment.objects.get(code=held["code"]).status == Status.HELD
    # After the appointment day the link itself has expired.
    with time_machine.travel(at(2026, 6, 9, 8), tick=False):
        assert_german_error(client.get(f"/api/appointments/booking/{held['code']}",
                                       {"token": held["token"]}), 410, "abgelaufen")


def test_tampered_or_foreign_tokens_are_refused(client, office, frozen):
    held = hold(client, office).json()
    other = hold(client, office, start=at(2026, 6, 8, 9)).json()
    expiry, signature = held["token"].split(".")
    tampered = [f"{expiry}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
                f"{int(expiry, 16) + 86400:x}.{signature}", other["token"], "", "x" * 119, "kein-punkt"]
    for token in tampered:
        response = client.get(f"/api/appointments/booking/{held['code']}", {"token": token})
        assert_german_error(response, 403, "Link ist ungültig")
        response = client.post(f"/api/appointments/booking/{held['code']}/cancel", {"token": token},
                               content_type="application/json")
        assert_german_error(response, 403)
        assert_german_error(book(client, {"code": held["code"], "token": token}), 403)
    assert_german_error(client.get("/api/appointments/booking/ZZZZZZZZ", {"token": held["token"]}), 403)
    assert_german_error(client.get(f"/api/appointments/booking/{held['code']}", {"token": "y" * 121}), 422)
    assert Appointment.objects.get(code=held["code"]).status == Status.HELD


def test_guessing_tokens_is_rate_limited(client, office, frozen, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lookup_ip": (3, 600)}
    held = hold(client, office).json()
    statuses = [client.get(f"/api/appointments/booking/{held['code']}", {"token": "0.falsch"}).status_code
                for _ in range(5)]
    assert statuses == [403, 403, 403, 429, 429]
    response = client.get(f"/api/appointments/booking/{held['code']}", {"token": "0.falsch"})
    assert_german_error(response, 429, "Zu viele Anfragen")
    # The right token still works: only wrong ones are counted.
    response = client.get(f"/api/appointments/booking/{held['code']}", {"token": held["token"]})
    assert response.status_code == 200


def test_hold_rate_limit_per_ip_answers_429(client, office, frozen, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (2, 600)}
    assert hold(client, office).status_code == 201
    assert hold(client, office, start=at(2026, 6, 8, 9)).status_code == 201
    assert_german_error(hold(client, office, start=at(2026, 6, 8, 10)), 429, "Zu viele Anfragen")
    assert Appointment.objects.count() == 2


def test_altcha_is_required_when_enabled(client, office, frozen, settings):
    settings.ALTCHA_ENABLED = True
    assert_german_error(hold(client, office), 403, "Prüfung gegen Missbrauch")
    assert_german_error(hold(client, office, altcha="kaputt"), 403)
    challenge = client.get("/api/appointments/challenge").json()
    parsed = altcha.Challenge.from_dict(challenge)
    payload = altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()
    assert hold(client, office, altcha=payload, idempotency_key="k1").status_code == 201
    # The repeated submit of the same form needs no second solution …
    assert hold(client, office, altcha=payload, idempotency_key="k1").status_code == 201
    # … but a solution is never accepted for a second booking.
    assert_german_error(hold(client, office, start=at(2026, 6, 8, 9), altcha=payload), 403)
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"start": "2026-06-08T08:00:00"}, 422, "Ungültige Eingabe"),  # no offset
    ({"start": "gestern"}, 422, "Ungültige Eingabe"),
    ({"start": "9999-12-31T23:59:00+00:00"}, 400, "nicht buchbar"),
    ({"start": "0001-01-01T00:00:00-05:00"}, 400, "nicht buchbar"),
    ({"start": "2026-06-05T09:00:00+02:00"}, 400, "Vergangenheit"),
    ({"start": "2026-09-08T08:00:00+02:00"}, 400, "nicht buchbar"),  # beyond the booking window
    ({"services": ["fuehrerschein"]}, 400, "nicht angeboten"),
    ({"services": ["personalausweis", "meldebescheinigung"], "start": "2026-06-08T11:30:00+02:00"},
     409, "leider vergeben"),  # 45 minutes do not fit before the lunch break
    ({"services": []}, 422, "Ungültige Eingabe"),
    ({"services": ["gibt-es-nicht"]}, 404, "Leistung"),
    ({"location": "jc-nord"}, 400, "nicht angeboten"),
    ({"location": "unbekannt"}, 404, "Standort"),
    ({"idempotency_key": "x" * 101}, 422, "Ungültige Eingabe"),
    ({"idempotency_key": "   "}, 400, "Ungültige Anfrage"),
])
def test_hold_bad_input(client, office, frozen, body, status, fragment):
    base = {"services": [office.short.slug], "location": office.location.slug, "start": EIGHT.isoformat()}
    response = client.post("/api/appointments/hold", {**base, **body}, content_type="application/json")
    assert_german_error(response, status, fragment)
    assert not Appointment.objects.exists()


def test_malformed_json_is_a_german_4xx(client, office):
    response = client.post("/api/appointments/hold", "{kaputt", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


@pytest.mark.parametrize(("details", "fragment"), [
    ({"name": "   "}, "Namen"),
    ({"email": "keine-adresse"}, "E-Mail-Adresse"),
    ({"email": "", "phone": "123"}, "Telefonnummer"),
    ({"email": "", "phone": ""}, "E-Mail-Adresse oder eine Mobilnummer"),
])
def test_book_bad_details(client, office, frozen, details, fragment):
    held = hold(client, office).json()
    assert_german_error(book(client, held, **details), 400, fragment)
    assert Appointment.objects.get(code=held["code"]).status == Status.HELD


def test_book_too_long_field_is_422(client, office, frozen):
    held = hold(client, office).json()
    assert_german_error(book(client, held, note="x" * 1001), 422, "Ungültige Eingabe")


def test_cancelled_hold_cannot_be_booked(client, office, frozen):
    held = hold(client, office).json()
    client.post(f"/api/appointments/booking/{held['code']}/cancel", {"token": held["token"]},
                content_type="application/json")
    assert_german_error(book(client, held), 400, "nicht mehr bestätigt")


def test_multi_unit_hold_occupies_consecutive_units(client, office, frozen):
    response = hold(client, office, services=["personalausweis", "meldebescheinigung"])
    assert response.status_code == 201
    held = response.json()
    assert held["end"] == "2026-06-08T08:45:00+02:00"
    appointment = Appointment.objects.get(code=held["code"])
    assert AppointmentSlot.objects.filter(appointment=appointment).count() == 3
    assert sorted(Slot.objects.filter(online_used=1).values_list("start", flat=True)) == [
        EIGHT, EIGHT + timedelta(minutes=15), EIGHT + timedelta(minutes=30)]


def test_english_accept_language_translates_errors(client, office, frozen):
    response = client.get("/api/appointments/availability", {"service": "gibt-es-nicht"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_day_without_units_next_to_extra_day(client, office, frozen):
    """An extra Saturday appears in the overview; the weekday-only office had none before."""
    add_schedule(office.group, office.location, "09:00", "10:00", day=date(2026, 6, 13))
    services.materialize_slots(office.group, office.location, date(2026, 6, 13), date(2026, 6, 13))
    data = client.get("/api/appointments/availability", {"service": "meldebescheinigung",
                                                         "from": "2026-06-13", "days": 1}).json()
    assert data["locations"][0]["days"] == [{"day": "2026-06-13", "free_starts": 4,
                                             "first_start": "2026-06-13T09:00:00+02:00"}]


def test_taken_times_are_refused_without_locks_but_due_capacity_is_not(client, office):
    from buergerkontakt.appointments.availability_cache import certainly_taken

    ids = [office.short.pk]
    with time_machine.travel(NOW, tick=False):
        assert not certainly_taken(ids, office.location.pk, EIGHT, NOW)
        first = hold(client, office).json()
        assert certainly_taken(ids, office.location.pk, EIGHT, NOW)
        assert not certainly_taken(ids, office.location.pk, at(2026, 6, 8, 8, 5), NOW)  # no such unit
        assert not certainly_taken([office.other.pk], office.location.pk, EIGHT, NOW)  # services decide
        assert_german_error(hold(client, office), 409, "leider vergeben")
    later = NOW + timedelta(minutes=11)  # the first hold has expired: its capacity is due, hence free
    with time_machine.travel(later, tick=False):
        assert not certainly_taken(ids, office.location.pk, EIGHT, later)
        second = hold(client, office)
        assert second.status_code == 201, second.content
        assert second.json()["code"] != first["code"]
        assert Appointment.objects.get(code=first["code"]).status == Status.EXPIRED
    assert_capacity_invariant()


@pytest.mark.django_db(transaction=True)
def test_taken_answer_is_remembered_until_a_write_or_the_next_due_time():
    """Outside a transaction (as in production) a "taken" answer is remembered: the refusal reads
    nothing, the holder's own idempotency key still gets its hold back, a cancellation drops the
    memo at once and the next due time (hold expiry) bounds it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from buergerkontakt.appointments.availability_cache import certainly_taken

    office = build_office()
    client, ids, where = Client(), [office.short.pk], office.location.pk
    with time_machine.travel(NOW, tick=False):
        first = hold(client, office, idempotency_key="erste-anfrage").json()
        assert certainly_taken(ids, where, EIGHT, NOW)
        with CaptureQueriesContext(connection) as queries:
            assert certainly_taken(ids, where, EIGHT, NOW, idempotency_key="jemand-anders")
            assert not certainly_taken(ids, where, EIGHT, NOW, idempotency_key="erste-anfrage")
        assert len(queries) == 0
        again = hold(client, office, idempotency_key="erste-anfrage")
        assert again.status_code == 201 and again.json()["code"] == first["code"]
        assert_german_error(hold(client, office, idempotency_key="jemand-anders"), 409, "leider vergeben")

        services.cancel_appointment(Appointment.objects.get(code=first["code"]))
        with CaptureQueriesContext(connection) as queries:
            # still occupied until its capacity is released, but asked afresh after the write
            assert certainly_taken(ids, where, EIGHT, NOW)
        assert len(queries) > 0
    later = NOW + timedelta(minutes=11)  # the cancelled hold's capacity is due: free again
    with time_machine.travel(later, tick=False):
        assert not certainly_taken(ids, where, EIGHT, later)
        assert hold(client, office).status_code == 201
    assert_capacity_invariant()


def test_hidden_locations_are_left_out(client, office, frozen):
    office.location.is_public = False
    office.location.save()
    data = client.get("/api/appointments/availability", {"service": "meldebescheinigung",
                                                         "from": "2026-06-08", "days": 3}).json()
    assert data["locations"] == [] and data["earliest"] is None
    assert_german_error(hold(client, office), 404, "Standort")


@pytest.mark.django_db(transaction=True)
def test_stale_overview_is_served_while_it_is_refreshed_in_the_background(client):
    """Outside a transaction (as in production) a changed group's overview is answered from the
    previous document at once and refreshed by a background thread."""
    import time

    office = build_office()
    params = {"service": "meldebescheinigung", "from": "2026-06-08", "days": 1, "location": "jc-mitte"}

    def free_starts() -> int:
        return client.get("/api/appointments/availability", params).json()["locations"][0]["days"][0][
            "free_starts"]

    with time_machine.travel(NOW, tick=False):
        assert free_starts() == 24
        assert hold(client, office).status_code == 201  # a new generation of the group
        assert free_starts() == 24  # the previous document, while the refresh runs
        for _ in range(200):
            if free_starts() == 23:
                break
            time.sleep(0.05)
        assert free_starts() == 23


def test_a_day_released_at_the_release_time_appears_at_once(client, settings):
    """The cached overview does not hide a newly released day until it expires."""
    settings.AVAILABILITY_CACHE_SECONDS = 3600
    office = build_office(materialize=(date(2026, 7, 20), date(2026, 7, 20)))  # window 42 days, 08:00
    params = {"service": "meldebescheinigung", "from": "2026-07-20", "days": 1}
    with time_machine.travel(at(2026, 6, 8, 7, 59), tick=False):
        assert client.get("/api/appointments/availability", params).json()["locations"] == []
    with time_machine.travel(at(2026, 6, 8, 8, 0), tick=False):
        [place] = client.get("/api/appointments/availability", params).json()["locations"]
    assert place["slug"] == office.location.slug and place["days"][0]["free_starts"] == 24
