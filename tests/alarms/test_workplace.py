"""One workplace notion (issue 17, "Wrong room"): reception chooses call desk E.10 in "Aufrufen";
the alarm bar says E.10 and the alarm goes to E.10 – not to the home room of her staff profile. A
person whose place is unknown is told so loudly, and their alarm still goes out, saying "Raum
unbekannt – Person: …, zuletzt: …" instead of a guessed room."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.alarms import queries, services
from buergerkontakt.alarms.models import Alarm, Delivery, Workstation
from buergerkontakt.alarms.workplace import Workplace, current_place, set_current_workplace
from buergerkontakt.core.models import Role, User
from buergerkontakt.walkin import services as walkin
from tests.factories import PASSWORD, make_user
from tests.walkin.builders import make_counter, make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


@pytest.fixture
def reception(org):
    """Reception staff whose profile names the reception E.01 as home room; no workplace yet."""
    e01 = make_counter(org.location, "E.01", "Empfang")
    e10 = make_counter(org.location, "E.10", "Beratung")
    user = make_user("empfang", org.authority, Role.AGENT, scope=org.location, first_name="Erika",
                     last_name="Empfang")
    User.objects.filter(pk=user.pk).update(workstation_room=e01)  # a home room, not a workplace
    user.refresh_from_db()
    return org, user, e01, e10, make_queue(org.location)


def test_desk_choice_is_where_the_alarm_goes(reception):
    org, user, _e01, e10, queue = reception
    walkin.set_desk(user, org.location, e10, [queue])
    alarm = services.raise_alarm(user, level=2)
    assert alarm.room == e10
    assert alarm.place == "Raum E.10 (Beratung) · Erdgeschoss · Jobcenter Mitte"
    assert queries.alarm_payload(alarm.pk)["place"] == alarm.place
    # security of the location is told, with the desk's room
    assert Delivery.objects.filter(alarm=alarm, user=org.users["security"]).exists()


def test_desk_choice_shows_in_the_alarm_bar(client, reception):
    org, user, _e01, _e10, queue = reception
    client.force_login(user)
    page = client.get(reverse("core:staff_home")).text
    assert 'data-known="false"' in page and "Raum unbekannt!" in page
    response = client.post(reverse("queue_staff:desk_setup"),
                           {"standort": org.location.slug, "room": _e10.pk, "queues": [queue.pk]})
    assert response.status_code == 302
    page = client.get(reverse("core:staff_home")).text
    assert 'data-known="true"' in page
    assert "Raum E.10 (Beratung) · Erdgeschoss · Jobcenter Mitte" in page
    assert "Aufruf-Arbeitsplatz gewählt" in page


def test_without_a_place_the_alarm_goes_out_saying_the_room_is_unknown(reception):
    """The home room of the profile is never taken for the place; security and the team leads get
    the alarm with the person's name and the last place known of them."""
    org, user, _e01, _e10, _queue = reception
    user.teams.add(org.team)
    alarm = services.raise_alarm(user, level=1)
    assert alarm.room is None and alarm.location == org.location
    assert alarm.place == "Raum unbekannt – Person: Erika Empfang, zuletzt: kein Ort bekannt"
    roles = {d.user.username: (d.role, d.circle) for d in alarm.deliveries.select_related("user")}
    # level 1 would only fetch neighbours – with no room there are none, so security is told too
    assert roles == {"security": ("security", 1), "teamlead": ("lead", 1)}
    payload = queries.alarm_payload(alarm.pk)
    assert payload["place"] == alarm.place and payload["room_known"] is False
    assert "E.01" not in alarm.place


def test_unknown_place_names_the_last_registered_workstation(reception):
    _org, user, e01, _e10, _queue = reception
    seen = timezone.now() - timedelta(days=3)
    workstation, _token = services.register_workstation(user, e01, "PC Empfang")
    Workplace.objects.filter(user=user).delete()  # e.g. the workplace was cleared by the administration
    Workstation.objects.filter(pk=workstation.pk).update(last_seen_at=seen)
    place = current_place(user)
    assert not place.known
    alarm = services.raise_alarm(user, level=2)
    local = timezone.localtime(seen)
    assert alarm.place == ("Raum unbekannt – Person: Erika Empfang, zuletzt: Raum E.01 (Empfang) · "
                           f"Erdgeschoss · Jobcenter Mitte, {local:%d.%m.%Y %H:%M}")


def test_unknown_room_escalates_to_the_building_and_the_sms_names_the_person(
        reception, settings, tmp_path, django_capture_on_commit_callbacks):
    org, user, _e01, _e10, _queue = reception
    settings.ALARM_ESCALATE_SECONDS = 10
    settings.SMS_BACKEND = "log"
    settings.SMS_FILE_PATH = tmp_path
    org.users["security"].alarm_mobile = "0151 23456789"
    org.users["security"].save()
    colleague = make_user("kollege", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=org.room)
    alarm = services.raise_alarm(user, level=2, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        added = services.escalate(alarm, now=alarm.raised_at + timedelta(seconds=11))
    assert added >= 1
    assert Delivery.objects.filter(alarm=alarm, user=colleague, circle=4).exists()
    sms = "".join(p.read_text() for p in tmp_path.glob("*"))
    assert "Raum unbekannt – Person: Erika Empfang" in sms


def test_registering_a_workstation_sets_the_workplace(client, reception):
    org, user, e01, e10, queue = reception
    walkin.set_desk(user, org.location, e10, [queue])
    client.force_login(user)
    client.post(reverse("alarms:register"), {"room": e01.pk, "name": "PC Empfang"})
    assert current_place(user).room == e01
    assert services.raise_alarm(user, level=2).room == e01


def test_signing_in_at_a_registered_workstation_places_the_person_there(client, reception):
    org, user, e01, e10, queue = reception
    workstation, token = services.register_workstation(org.users["caseworker"], e01, "PC Empfang")
    walkin.set_desk(user, org.location, e10, [queue])  # yesterday's desk choice
    client.cookies["bk_workstation"] = token
    response = client.post(reverse("core:login"), {"username": "empfang", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    place = current_place(user)
    assert (place.room, place.source, place.workstation) == (e01, Workplace.Source.SIGN_IN, workstation)
    # a desk choice after signing in wins (the latest statement of where the person works)
    walkin.set_desk(user, org.location, e10, [queue])
    assert current_place(user).room == e10


def test_the_registered_device_in_use_counts_when_no_workplace_is_recorded(reception):
    org, user, e01, _e10, _queue = reception
    workstation, _token = services.register_workstation(org.users["caseworker"], e01, "PC Empfang")
    assert current_place(user, workstation=workstation).room == e01
    assert services.raise_alarm(user, level=2, workstation=workstation).room == e01


def test_neighbours_are_found_where_they_work_now(org):
    """A colleague who chose a desk in the neighbour room gets the level-1 alarm as a neighbour."""
    neighbour_room = make_counter(org.location, "E.11")
    org.room.neighbours.add(neighbour_room)
    colleague = make_user("aushilfe", org.authority, Role.CASEWORKER, scope=org.team)
    set_current_workplace(colleague, room=neighbour_room, source=Workplace.Source.DESK)
    alarm = services.raise_alarm(org.users["caseworker"], level=1)
    assert Delivery.objects.filter(alarm=alarm, user=colleague, role="neighbour", circle=1).exists()


def test_the_alarm_bar_without_a_known_place_warns_and_links_to_the_registration(client, org):
    client.force_login(org.users["teamlead"])
    page = client.get(reverse("core:staff_home")).text
    assert 'role="alert"' in page and "Raum unbekannt!" in page
    assert "Ein Alarm nennt nur Ihren Namen und den zuletzt bekannten Ort (kein Ort bekannt)." in page
    assert reverse("alarms:register") in page
    assert not Alarm.objects.exists()


def test_an_alarm_from_an_unknown_room_reads_as_such_on_every_page(client, reception):
    org, user, _e01, _e10, _queue = reception
    alarm = services.raise_alarm(user, level=2)
    client.force_login(org.users["security"])
    said = "Raum unbekannt – Person: Erika Empfang, zuletzt: kein Ort bekannt"
    assert said in client.get(reverse("alarms:console")).text
    assert said in client.get(reverse("alarms:detail", args=[alarm.pk])).text
    page = client.get(reverse("incidents:new_report") + f"?alarm={alarm.pk}").text
    assert f"({said}). Bitte tragen Sie den Raum ein" in page


def test_the_call_display_names_where_the_person_works_now(client, reception):
    """Yesterday's desk was E.10; today she signs in at the registered PC in E.01: the alarm, the
    desk page and the waiting-room display all say E.01."""
    org, user, e01, e10, queue = reception
    walkin.set_desk(user, org.location, e10, [queue])
    _workstation, token = services.register_workstation(org.users["caseworker"], e01, "PC Empfang")
    client.cookies["bk_workstation"] = token
    response = client.post(reverse("core:login"), {"username": "empfang", "password": PASSWORD})
    assert response.status_code == 302
    ticket = walkin.issue_ticket(queue)
    called = walkin.call_next(user, org.location)
    assert called.pk == ticket.pk and called.room == e01
    assert services.raise_alarm(user, level=2).room == e01
    assert walkin.desk_of(user, org.location).room == e01
    # a workplace at another location leaves this location's desk as it was chosen
    elsewhere = make_counter(org.second_location, "N.01")
    set_current_workplace(user, room=elsewhere, source=Workplace.Source.ADMIN)
    assert walkin.desk_of(user, org.location).room == e10
