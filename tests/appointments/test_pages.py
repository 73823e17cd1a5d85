"""Citizen booking pages through the test client: each step, the proof of work, signed links and
bad input. Real database, real ALTCHA challenges (solved with the reference solver), real mails
(locmem backend)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import altcha
import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from buergerkontakt.appointments import links, services
from buergerkontakt.appointments.models import Appointment, AppointmentSlot, Slot

from .builders import at, build_office, slot_at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)  # Friday; the reference week starts on Monday 8 June
MONDAY = "2026-06-08"
EIGHT = at(2026, 6, 8, 8)
Status = Appointment.Status
# Mails are sent after the transaction commits (on_commit), so these tests really commit.
COMMITS = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clock_and_cache(settings):
    settings.ALTCHA_COST = 50  # cheap for the solver; the protocol is the same
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office():
    return build_office()


def solve(client) -> str:
    challenge = client.get("/termine/altcha/").json()
    parsed = altcha.Challenge.from_dict(challenge)
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


def time_form(office, start=EIGHT, service="meldebescheinigung", **extra):
    return {"service": service, "location": office.location.slug, "day": MONDAY,
            "start": start.isoformat(), **extra}


def hold(client, office, **extra):
    data = time_form(office, **extra)
    data.setdefault("altcha", solve(client))
    return client.post("/termine/zeit/", data)


def details_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


DETAILS = {"name": "Erika Mustermann", "email": "erika@example.org", "phone": "",
           "interpreter_language": "Türkisch", "wheelchair": "on"}


# --- the steps ----------------------------------------------------------------------------------------
def test_service_list_groups_bookable_services(client, office):
    page = client.get("/termine/").content.decode()
    assert "Pass Und Ausweis" in page  # the group's legend
    assert 'value="meldebescheinigung"' in page and 'value="personalausweis"' in page


def test_day_list_shows_free_days_and_the_earliest_anywhere(client, office):
    response = client.get("/termine/wann/", {"service": "meldebescheinigung"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Frühester Termin an allen Standorten" in page
    assert "Montag, 8. Juni" in page and "ab 08:00 Uhr" in page
    # the first page covers 5–18 June: each of its 9 working days with slots once, linked to its times
    assert page.count('href="/termine/zeit/?service=meldebescheinigung') == 9
    assert "Spätere Tage" in page


def test_time_page_lists_free_starts_and_full_times_disappear(client, office):
    page = client.get("/termine/zeit/", time_form(office)).content.decode()
    assert 'value="2026-06-08T08:00:00+02:00"' in page
    office.book(EIGHT, now=NOW)  # the only online counter at 08:00 is gone
    page = client.get("/termine/zeit/", time_form(office)).content.decode()
    assert 'value="2026-06-08T08:00:00+02:00"' not in page
    assert 'value="2026-06-08T08:15:00+02:00"' in page


@COMMITS
def test_full_booking_by_the_pages_sends_mail_with_ics_and_manage_link(client, office):
    url = details_url(hold(client, office))
    appointment = Appointment.objects.get()
    assert appointment.status == Status.HELD and appointment.start == EIGHT
    form_page = client.get(url).content.decode()
    assert "bis 10:10 Uhr für Sie frei" in form_page

    response = client.post(url, DETAILS)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert (appointment.name, appointment.interpreter_language, appointment.wheelchair) == (
        "Erika Mustermann", "Türkisch", True)
    manage = client.get(response["Location"]).content.decode()
    assert "Ihr Termin ist gebucht" in manage and appointment.code in manage

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erika@example.org"] and message.subject == "Ihr Termin ist gebucht"
    assert appointment.code in message.body
    filename, ics, mimetype = message.attachments[0]
    assert mimetype == "text/calendar" and filename == f"termin-{appointment.code}.ics"
    ics_text = ics.decode() if isinstance(ics, bytes) else ics
    assert "DTSTART:20260608T060000Z" in ics_text and f"UID:{appointment.code}@" in ics_text
    link = re.search(r"http://\S+/termine/\S+", message.body.replace("=\n", "")).group(0)
    assert client.get(urlparse(link).path + "?" + urlparse(link).query).status_code == 200


def test_double_submit_of_the_time_form_holds_once(client, office):
    data = time_form(office, request_id="abc123", altcha=solve(client))
    first = client.post("/termine/zeit/", data)
    second = client.post("/termine/zeit/", data)  # the same solved challenge, the same request id
    assert details_url(first) == details_url(second)
    assert Appointment.objects.count() == 1
    assert slot_at(office.group, office.location, EIGHT).online_used == 1


@COMMITS
def test_double_submit_of_the_details_form_books_once(client, office):
    url = details_url(hold(client, office))
    assert client.post(url, DETAILS).status_code == 302
    assert client.post(url, DETAILS).status_code == 302  # already booked → the manage page
    assert Appointment.objects.filter(status=Status.CONFIRMED).count() == 1
    assert len(mail.outbox) == 1


@COMMITS
def test_cancel_by_signed_link_asks_first_then_cancels_and_mails(client, office):
    url = details_url(hold(client, office))
    manage_url = client.post(url, DETAILS)["Location"].replace("&neu=1", "")
    appointment = Appointment.objects.get()
    ask = client.get(manage_url + "&absagen=1").content.decode()
    assert "wirklich absagen" in ask
    assert Appointment.objects.get().status == Status.CONFIRMED  # GET never changes anything
    path, query = manage_url.split("?")
    response = client.post(f"{path}?{query}", {"action": "cancel"})
    assert response.status_code == 200
    assert "Ihr Termin ist storniert" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert [m.subject for m in mail.outbox] == ["Ihr Termin ist gebucht", "Ihr Termin wurde storniert"]


def test_reschedule_moves_the_booking_in_one_step(client, office):
    manage_url = client.post(details_url(hold(client, office)), DETAILS)["Location"]
    old = Appointment.objects.get()
    token = parse_qs(urlparse(manage_url).query)["t"][0]
    nine = at(2026, 6, 8, 9)
    response = hold(client, office, start=nine, ersetzt=old.code, t=token)
    url = details_url(response)
    assert "ersetzt=" in url
    page = client.get(url).content.decode()
    assert "Verschieben bestätigen" in page
    moved = client.post(url, {})
    assert moved.status_code == 302 and "verschoben=1" in moved["Location"]
    old.refresh_from_db()
    new = Appointment.objects.exclude(pk=old.pk).get()
    assert old.status == Status.CANCELLED and new.status == Status.CONFIRMED
    assert (new.start, new.name, new.email, new.interpreter_language) == (
        nine, "Erika Mustermann", "erika@example.org", "Türkisch")


@COMMITS
def test_email_confirmation_link_books_only_after_the_click(client, office):
    office.group.require_email_confirmation = True
    office.group.save()
    url = details_url(hold(client, office))
    manage_url = client.post(url, DETAILS)["Location"]
    appointment = Appointment.objects.get()
    assert appointment.status == Status.PENDING_CONFIRMATION
    assert "Bitte bestätigen Sie Ihren Termin" in client.get(manage_url).content.decode()
    assert mail.outbox[0].subject == "Bitte bestätigen Sie Ihren Termin"
    link = re.search(r"http://\S+/bestaetigen/\S+", mail.outbox[0].body.replace("=\n", "")).group(0)
    link = link.replace("=3D", "=")
    confirm_path = urlparse(link).path + "?" + urlparse(link).query
    assert client.get(confirm_path).status_code == 200  # a mail scanner opening the link…
    assert Appointment.objects.get().status == Status.PENDING_CONFIRMATION  # …changes nothing
    assert client.post(confirm_path).status_code == 302
    assert Appointment.objects.get().status == Status.CONFIRMED
    assert mail.outbox[-1].subject == "Ihr Termin ist gebucht"


# --- the clear German messages ---------------------------------------------------------------------------
def test_a_taken_time_says_leider_vergeben(client, office):
    office.book(EIGHT, now=NOW)
    response = hold(client, office)
    assert response.status_code == 409
    assert "leider vergeben" in response.content.decode()
    assert Appointment.objects.count() == 1


@COMMITS
def test_expired_hold_says_so_and_frees_the_time(client, office):
    url = details_url(hold(client, office))
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        response = client.post(url, DETAILS)
        assert response.status_code == 410
        assert "Die Reservierung ist abgelaufen" in response.content.decode()
        assert EIGHT in services.free_starts([office.short], office.location, EIGHT.date())
    assert Appointment.objects.get().status != Status.CONFIRMED
    assert mail.outbox == []


def test_hold_without_proof_of_work_is_refused(client, office):
    response = client.post("/termine/zeit/", time_form(office))
    assert response.status_code == 403
    assert "Prüfung gegen Missbrauch" in response.content.decode()
    response = client.post("/termine/zeit/", time_form(office, altcha="bm90LWEtcGF5bG9hZA=="))
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


def test_rate_limit_per_ip_on_holds(client, office, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (2, 600)}
    statuses = [hold(client, office, start=at(2026, 6, 8, 8, 15 * i)).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert Appointment.objects.count() == 2


def test_rate_limit_per_person_on_bookings(client, office, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_person": (1, 3600)}
    office.group.max_active_per_person = 0
    office.group.save()
    first = client.post(details_url(hold(client, office)), DETAILS)
    second_url = details_url(hold(client, office, start=at(2026, 6, 8, 9)))
    second = client.post(second_url, {**DETAILS, "email": "ERIKA@example.org"})
    assert first.status_code == 302 and second.status_code == 429
    assert "Zu viele Anfragen" in second.content.decode()


@pytest.mark.parametrize(("query", "status", "text"), [
    ({"service": "gibt-es-nicht"}, 400, "Unbekannte Leistung"),
    ({}, 400, "mindestens eine Leistung"),
    ({"service": "meldebescheinigung", "location": "irgendwo"}, 400, "an diesem Standort nicht"),
    ({"service": "meldebescheinigung", "from": "2026-13-45"}, 400, "Ungültiges Datum"),
    ({"service": ["meldebescheinigung", "fuehrerschein"]}, 400, "nicht gemeinsam"),
])
def test_day_page_bad_input(client, office, query, status, text):
    response = client.get("/termine/wann/", query)
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.parametrize(("day", "text"), [
    ("2026-06-01", "in der Vergangenheit"),
    ("2026-09-30", "noch nicht vergeben"),
    ("kein-datum", "Ungültiges Datum"),
])
def test_time_page_rejects_days_outside_the_window(client, office, day, text):
    response = client.get("/termine/zeit/", {**time_form(office), "day": day})
    assert response.status_code == 400
    assert text in response.content.decode()


def test_invalid_details_keep_the_hold_and_explain(client, office):
    url = details_url(hold(client, office))
    response = client.post(url, {"name": "", "email": "keine-adresse"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "gültige E-Mail-Adresse" in page and "Bitte prüfen Sie Ihre Angaben" in page
    assert Appointment.objects.get().status == Status.HELD
    response = client.post(url, {"name": "Erika"})
    assert response.status_code == 400 and "E-Mail-Adresse oder eine Mobilnummer" in response.content.decode()
    response = client.post(url, {"name": "Erika", "phone": "12"})
    assert response.status_code == 400 and "gültige Telefonnummer" in response.content.decode()


def test_tampered_and_expired_links_are_refused(client, office):
    manage_url = client.post(details_url(hold(client, office)), DETAILS)["Location"]
    appointment = Appointment.objects.get()
    path, query = manage_url.split("?")
    token = parse_qs(query)["t"][0]
    expiry, signature = token.split(".")
    forged = f"{int(expiry, 16) + 86400:x}.{signature}"  # a later expiry with the old signature
    for bad in (forged, token[:-2] + "xx", "", "garbage"):
        response = client.get(path, {"t": bad})
        assert response.status_code == 404
        assert "Dieser Link ist ungültig" in response.content.decode()
    other = Appointment.objects.create(group=office.group, location=office.location, start=EIGHT,
                                       end=EIGHT + timedelta(minutes=15), status=Status.CANCELLED)
    assert client.get(f"/termine/{other.code}/", {"t": token}).status_code == 404  # token of another code
    with time_machine.travel(at(2026, 6, 9, 0, 1), tick=False):
        response = client.get(path, {"t": token})
        assert response.status_code == 410 and "abgelaufen" in response.content.decode()
    assert client.post(path + "?t=" + forged, {"action": "cancel"}).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_nothing_half_booked_after_refusals(client, office):
    office.book(EIGHT, now=NOW)
    hold(client, office)  # taken
    client.post("/termine/zeit/", time_form(office))  # no proof of work
    client.post("/termine/zeit/", {**time_form(office), "start": "gestern"})
    assert Appointment.objects.count() == 1
    assert AppointmentSlot.objects.count() == 1
    assert sum(Slot.objects.values_list("online_used", flat=True)) == 1


@COMMITS
def test_lookup_resends_the_link_without_revealing_bookings(client, office):
    client.post(details_url(hold(client, office)), DETAILS)
    appointment = Appointment.objects.get()
    mail.outbox.clear()
    found = client.post("/termine/suchen/",
                        {"code": appointment.code.lower(), "contact": "erika@example.org"})
    missing = client.post("/termine/suchen/", {"code": "ZZZZZZZZ", "contact": "erika@example.org"})
    assert found.status_code == missing.status_code == 200
    text = "haben wir Ihnen die Bestätigung mit dem Link soeben erneut geschickt"
    assert text in found.content.decode() and text in missing.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erika@example.org"]


@COMMITS
def test_lookup_compares_with_the_bookings_own_contact_only(client, office):
    """Issue 20 item 10: any valid number in E.164 matched, because the input was compared with a
    value derived from the input. Only the booking's own e-mail address or phone number matches."""
    client.post(details_url(hold(client, office)),
                {**DETAILS, "email": "Erika@Example.org", "phone": "0151 23456789"})
    appointment = Appointment.objects.get()
    assert appointment.phone == "+4915123456789"
    mail.outbox.clear()

    def resends(contact: str, code: str = appointment.code) -> bool:
        before = len(mail.outbox)
        response = client.post("/termine/suchen/", {"code": code, "contact": contact})
        assert response.status_code == 200
        return len(mail.outbox) > before

    # somebody else's numbers and addresses, in every spelling: nothing is sent
    for foreign in ("+4930123456", "+4915199999999", "+491512345678", "030 123456", "max@example.org",
                    "erika@example.org.evil", "+4915123456788"):
        assert not resends(foreign), foreign
    # the booking's own contact, however it is written
    for own in ("+4915123456789", "0151 23456789", "0049 151 2345 6789", "ERIKA@example.org",
                " erika@example.org "):
        assert resends(own), own
    assert all(message.to == ["erika@example.org"] for message in mail.outbox)
    assert not resends("+4915123456789", code="ZZZZZZZZ")


def test_calendar_file_download(client, office):
    manage_url = client.post(details_url(hold(client, office)), DETAILS)["Location"]
    appointment = Appointment.objects.get()
    token = parse_qs(urlparse(manage_url).query)["t"][0]
    response = client.get(f"/termine/{appointment.code}/termin.ics", {"t": token})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content
    assert client.get(f"/termine/{appointment.code}/termin.ics", {"t": "x.y"}).status_code == 404
    assert links.make_token(appointment) == token
