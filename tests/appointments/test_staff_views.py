"""Staff appointment pages: role × endpoint access, scoping, calendars, actions and bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment, Quota
from buergerkontakt.core.models import Role
from tests.factories import make_user

from .builders import at, build_office

pytestmark = pytest.mark.django_db

Status = Appointment.Status
SETUP = at(2026, 6, 8, 7)  # Monday morning, before the counters open
NOW = at(2026, 6, 8, 10, 5)  # the moment the pages are used
TOMORROW_9 = at(2026, 6, 9, 9)


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False  # force_login here; the two-factor sign-in is tested in tests/core


@pytest.fixture
def office():
    office = build_office(counters=4, online_quota=1)
    office.short.teams.add(office.org.team)  # "Leistung 1" handles the short service
    return office


def book(office, start, *, name="Erika Mustermann", **details):
    held = services.hold_slot([office.short], office.location, start, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=SETUP)
    return services.confirm_booking(held, name=name, now=SETUP, **details)


def client_for(client, office, role):
    client.force_login(office.org.users[role])
    return client


# --- role × endpoint -----------------------------------------------------------------------------
ALLOWED, DENIED, HIDDEN = "allowed", 403, 404

# role → expected result for: calendars, detail/actions, assign, booking
MATRIX = {
    "agent": (ALLOWED, ALLOWED, DENIED, ALLOWED),
    "caseworker": (ALLOWED, ALLOWED, ALLOWED, DENIED),
    "teamlead": (ALLOWED, ALLOWED, ALLOWED, DENIED),
    "admin": (ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "security": (DENIED, DENIED, DENIED, DENIED),
    "register_keeper": (DENIED, DENIED, DENIED, DENIED),
    "dpo": (DENIED, DENIED, DENIED, DENIED),
    "professional": (DENIED, DENIED, DENIED, DENIED),
    # Staff of another authority: may use the pages, but never see this authority's appointments.
    "other_admin": (ALLOWED, HIDDEN, HIDDEN, ALLOWED),
    "other_teamlead": (ALLOWED, HIDDEN, HIDDEN, DENIED),
}


def outcome(response) -> str | int:
    assert response.status_code < 500, response.content[:500]
    if response.status_code in (400, 403, 404):
        return response.status_code
    return ALLOWED


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_by_endpoint(client, office, role):
    calendars, actions, assigning, booking = MATRIX[role]
    today_10 = book(office, at(2026, 6, 8, 10))
    today_945 = book(office, at(2026, 6, 8, 9, 45))
    checked_in = book(office, at(2026, 6, 8, 9))
    services.check_in(checked_in, now=at(2026, 6, 8, 8, 55))
    future = [book(office, TOMORROW_9 + timedelta(minutes=15 * i)) for i in range(3)]
    caseworker = office.org.users["caseworker"]
    client = client_for(client, office, role)
    url = lambda name, *args: reverse(f"appointments_staff:{name}", args=args)  # noqa: E731

    with time_machine.travel(NOW, tick=False):
        assert outcome(client.get(url("day"))) == calendars
        assert outcome(client.get(url("week"))) == calendars
        assert outcome(client.get(url("day"), HTTP_HX_REQUEST="true")) == calendars
        assert outcome(client.get(url("detail", today_10.pk))) == actions
        assert outcome(client.get(url("reschedule", future[0].pk))) == actions
        assert outcome(client.post(url("check_in", today_10.pk))) == actions
        assert outcome(client.post(url("no_show", today_945.pk))) == actions
        assert outcome(client.post(url("complete", checked_in.pk))) == actions
        assert outcome(client.post(url("cancel", future[0].pk))) == actions
        assert outcome(client.post(url("reschedule", future[1].pk),
                                   {"start": at(2026, 6, 10, 9).isoformat()})) == actions
        assert outcome(client.post(url("assign", future[2].pk), {"mitarbeiter": caseworker.pk})) == assigning
        assert outcome(client.get(url("book"))) == booking
        assert outcome(client.post(url("book_hold"), {
            "leistung": office.short.pk, "standort": office.location.pk,
            "start": at(2026, 6, 11, 9).isoformat()})) == (400 if role == "other_admin" else booking)

    statuses = {a.pk: a.status for a in Appointment.objects.all()}
    if actions == ALLOWED:
        assert statuses[today_10.pk] == Status.CHECKED_IN
        assert statuses[today_945.pk] == Status.NO_SHOW
        assert statuses[checked_in.pk] == Status.COMPLETED
        assert statuses[future[0].pk] == Status.CANCELLED
        assert statuses[future[1].pk] == Status.CANCELLED  # rescheduled
        assert Appointment.objects.filter(start=at(2026, 6, 10, 9), status=Status.CONFIRMED).exists()
    else:
        assert statuses[today_10.pk] == statuses[today_945.pk] == Status.CONFIRMED
        assert statuses[checked_in.pk] == Status.CHECKED_IN
        assert statuses[future[0].pk] == statuses[future[1].pk] == Status.CONFIRMED
    future[2].refresh_from_db()
    assert (future[2].staff == caseworker) == (assigning == ALLOWED)


def test_anonymous_users_are_sent_to_the_login(client, office):
    for name in ("day", "week", "book"):
        response = client.get(reverse(f"appointments_staff:{name}"))
        assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_two_factor_is_required(client, office, settings):
    settings.REQUIRE_2FA = True
    client_for(client, office, "admin")
    response = client.get(reverse("appointments_staff:day"))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


# --- scoping within the authority ----------------------------------------------------------------
def test_team_sees_its_services_and_its_members_appointments(client, office):
    org = office.org
    own = book(office, TOMORROW_9, name="Anna Teamservice")
    foreign = services.confirm_booking(
        services.hold_slot([office.long], office.location, TOMORROW_9 + timedelta(hours=1),
                           quota=Quota.INTERNAL, booked_by=office.agent, now=SETUP),
        name="Bernd Fremdservice", now=SETUP)
    stranger = make_user("second_caseworker", org.authority, Role.CASEWORKER, scope=org.second_team)
    stranger.teams.add(org.second_team)
    day_url = reverse("appointments_staff:day") + "?gefiltert=1&tag=2026-06-09"

    client.force_login(org.users["caseworker"])
    page = client.get(day_url).content.decode()
    assert "Anna Teamservice" in page and "Bernd Fremdservice" not in page
    assert client.get(reverse("appointments_staff:detail", args=[foreign.pk])).status_code == 404

    # Assigned to a member of team 1, the other service's appointment joins the team's calendar.
    foreign.staff = org.users["caseworker"]
    foreign.save()
    assert "Bernd Fremdservice" in client.get(day_url).content.decode()

    client.force_login(stranger)
    page = client.get(day_url).content.decode()
    assert "Anna Teamservice" not in page and "Bernd Fremdservice" not in page
    assert client.get(reverse("appointments_staff:detail", args=[own.pk])).status_code == 404

    client.force_login(org.users["agent"])
    page = client.get(day_url).content.decode()
    assert "Anna Teamservice" in page and "Bernd Fremdservice" in page


def test_other_authority_sees_nothing_and_cannot_filter_by_our_location(client, office):
    book(office, TOMORROW_9, name="Erika Geheim")
    client_for(client, office, "other_admin")
    page = client.get(reverse("appointments_staff:day") + "?gefiltert=1&tag=2026-06-09").content.decode()
    assert "Erika Geheim" not in page
    assert office.location.name not in page  # not even offered as a filter
    response = client.get(reverse("appointments_staff:week") + f"?gefiltert=1&standort={office.location.pk}")
    assert response.status_code == 404
    response = client.get(reverse("appointments_staff:book") + f"?leistung={office.short.pk}")
    assert response.status_code == 400
    assert "Diese Leistung können Sie nicht buchen." in response.content.decode()


@pytest.mark.parametrize("query", ["tag=gestern", "tag=2026-13-01", "standort=abc", "person=-1x"])
def test_bad_calendar_input_is_a_400_with_a_german_message(client, office, query):
    client_for(client, office, "admin")
    response = client.get(reverse("appointments_staff:day") + "?gefiltert=1&" + query)
    assert response.status_code == 400
    assert "Bitte prüfen Sie Datum und Filter des Kalenders." in response.content.decode()


# --- calendars --------------------------------------------------------------------------------------
def test_day_view_shows_appointments_needs_quota_and_free_capacity(client, office):
    book(office, at(2026, 6, 8, 10), name="Erika Mustermann", interpreter_language="Arabisch",
         wheelchair=True, sign_language=True)
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("appointments_staff:day"))  # agent default: first location
    page = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 30s"' in page
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
    assert "Erika Mustermann" in page and "Meldebescheinigung" in page
    assert "Dolmetscher: Arabisch" in page and "Rollstuhl" in page and "Gebärdensprache" in page
    assert ">intern<" in page
    # 10:00 has 1 online + 3 internal counters, one internal in use.
    row = re.search(r'datetime="2026-06-08T10:00:00\+02:00">10:00</time></th>(.*?)</tr>', page, re.S).group(1)
    assert "online 1 von 1" in row and "intern 2 von 3" in row
    assert "online 1 von 1" in page and "intern 3 von 3" in page  # the other units
    # Navigation and the no-JS fallback keep the filter.
    assert "tag=2026-06-07" in page and "tag=2026-06-09" in page
    assert f"standort={office.location.pk}" in page


def test_htmx_refresh_returns_only_the_table(client, office):
    book(office, at(2026, 6, 8, 10))
    client_for(client, office, "admin")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("appointments_staff:day"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and "<table" in page
    assert "HX-Request" in response["Vary"]


def test_week_view_lists_the_week_with_free_capacity(client, office):
    book(office, TOMORROW_9, name="Dienstag Person")
    client_for(client, office, "admin")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("appointments_staff:week") + "?tag=2026-06-10")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dienstag Person" in page
    assert "Termine vom 8. Juni bis 14. Juni 2026" in page
    assert "<tfoot>" in page and "intern" in page
    assert "tag=2026-06-01" in page and "tag=2026-06-15" in page


def test_caseworker_and_teamlead_defaults(client, office):
    mine = book(office, TOMORROW_9, name="Mein Termin")
    mine.staff = office.org.users["caseworker"]
    mine.save()
    book(office, TOMORROW_9 + timedelta(minutes=30), name="Team Termin")
    with time_machine.travel(NOW, tick=False):
        client_for(client, office, "caseworker")
        page = client.get(reverse("appointments_staff:day") + "?tag=2026-06-09").content.decode()
        assert "Mein Termin" in page and "Team Termin" not in page  # own calendar first
        page = client.get(reverse("appointments_staff:day") + "?tag=2026-06-09&gefiltert=1").content.decode()
        assert "Mein Termin" in page and "Team Termin" in page
        client_for(client, office, "teamlead")
        page = client.get(reverse("appointments_staff:day") + "?tag=2026-06-09").content.decode()
        assert "Mein Termin" in page and "Team Termin" in page


# --- actions -----------------------------------------------------------------------------------------
def test_action_in_the_wrong_state_is_a_400_with_the_reason(client, office):
    later = book(office, at(2026, 6, 8, 11))
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("appointments_staff:no_show", args=[later.pk]))
        assert response.status_code == 400
        assert "erst ab seinem Beginn" in response.content.decode()
        response = client.post(reverse("appointments_staff:complete", args=[later.pk]))
        assert response.status_code == 400
    later.refresh_from_db()
    assert later.status == Status.CONFIRMED


def test_cancel_on_behalf_tells_the_citizen(client, office, django_capture_on_commit_callbacks):
    booked = book(office, TOMORROW_9, email="erika@example.org")
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appointments_staff:cancel", args=[booked.pk]))
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert "storniert" in mail.outbox[0].subject


def test_assign_rejects_people_outside_the_scope(client, office):
    booked = book(office, TOMORROW_9)
    org = office.org
    client_for(client, office, "teamlead")
    for stranger in (org.users["other_teamlead"], org.users["agent"]):
        response = client.post(reverse("appointments_staff:assign", args=[booked.pk]),
                               {"mitarbeiter": stranger.pk})
        assert response.status_code == 400
    response = client.post(reverse("appointments_staff:assign", args=[booked.pk]), {"mitarbeiter": "x"})
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.staff is None


def test_get_on_post_only_actions_is_rejected(client, office):
    booked = book(office, TOMORROW_9)
    client_for(client, office, "admin")
    assert client.get(reverse("appointments_staff:check_in", args=[booked.pk])).status_code == 405


# --- booking for a caller ---------------------------------------------------------------------------
def test_agent_books_for_a_caller_step_by_step(client, office, django_capture_on_commit_callbacks):
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("appointments_staff:book")).content.decode()
        assert "Meldebescheinigung" in page and "Fuehrerschein" not in page  # no schedule, no booking
        response = client.get(reverse("appointments_staff:book"), {"leistung": office.short.pk})
        assert "Frühester Termin je Standort" in response.content.decode()
        response = client.get(reverse("appointments_staff:book"),
                              {"leistung": office.short.pk, "standort": office.location.pk})
        assert "2026-06-08" in response.content.decode()  # internal quota: today is bookable
        response = client.get(reverse("appointments_staff:book"), {
            "leistung": office.short.pk, "standort": office.location.pk, "tag": "2026-06-08"})
        page = response.content.decode()
        assert "10:15 Uhr" in page and "10:00 Uhr" not in page  # no times in the past
        key = re.search(r'name="schluessel" value="(\w+)"', page).group(1)
        form = {"leistung": office.short.pk, "standort": office.location.pk,
                "start": at(2026, 6, 8, 11).isoformat(), "schluessel": key}
        response = client.post(reverse("appointments_staff:book_hold"), form)
        assert response.status_code == 302
        again = client.post(reverse("appointments_staff:book_hold"), form)  # double submit
        assert again["Location"] == response["Location"]
        held = Appointment.objects.get()
        assert (held.status, held.quota, held.booked_by) == (Status.HELD, Quota.INTERNAL, office.agent)
        page = client.get(response["Location"]).content.decode()
        assert "reserviert" in page
        response = client.post(response["Location"], {"name": "", "language": "de"})
        assert response.status_code == 400 and "Bitte geben Sie den Namen an." in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("appointments_staff:book_details", args=[held.pk]), {
                "name": "Karl Anrufer", "phone": "0171 2345678", "interpreter_language": "Türkisch",
                "wheelchair": "on", "language": "de"})
        assert response.status_code == 302
        assert response["Location"] == reverse("appointments_staff:detail", args=[held.pk])
        page = client.get(response["Location"]).content.decode()
    held.refresh_from_db()
    assert held.status == Status.CONFIRMED and held.name == "Karl Anrufer" and held.wheelchair
    assert held.phone == "+491712345678"
    assert f"{held.code[:4]}</span> <span>{held.code[4:]}" in page  # the code, to read out
    assert "Karl Anrufer" in page
    assert not mail.outbox  # no e-mail address: the confirmation goes by SMS


def test_booking_a_taken_time_is_a_409(client, office):
    for i in range(3):
        services.hold_slot([office.short], office.location, TOMORROW_9, quota=Quota.INTERNAL,
                           booked_by=office.agent, now=NOW, idempotency_key=f"k{i}")
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("appointments_staff:book_hold"), {
            "leistung": office.short.pk, "standort": office.location.pk,
            "start": at(2026, 6, 9, 9).isoformat()})
    assert response.status_code == 409
    assert "leider vergeben" in response.content.decode()


@pytest.mark.parametrize("start", ["", "morgen", "2026-06-09T09:00"])
def test_bad_time_is_a_400(client, office, start):
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("appointments_staff:book_hold"), {
            "leistung": office.short.pk, "standort": office.location.pk, "start": start})
    assert response.status_code == 400


def test_only_the_booking_agent_completes_a_hold(client, office):
    held = services.hold_slot([office.short], office.location, TOMORROW_9, quota=Quota.INTERNAL,
                              booked_by=office.org.users["admin"], now=NOW)
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("appointments_staff:book_details", args=[held.pk])).status_code == 404
        response = client.post(reverse("appointments_staff:book_abandon", args=[held.pk]))
        assert response.status_code == 404


def test_expired_hold_cannot_be_completed(client, office):
    client_for(client, office, "agent")
    held = services.hold_slot([office.short], office.location, TOMORROW_9, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=NOW)
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        response = client.post(reverse("appointments_staff:book_details", args=[held.pk]),
                               {"name": "Zu Spät", "language": "de"})
    assert response.status_code == 400
    assert "Reservierung ist abgelaufen" in response.content.decode()


def test_staff_home_links(client, office):
    client_for(client, office, "agent")
    page = client.get(reverse("core:staff_home")).content.decode()
    assert "Terminkalender" in page and "Termin für Anrufende buchen" in page
    client_for(client, office, "caseworker")
    page = client.get(reverse("core:staff_home")).content.decode()
    assert "Terminkalender" in page and "Termin für Anrufende buchen" not in page
    client_for(client, office, "security")
    page = client.get(reverse("core:staff_home")).content.decode()
    assert "Terminkalender" not in page


def test_pages_are_translated_to_english(client, office):
    book(office, at(2026, 6, 8, 10), interpreter_language="Arabisch")
    client_for(client, office, "agent")
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("appointments_staff:day"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Appointments on" in page and "Interpreter: Arabisch" in page and "internal 2 of 3" in page
        page = client.get(reverse("appointments_staff:book"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Book an appointment for a caller" in page
