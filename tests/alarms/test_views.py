"""Alarm pages: raising without JavaScript, registering a workstation (device cookie), the
security console per role, the timeline and its CSV export only for trigger and security."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buergerkontakt.alarms import services
from buergerkontakt.alarms.models import Alarm, Drill, Workstation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


def test_alarm_bar_on_staff_pages_only(client, org):
    assert 'data-alarm-client' not in client.get("/").text
    client.force_login(org.users["caseworker"])
    page = client.get(reverse("core:staff_home")).text
    assert 'data-alarm-client' in page and 'aria-keyshortcuts="Control+Alt+A"' in page


def test_raise_without_javascript(client, org):
    client.force_login(org.users["caseworker"])
    response = client.post(reverse("alarms:raise"), {"level": "2", "next": "/mitarbeiter/"})
    assert response.status_code == 302 and response["Location"] == "/mitarbeiter/"
    alarm = Alarm.objects.get()
    assert (alarm.level, alarm.room, alarm.raised_by) == (2, org.room, org.users["caseworker"])
    response = client.post(reverse("alarms:raise"), {"level": "9", "next": "https://evil.example/"})
    assert response["Location"] == "/mitarbeiter/" and Alarm.objects.count() == 1


def test_raise_without_a_known_room_still_goes_out_and_says_so(client, org):
    client.force_login(org.users["teamlead"])  # no workplace, no registered workstation
    response = client.post(reverse("alarms:raise"), {"level": "2"}, follow=True)
    assert "Alarm ausgelöst" in response.text
    alarm = Alarm.objects.get()
    assert alarm.room is None and alarm.place.startswith("Raum unbekannt – Person: Teamlead Test")


def test_citizens_and_anonymous_cannot_raise(client, org):
    assert client.post(reverse("alarms:raise"), {"level": "2"}).status_code == 302  # to the login
    client.force_login(org.users["professional"])
    assert client.post(reverse("alarms:raise"), {"level": "2"}).status_code == 403
    assert not Alarm.objects.exists()


def test_register_workstation_sets_the_device_cookie(client, org):
    client.force_login(org.users["caseworker"])
    assert client.get(reverse("alarms:register")).status_code == 200
    response = client.post(reverse("alarms:register"), {"room": "abc"})
    assert response.status_code == 400 and "Bitte wählen Sie einen Raum aus der Liste." in response.text
    response = client.post(reverse("alarms:register"), {"room": org.room.pk, "name": "PC links"})
    assert response.status_code == 302
    token = response.cookies["bk_workstation"]
    assert token["httponly"] and len(token.value) > 30
    workstation = Workstation.objects.get()
    assert services.workstation_for(token.value, org.users["caseworker"]) == workstation
    assert "Dieser Arbeitsplatz ist registriert: PC links" in client.get(reverse("alarms:register")).text


@pytest.mark.parametrize(("role", "status"), [
    ("security", 200), ("caseworker", 403), ("teamlead", 403), ("agent", 403), ("admin", 403),
    ("dpo", 403), ("professional", 403), ("other_admin", 403)])
def test_console_is_for_security(client, org, role, status):
    client.force_login(org.users[role])
    assert client.get(reverse("alarms:console")).status_code == status


def test_console_lists_workstations_online_and_offline(client, org):
    online, _ = services.register_workstation(org.users["caseworker"], org.room, "PC online")
    services.register_workstation(org.users["caseworker"], org.room, "PC aus")
    services.connected(online.pk, org.users["caseworker"])
    client.force_login(org.users["security"])
    page = client.get(reverse("alarms:console")).text
    assert "Arbeitsplätze: 1 von 2 erreichbar" in page
    assert f'data-station="{online.pk}" data-online="true"' in page


@pytest.mark.parametrize(("role", "status"), [
    ("caseworker", 200), ("security", 200), ("teamlead", 404), ("agent", 404), ("other_admin", 404)])
def test_timeline_only_for_trigger_and_security(client, org, role, status):
    alarm = services.raise_alarm(org.users["caseworker"], level=2)
    client.force_login(org.users[role])
    assert client.get(reverse("alarms:detail", args=[alarm.pk])).status_code == status
    export = client.get(reverse("alarms:export", args=[alarm.pk]))
    assert export.status_code == status
    if status == 200:
        rows = export.content.decode("utf-8-sig").splitlines()
        assert rows[0] == "Zeit;Ereignis;Person;Details" and "ausgelöst" in rows[1]


def test_security_gives_the_all_clear_on_the_timeline_page(client, org):
    alarm = services.raise_alarm(org.users["caseworker"], level=2)
    client.force_login(org.users["security"])
    client.post(reverse("alarms:resolve", args=[alarm.pk]))
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.RESOLVED


@pytest.mark.parametrize(("role", "status"), [
    ("security", 200), ("caseworker", 403), ("teamlead", 403), ("agent", 403), ("admin", 403),
    ("dpo", 403), ("register_keeper", 403), ("professional", 403), ("other_admin", 403)])
def test_drills_are_for_security(client, org, role, status):
    drill = services.plan_drill(org.users["security"], org.room, level=1)
    client.force_login(org.users[role])
    for name, args in (("alarms:drills", []), ("alarms:drill", [drill.pk]), ("alarms:drill_csv", [drill.pk])):
        assert client.get(reverse(name, args=args)).status_code == status, name
    assert client.post(reverse("alarms:drill_cancel", args=[drill.pk])).status_code in (
        {302} if status == 200 else {403})


def test_anonymous_is_sent_to_sign_in_for_drills(client):
    response = client.get(reverse("alarms:drills"))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_security_starts_a_drill_now_and_reads_its_report(client, org):
    client.force_login(org.users["security"])
    response = client.post(reverse("alarms:drills"), {"room": org.room.pk, "level": "2", "when": "",
                                                       "note": "Übung Team 1"}, follow=True)
    page = response.text
    assert response.status_code == 200 and "Der Probealarm läuft." in page
    assert "Empfang und Rückmeldungen" in page and "Probealarm beenden" in page
    alarm = Alarm.objects.get()
    assert alarm.is_drill and alarm.drill.note == "Übung Team 1"
    csv_rows = client.get(reverse("alarms:drill_csv", args=[alarm.drill.pk])).content.decode("utf-8-sig")
    assert csv_rows.splitlines()[0] == (
        "Person;Funktion;Kreis;Empfangen nach (ms);Rückmeldung;Rückmeldung nach (s)")


def test_bad_drill_input_gets_german_errors_and_keeps_what_was_typed(client, org):
    client.force_login(org.users["security"])
    response = client.post(reverse("alarms:drills"), {"room": "", "level": "9", "when": "morgen früh",
                                                       "note": "Übung mit Ankündigung"})
    page = response.text
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Raum aus der Liste." in page
    assert "Bitte wählen Sie eine Stufe." in page
    assert "Bitte geben Sie Datum und Uhrzeit vollständig an" in page
    assert 'value="Übung mit Ankündigung"' in page and 'value="morgen früh"' in page
    past = client.post(reverse("alarms:drills"),
                       {"room": org.room.pk, "level": "1", "when": "2020-01-01T10:00"})
    assert past.status_code == 400 and "Vergangenheit" in past.text
    assert not Alarm.objects.exists()


def test_planned_drill_can_be_cancelled_on_its_page(client, org):
    client.force_login(org.users["security"])
    client.post(reverse("alarms:drills"), {"room": org.room.pk, "level": "1", "when": "2099-01-05T09:30"})
    drill = Drill.objects.get()
    assert "Probealarm absagen" in client.get(reverse("alarms:drill", args=[drill.pk])).text
    client.post(reverse("alarms:drill_cancel", args=[drill.pk]))
    drill.refresh_from_db()
    assert drill.state == "cancelled"


def test_console_shows_the_offline_warning(client, org):
    from django.utils import timezone

    station, _ = services.register_workstation(org.users["caseworker"], org.room, "PC Empfang")
    Workstation.objects.filter(pk=station.pk).update(offline_warned_at=timezone.now())
    client.force_login(org.users["security"])
    page = client.get(reverse("alarms:console")).text
    assert "1 Arbeitsplatz während der Öffnungszeit nicht erreichbar" in page
    assert "PC Empfang" in page and "(gemeldet)" in page


@pytest.mark.parametrize("role,status", [("caseworker", 200), ("security", 200), ("teamlead", 404),
                                         ("agent", 404)])
def test_trigger_status_only_for_trigger_and_security(client, org, role, status):
    alarm = services.raise_alarm(org.users["caseworker"], level=2)
    client.force_login(org.users[role])
    assert client.get(reverse("alarms:status", args=[alarm.pk])).status_code == status


def test_anonymous_gets_no_trigger_status(client, org):
    alarm = services.raise_alarm(org.users["caseworker"], level=2)
    response = client.get(reverse("alarms:status", args=[alarm.pk]))
    assert response.status_code in (302, 403) and b"delivered" not in response.content


def test_trigger_status_tells_delivered_seen_coming_and_not_yet_delivered(client, org):
    alarm = services.raise_alarm(org.users["caseworker"], level=2)
    services.confirm_receipt(alarm.pk, org.users["security"], visible=False)
    client.force_login(org.users["caseworker"])
    got = client.get(reverse("alarms:status", args=[alarm.pk])).json()["status"]
    assert got["recipients"] == 2
    assert got["delivered"] == got["first_circle"] == {"count": 1, "names": ["Security Test"]}
    assert got["seen"]["count"] == 0 and got["undelivered"] == {"count": 1, "names": ["Teamlead Test"]}
    services.mark_seen(alarm.pk, org.users["security"])
    services.respond(alarm.pk, org.users["teamlead"], "coming")
    body = client.get(reverse("alarms:status", args=[alarm.pk])).json()
    assert body["status"]["seen"]["count"] == 2 and body["status"]["undelivered"]["count"] == 0
    assert [(c["name"], c["label"]) for c in body["status"]["coming"]] == [("Teamlead Test", "Ich komme")]


def test_shortcut_hint_names_the_keys_of_the_readers_keyboard(client, org):
    client.force_login(org.users["caseworker"])
    german = client.get(reverse("core:staff_home"), HTTP_ACCEPT_LANGUAGE="de").text
    assert "jederzeit Strg+Alt+A (Stufe 2)" in german and "Control+Alt+A (Stufe" not in german
    assert 'aria-keyshortcuts="Control+Alt+A"' in german  # the machine-readable form stays
    english = client.get(reverse("core:staff_home"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Ctrl+Alt+A" in english


def test_demo_security_has_mobile_numbers_so_the_sms_fallback_reaches_someone(
        settings, tmp_path, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from buergerkontakt.core.models import Role, User
    from buergerkontakt.demo.offices import build_jobcenter

    settings.SMS_BACKEND = "log"
    settings.SMS_FILE_PATH = tmp_path
    settings.ALARM_ESCALATE_SECONDS = 5
    build_jobcenter()
    security = User.objects.filter(role_assignments__role=Role.SECURITY).distinct()
    assert security.exists() and all(user.phone for user in security)
    alarm = services.raise_alarm(User.objects.get(username="sb.mueller"), level=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(alarm, now=timezone.now() + timedelta(seconds=6))
    messages = [path.read_text() for path in tmp_path.iterdir()]
    assert messages and all(alarm.where in text for text in messages)
