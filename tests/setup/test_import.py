"""Bulk onboarding (issue 26, 2026-12-04): rooms, services and staff from CSV with a dry run;
invitations lead to choosing a password and enrolling TOTP – no password is handed over."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.appointments.models import ServiceGroup
from buergerkontakt.core.models import Role, RoleAssignment, Room, User
from buergerkontakt.directory.models import Service
from buergerkontakt.setup import invitations

pytestmark = pytest.mark.django_db

ROOMS = ("etage;ebene;raum;bezeichnung;art;nachbarn\r\n"
         "Erdgeschoss;0;E.01;Empfang;Empfang;E.02\r\n"
         "Erdgeschoss;0;E.02;Schalter 1;Schalter / Theke;E.03\r\n"
         "Erdgeschoss;0;E.03;Schalter 2;Schalter;E.02\r\n")
SERVICES = ("Name;Dauer;Online;Leistungsgruppe\n"
            "Personalausweis beantragen;20;ja;Pass- und Ausweiswesen\n"
            "Reisepass beantragen;30;ja;Pass- und Ausweiswesen\n")
STAFF = ("name;email;rolle;bereich;team;raum;mobil\n"
         "Erika Mustermann;erika.mustermann@example.org;Sachbearbeitung;Standort;Leistung 1;E.02;\n"
         "Max Wächter;max.waechter@example.org;Sicherheitsdienst;Standort;;E.01;0151 23456789\n")


def _upload(client, location, kind: str, text: str, *, dry_run: bool, encoding="utf-8-sig"):
    data = {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", text.encode(encoding), "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("admin:setup_import", args=[location.pk]), data)


def test_rooms_with_neighbours_dry_run_then_import(admin_client, office):
    location = office.location
    response = _upload(admin_client, location, "rooms", ROOMS, dry_run=True)
    assert response.status_code == 200 and "Probelauf ohne Fehler" in response.content.decode()
    assert not Room.objects.filter(number="E.01").exists()
    response = _upload(admin_client, location, "rooms", ROOMS, dry_run=False)
    assert "Import gespeichert" in response.content.decode()
    counter = Room.objects.get(number="E.02", floor__location=location)
    assert counter.kind == Room.Kind.COUNTER
    assert set(counter.neighbours.values_list("number", flat=True)) == {"E.01", "E.03"}


def test_a_bad_row_saves_nothing_and_says_why(admin_client, office):
    text = ROOMS + "Erdgeschoss;0;E.04;Lager;Besenkammer;\r\nErdgeschoss;0;E.05;;;X.99\r\n"
    response = _upload(admin_client, office.location, "rooms", text, dry_run=False)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Unbekannte Raumart" in body and "X.99" in body and "nichts gespeichert" in body
    assert not Room.objects.filter(number__startswith="E.").exists()


def test_services_with_their_group(admin_client, office):
    response = _upload(admin_client, office.location, "services", SERVICES, dry_run=False,
                       encoding="cp1252")
    assert response.status_code == 200
    group = ServiceGroup.objects.get(name="Pass- und Ausweiswesen")
    assert set(group.services.values_list("name", flat=True)) == {"Personalausweis beantragen",
                                                                   "Reisepass beantragen"}
    passport = Service.objects.get(name="Reisepass beantragen")
    assert passport.duration_minutes == 30 and passport.online_bookable
    assert list(passport.locations.all()) == [office.location]


def test_staff_dry_run_sends_nothing_import_invites(admin_client, office, django_capture_on_commit_callbacks):
    _upload(admin_client, office.location, "rooms", ROOMS, dry_run=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(admin_client, office.location, "staff", STAFF, dry_run=True)
    assert response.status_code == 200 and "Einladung folgt" in response.content.decode()
    assert not User.objects.filter(email="erika.mustermann@example.org").exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        _upload(admin_client, office.location, "staff", STAFF, dry_run=False)
    erika = User.objects.get(email="erika.mustermann@example.org")
    assert (erika.first_name, erika.last_name, erika.username) == ("Erika", "Mustermann",
                                                                    "erika.mustermann@example.org")
    assert not erika.has_usable_password()
    assert erika.authority == office.org.authority and erika.workstation_room.number == "E.02"
    assert list(erika.teams.all()) == [office.org.team]
    assert RoleAssignment.objects.filter(user=erika, role=Role.CASEWORKER, location=office.location).exists()
    assert erika.is_staff is False  # case workers do not use the admin
    guard = User.objects.get(email="max.waechter@example.org")
    assert RoleAssignment.objects.filter(user=guard, role=Role.SECURITY).exists()
    assert guard.alarm_mobile == "+4915123456789" and erika.alarm_mobile == ""
    assert sorted(message.to[0] for message in mail.outbox) == ["erika.mustermann@example.org",
                                                                 "max.waechter@example.org"]
    body = mail.outbox[0].body
    assert "/einladung/" in body and "Passwort" in body and "Zwei-Faktor" in body


def test_staff_import_refuses_register_roles_and_unknown_teams(admin_client, office):
    text = ("name;email;rolle;bereich;team\n"
            "Rita Register;rita@example.org;Zentrale Stelle;Behörde;\n"
            "Tim Team;tim@example.org;Teamleitung;Team;Gibt es nicht\n"
            "Ohne Adresse;keine-adresse;Sachbearbeitung;;\n")
    text = text.replace("team\n", "team;mobil\n", 1) + "Dora Durchwahl;dora@example.org;;;;069 123456\n"
    response = _upload(admin_client, office.location, "staff", text, dry_run=False)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Rollenantrag" in body and "Gibt es nicht" in body and "gültige E-Mail-Adresse" in body
    assert "keine Mobilnummer für SMS" in body
    assert not User.objects.filter(email__in=["rita@example.org", "tim@example.org"]).exists()


def test_staff_of_another_authority_is_not_taken_over(admin_client, office):
    text = "name;email;rolle\nOther Admin;other_admin@example.org;Sachbearbeitung\n"
    User.objects.filter(username="other_admin").update(email="other_admin@example.org")
    response = _upload(admin_client, office.location, "staff", text, dry_run=False)
    assert response.status_code == 400 and "anderen Behörde" in response.content.decode()


def test_unreadable_file_and_unknown_columns(admin_client, office):
    response = _upload(admin_client, office.location, "rooms", "", dry_run=True)
    assert response.status_code == 400
    response = _upload(admin_client, office.location, "rooms", "Passwort;raum\nx;1\n", dry_run=True)
    assert response.status_code == 400 and "Unbekannte Spalten" in response.content.decode()


def test_import_only_for_the_authoritys_administrators(client, settings, office):
    settings.REQUIRE_2FA = False
    client.force_login(office.org.users["other_admin"])
    assert _upload(client, office.location, "rooms", ROOMS, dry_run=False).status_code == 404
    assert not Room.objects.filter(number="E.01").exists()


def test_csv_template_download(admin_client, office):
    response = admin_client.get(reverse("admin:setup_import_template", args=[office.location.pk, "staff"]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.content.decode("utf-8-sig").startswith("name;email;rolle;bereich;team;raum;mobil")


# --- the invitation ---------------------------------------------------------------------------------
def _invited(office) -> User:
    user = User(username="neu@example.org", email="neu@example.org", first_name="Nora", last_name="Neu",
                authority=office.org.authority)
    user.set_unusable_password()
    user.save()
    return user


def test_invitation_sets_the_password_once_then_sign_in_asks_for_totp_enrolment(client, office, settings):
    settings.REQUIRE_2FA = True
    user = _invited(office)
    link = invitations.url(user).removeprefix(settings.SITE_URL)
    assert client.get(link).status_code == 200
    response = client.post(link, {"new_password1": "Ein-gutes-Passwort-2026", "new_password2": "kurz"})
    assert response.status_code == 400
    response = client.post(link, {"new_password1": "Ein-gutes-Passwort-2026",
                                  "new_password2": "Ein-gutes-Passwort-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("core:login")
    user.refresh_from_db()
    assert user.check_password("Ein-gutes-Passwort-2026")
    assert client.get(link).status_code == 403  # spent
    response = client.post(reverse("core:login"), {"username": "neu@example.org",
                                                   "password": "Ein-gutes-Passwort-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("core:login_enrol")


def test_invitation_link_expires_and_cannot_be_forged(client, office, settings):
    user = _invited(office)
    link = invitations.url(user).removeprefix(settings.SITE_URL)
    with time_machine.travel(timezone.now() + timedelta(days=invitations.INVITATION_DAYS, hours=1)):
        assert client.get(link).status_code == 410
    other = _invited_other = User.objects.create_user("x@example.org", email="x@example.org")
    other.set_unusable_password()
    other.save()
    forged = link.replace(f"/{user.pk}/", f"/{other.pk}/")
    assert client.get(forged).status_code == 403
    assert _invited_other


def test_resend_invitation_action(admin_client, office, django_capture_on_commit_callbacks):
    user = _invited(office)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:core_user_changelist"), {
            "action": "send_invitations", "_selected_action": [user.pk, office.org.users["caseworker"].pk]})
    assert [message.to for message in mail.outbox] == [["neu@example.org"]]
