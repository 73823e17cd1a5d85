"""Acceptance of issue 26 (2026-12-04): on an empty instance (no demo), with the admin only, the
operator sets up one Bürgerbüro – two services, three counters, five staff (CSV), a queue, a kiosk,
a call display, a callback team and alarm neighbours – through the import, the week template and the
check page in a bounded number of form submissions; a citizen books a time at once after the schedule
is saved; the check page then lists an injected mistake of each kind.

The screenshots of docs/admin-guide.md are taken here (docs/img/setup-*.png when
UPDATE_DOCS_SCREENSHOTS=1 is set)."""

from __future__ import annotations

import os
import re
from datetime import date, time

from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from buergerkontakt.appointments.models import Appointment, Schedule, ServiceGroup
from buergerkontakt.core.models import Location, Room, User
from buergerkontakt.directory.models import HoursKind, HoursRule, Service
from buergerkontakt.walkin.models import Screen
from tests.e2e.queue_helpers import KEY_HEX, enable_totp
from tests.e2e.test_booking_journey import body_of, choose_first_day_and_time, mails
from tests.factories import PASSWORD
from tests.liveserver import ROOT

# The admin guide's pictures are renewed only on request (UPDATE_DOCS_SCREENSHOTS=1); an ordinary run
# writes them to test-results/ and leaves the tracked files alone.
SHOTS = ROOT / "docs" / "img" if os.environ.get("UPDATE_DOCS_SCREENSHOTS") else ROOT / "test-results"
MAX_SUBMITS = 14  # ≈ 55 admin forms by hand before issue 26

ROOMS = """etage;ebene;raum;bezeichnung;art;nachbarn
Erdgeschoss;0;E.01;Empfang;Empfang;E.02
Erdgeschoss;0;E.02;Schalter 1;Schalter;E.01 E.03
Erdgeschoss;0;E.03;Schalter 2;Schalter;E.02 E.04
Erdgeschoss;0;E.04;Schalter 3;Schalter;E.03 E.05
Erdgeschoss;0;E.05;Rückruf-Team;Büro;E.04
Erdgeschoss;0;E.06;Wartebereich;Wartebereich;
Erdgeschoss;0;E.07;Sicherheitsdienst;Sicherheitsdienst;
"""
SERVICES = """name;dauer;online;leistungsgruppe
Personalausweis beantragen;20;ja;Pass- und Ausweiswesen
Meldebescheinigung;10;ja;Pass- und Ausweiswesen
"""
STAFF = """name;email;rolle;bereich;team;raum;mobil
Erika Mustermann;erika.mustermann@example.org;Sachbearbeitung;Standort;;E.02;
Jonas Becker;jonas.becker@example.org;Sachbearbeitung;Standort;;E.03;
Aylin Demir;aylin.demir@example.org;Sachbearbeitung;Standort;;E.04;
Paul Schmidt;paul.schmidt@example.org;Teamleitung;Team;Rückruf-Team;E.05;
Max Wächter;max.waechter@example.org;Sicherheitsdienst;Standort;;E.07;0151 23456789
"""


class Admin:
    """The operator's browser; counts every form submission."""

    def __init__(self, page: Page, live_url: str):
        self.page, self.url, self.submits = page, live_url, 0

    def go(self, path: str) -> None:
        self.page.goto(self.url + path)

    def save(self, button: str = "input[name=_save]") -> None:
        self.submits += 1
        with self.page.expect_navigation():
            self.page.locator(button).first.click()
        errors = self.page.locator(".errornote, .errorlist")
        assert not errors.count(), f"{self.page.url}: {errors.all_inner_texts()}"

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"setup-{name}.png"), full_page=True)

    def fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            self.page.locator(f"#id_{name}").fill(value)

    def upload(self, location: Location, kind: str, text: str, tmp_path, *, dry_run: bool) -> None:
        self.go(f"/admin/core/location/{location.pk}/import/")
        self.page.locator("#id_kind").select_option(kind)
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        self.page.locator("#id_file").set_input_files(str(path))
        self.page.locator("#id_dry_run").set_checked(dry_run)
        self.save("input[type=submit]")
        heading = "Probelauf ohne Fehler" if dry_run else "Import gespeichert"
        expect(self.page.locator("#import-report h2")).to_contain_text(heading)


def test_an_empty_instance_becomes_a_working_buergerbuero(live_url, live_server_proc, page, browser,
                                                          tmp_path, axe):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    operator = User.objects.create_superuser("betrieb", "betrieb@example.org", PASSWORD)
    enable_totp(operator)
    admin = Admin(page, live_url)
    admin.go("/admin/")  # to the sign-in page and back
    page.get_by_label("Benutzername").fill("betrieb")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.get_by_label("Sicherheitscode").fill(f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}")
    page.get_by_label("Sicherheitscode").press("Enter")
    expect(page.locator("#setup-module")).to_be_visible()

    # 1. Authority and location (the operator's forms).
    admin.go("/admin/core/authority/add/")
    admin.fill({"name": "Stadt Musterstadt", "slug": "musterstadt"})
    page.locator("#id_kind").select_option("buergerbuero")
    page.locator("#id_bundesland").select_option("HE")
    admin.save()
    admin.go("/admin/core/location/add/")
    page.locator("#id_authority").select_option(label="Stadt Musterstadt")
    admin.fill({"name": "Bürgerbüro Mitte", "slug": "bb-mitte", "street": "Markt 1", "postcode": "63065",
                "city": "Musterstadt"})
    page.locator("#id_offers_online_booking").check()
    admin.save()
    location = Location.objects.get(name="Bürgerbüro Mitte")
    admin.go("/admin/")
    expect(page.locator("#setup-module")).to_contain_text("Bürgerbüro Mitte")
    admin.shot("index")

    # 2. Rooms with alarm neighbours, the services with their group (CSV, a dry run first).
    admin.upload(location, "rooms", ROOMS, tmp_path, dry_run=True)
    admin.shot("import-dry-run")
    admin.upload(location, "rooms", ROOMS, tmp_path, dry_run=False)
    admin.upload(location, "services", SERVICES, tmp_path, dry_run=False)
    assert Room.objects.filter(floor__location=location, kind=Room.Kind.COUNTER).count() == 3

    # 3. The callback team (one form), then five staff by CSV with invitations.
    admin.go("/admin/core/team/add/")
    page.locator("#id_authority").select_option(label="Stadt Musterstadt")
    page.locator("#id_location").select_option(label="Bürgerbüro Mitte")
    admin.fill({"name": "Rückruf-Team", "slug": "rueckruf-team", "phone": "069 1234-500"})
    page.locator("#id_offers_online_callback").check()
    admin.save()
    admin.upload(location, "staff", STAFF, tmp_path, dry_run=False)
    invited = [m for m in mails(live_server_proc.mail_dir) if m["Subject"] == "Ihr Zugang zu Bürgerkontakt"]
    assert len(invited) == 5 and all("/einladung/" in body_of(m) for m in invited)
    assert not any(PASSWORD in body_of(m) for m in invited)

    # 4. The week: opening, phone and walk-in hours and the schedule of three counters, in one form.
    admin.go(f"/admin/core/location/{location.pk}/wochenvorlage/")
    page.locator("#id_group").select_option(label="Pass- und Ausweiswesen")
    admin.fill({"counters": "3", "online_quota": "2", "opening_0": "08:00-18:00", "phone_0": "09:00-12:00",
                "walk_in_0": "08:00-11:00", "schedule_0": "08:00-12:00, 13:00-17:00"})
    page.locator("#id_same_for_all").check()
    admin.shot("week-template")
    admin.save("input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("Wochenvorlage gespeichert")
    assert Schedule.objects.filter(location=location).count() == 10

    # 5. A citizen books at once – no hourly job, no admin action in between.
    citizen = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    citizen_page = citizen.new_page()
    choose_first_day_and_time(citizen_page, live_url, lambda _page: None, keyboard=False)
    citizen_page.get_by_label("Vor- und Nachname").fill("Erika Bürgerin")
    citizen_page.get_by_label("E-Mail-Adresse").fill("erika.buergerin@example.org")
    citizen_page.get_by_role("button", name="Termin verbindlich buchen").click()
    expect(citizen_page.get_by_role("heading", level=1, name="Ihr Termin ist gebucht")).to_be_visible()
    assert Appointment.objects.filter(location=location, status=Appointment.Status.CONFIRMED).count() == 1

    # 6. Queue, kiosk and call display (one form each).
    admin.go("/admin/walkin/queue/add/")
    page.locator("#id_location").select_option(label="Bürgerbüro Mitte")
    admin.fill({"name": "Meldewesen ohne Termin", "prefix": "A"})
    admin.save()
    for kind, name in (("kiosk", "Kiosk Eingang"), ("display", "Aufrufanzeige Wartebereich")):
        admin.go("/admin/walkin/screen/add/")
        page.locator("#id_location").select_option(label="Bürgerbüro Mitte")
        page.locator("#id_kind").select_option(kind)
        admin.fill({"name": name})
        admin.save()

    # 7. The check page: only the devices that were never switched on; open them, and all is well.
    admin.go(f"/admin/core/location/{location.pk}/pruefung/")
    expect(page.locator("#check-screens_never_connected")).to_contain_text("Kiosk Eingang")
    expect(page.locator("#check-screens_never_connected")).to_contain_text("Aufrufanzeige Wartebereich")
    expect(page.locator("body")).to_contain_text(re.compile(r"nächste 14 Tage: \d+ Zeiteinheiten"))
    device = citizen.new_page()
    for screen in Screen.objects.filter(location=location):
        kind = "anzeige" if screen.kind == Screen.Kind.DISPLAY else "kiosk"
        device.goto(f"{live_url}/wartenummer/{kind}/{screen.key}/")
    page.reload()
    expect(page.locator("#check-summary")).to_have_text("Keine Probleme gefunden.")
    admin.shot("check-ok")
    assert admin.submits <= MAX_SUBMITS, admin.submits

    # 8. One mistake of each kind, injected as an administrator would make it.
    group = ServiceGroup.objects.get(name="Pass- und Ausweiswesen")
    stale = ServiceGroup.objects.create(authority=location.authority, name="Gewerbe", slug="gewerbe")
    Schedule.objects.create(group=stale, location=location, weekday=1, start=time(8), end=time(10),
                            valid_until=date(2026, 1, 31))                    # no slots
    HoursRule.objects.filter(location=location, kind=HoursKind.OPENING, weekday=2).update(end=time(12))
    Service.objects.filter(name="Personalausweis beantragen").update(duration_minutes=600)
    User.objects.filter(email="max.waechter@example.org").update(alarm_mobile="")
    HoursRule.objects.filter(location=location, kind=HoursKind.WALK_IN).delete()
    Screen.objects.create(location=location, kind=Screen.Kind.DISPLAY, name="Anzeige 2. OG")
    Room.objects.create(floor=Room.objects.get(number="E.01").floor, number="E.08", name="Büro")
    page.reload()
    for key, text in (("no_slots", "Gewerbe"), ("schedule_outside_hours", "Mittwoch"),
                      ("unbookable_services", "Personalausweis"), ("security_without_mobile", "Max Wächter"),
                      ("queue_without_walk_in_hours", "Meldewesen ohne Termin"),
                      ("screens_never_connected", "Anzeige 2. OG"), ("rooms_without_neighbours", "E.08")):
        expect(page.locator(f"#check-{key}")).to_contain_text(text)
    expect(page.locator("#check-summary")).to_contain_text("Probleme gefunden")
    admin.shot("check-problems")
    axe(page)
    assert group.pk

    # 9. A new colleague follows the invitation: own password, then the authenticator app.
    erika = next(m for m in invited if m["To"] == "erika.mustermann@example.org")
    link = re.search(r"http\S+/einladung/\S+", body_of(erika)).group(0)
    colleague = citizen.new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", level=1, name="Passwort festlegen")).to_be_visible()
    colleague.locator("#id_new_password1").fill("Erikas-eigenes-Passwort-2026")
    colleague.locator("#id_new_password2").fill("Erikas-eigenes-Passwort-2026")
    colleague.get_by_role("button", name="Passwort speichern").click()
    colleague.get_by_label("Benutzername").fill("erika.mustermann@example.org")
    colleague.get_by_label("Passwort").fill("Erikas-eigenes-Passwort-2026")
    colleague.get_by_label("Passwort").press("Enter")
    expect(colleague.get_by_role("heading", level=1, name="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()
    citizen.close()
