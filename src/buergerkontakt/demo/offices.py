"""The demo organisation: 'Jobcenter Musterstadt' and 'Bürgerbüro Musterstadt', modelled on real
offices – authorities, locations, rooms, teams, staff with their roles and services.

Idempotent: every object is looked up by its natural key first, so running it twice changes nothing.
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerkontakt.core.models import (
    Authority,
    Floor,
    Location,
    Role,
    RoleAssignment,
    Room,
    Team,
    User,
    VisitMode,
)
from buergerkontakt.directory.models import (
    CalendarException,
    HoursKind,
    HoursRule,
    PublicationConsent,
    PublicationLevel,
    ResponsibilityRule,
    SecurityException,
    Service,
)

from .logins import DEMO_PASSWORD, demo_totp_key

MON_THU, MON_FRI, FRI = range(0, 4), range(0, 5), range(4, 5)


def _hours(owner, kind: str, days, start: time, end: time) -> None:
    for day in days:
        HoursRule.objects.get_or_create(
            kind=kind,
            weekday=day,
            start=start,
            end=end,
            location=owner if isinstance(owner, Location) else None,
            team=owner if isinstance(owner, Team) else None,
        )


def _rooms(location: Location, floors: dict[tuple[int, str], list[tuple[str, str, str]]]) -> dict[str, Room]:
    rooms: dict[str, Room] = {}
    for (level, floor_name), entries in floors.items():
        floor, _ = Floor.objects.get_or_create(location=location, level=level, defaults={"name": floor_name})
        previous = None
        for number, name, kind in entries:
            room, _ = Room.objects.get_or_create(
                floor=floor, number=number, defaults={"name": name, "kind": kind}
            )
            rooms[number] = room
            if previous is not None and kind in (Room.Kind.OFFICE, Room.Kind.COUNTER):
                room.neighbours.add(previous)
            previous = room if kind in (Room.Kind.OFFICE, Room.Kind.COUNTER) else previous
    return rooms


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # hashed once: 30 demo users, one slow hash


def _user(
    username: str,
    first: str,
    last: str,
    authority: Authority | None,
    role: str,
    *,
    scope: Location | Team | None = None,
    teams: tuple[Team, ...] = (),
    room: Room | None = None,
    phone: str = "",
    alarm_mobile: str = "",
    job_title: str = "",
    email_domain: str = "musterstadt.example",
) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "authority": authority,
            "phone": phone,
            "job_title": job_title,
            "workstation_room": room,
            "email": f"{first}.{last}@{email_domain}".lower()
            .replace("ü", "ue")
            .replace("ö", "oe")
            .replace("ä", "ae")
            .replace("ß", "ss"),
        },
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    if alarm_mobile and not user.alarm_mobile:  # also in a demo database from before the field
        user.alarm_mobile = alarm_mobile
        user.save(update_fields=["alarm_mobile"])
    RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        authority=authority,
        location=scope if isinstance(scope, Location) else None,
        team=scope if isinstance(scope, Team) else None,
    )
    if teams:
        user.teams.add(*teams)
    TOTPDevice.objects.get_or_create(
        user=user, name="Demo", defaults={"key": demo_totp_key(username), "confirmed": True}
    )
    return user


def _consent(user: User, level: int, recorded_by: User) -> None:
    if not PublicationConsent.objects.filter(staff=user, revoked_at__isnull=True).exists():
        PublicationConsent.objects.create(staff=user, level=level, recorded_by=recorded_by)


def _service(authority: Authority, slug: str, name: str, *, locations, teams=(), **fields) -> Service:
    service, _ = Service.objects.update_or_create(
        slug=slug, defaults={"authority": authority, "name": name, **fields}
    )
    service.locations.add(*locations)
    if teams:
        service.teams.add(*teams)
    return service


def build_jobcenter() -> dict[str, object]:
    jc, _ = Authority.objects.update_or_create(
        slug="jobcenter-musterstadt",
        defaults={
            "name": "Jobcenter Musterstadt",
            "kind": Authority.Kind.JOBCENTER,
            "bundesland": "HE",
            "phone": "069 8065-1000",
            "email": "jobcenter@musterstadt.example",
            "website": "https://www.musterstadt.example/jobcenter",
        },
    )
    emergency = (
        "Kurzfristige Notfälle – zum Beispiel kein Geld für Lebensmittel, eine drohende "
        "Wohnungsräumung oder eine Strom- oder Gassperre – nehmen wir während der Öffnungszeiten "
        "auch ohne Termin an. Bitte bringen Sie Ihren Ausweis und vorhandene Unterlagen mit."
    )
    main, _ = Location.objects.update_or_create(
        slug="jobcenter-hauptstelle",
        defaults={
            "authority": jc,
            "name": "Jobcenter Musterstadt – Hauptstelle",
            "street": "Berliner Straße 100",
            "postcode": "63065",
            "city": "Musterstadt",
            "latitude": "50.104400",
            "longitude": "8.766100",
            "phone": "069 8065-1000",
            "email": "jobcenter@musterstadt.example",
            "offers_online_callback": True,
            "offers_online_booking": True,
            "offers_contact_form": True,
            "contact_form_url": "https://www.musterstadt.example/jobcenter/kontakt",
            "visit_mode": VisitMode.APPOINTMENT_ONLY,
            "how_to_book": (
                "Termine vereinbaren Sie online, über die Telefonzentrale oder bei Ihrer "
                "persönlichen Ansprechperson. Neukundinnen und Neukunden erhalten mit den "
                "Antragsformularen einen Termin."
            ),
            "emergency_rule": emergency,
            "accessibility": "Stufenloser Eingang, Aufzug in alle Etagen, barrierefreies WC im EG.",
            "directions": "Straßenbahn 16, Haltestelle Marktplatz; Parkhaus Berliner Straße.",
        },
    )
    north, _ = Location.objects.update_or_create(
        slug="jobcenter-nord",
        defaults={
            "authority": jc,
            "name": "Jobcenter Musterstadt – Geschäftsstelle Nord",
            "street": "Nordring 12",
            "postcode": "63067",
            "city": "Musterstadt",
            "phone": "069 8065-2000",
            "email": "jobcenter-nord@musterstadt.example",
            "offers_online_booking": True,
            "visit_mode": VisitMode.APPOINTMENT_ONLY,
            "how_to_book": "Termine für die Arbeitsvermittlung vereinbaren Sie online oder telefonisch.",
            "emergency_rule": emergency,
            "accessibility": "Eingang mit Rampe an der Rückseite, Aufzug vorhanden.",
        },
    )
    # Opening hours and the phone centre, as in Offenbach's MainArbeit.
    _hours(main, HoursKind.OPENING, MON_THU, time(7, 30), time(16, 30))
    _hours(main, HoursKind.OPENING, FRI, time(7, 30), time(14))
    _hours(main, HoursKind.PHONE, MON_THU, time(8), time(16))
    _hours(main, HoursKind.PHONE, FRI, time(8), time(14))
    _hours(main, HoursKind.CALLBACK, MON_FRI, time(8), time(15))
    _hours(main, HoursKind.WALK_IN, MON_FRI, time(7, 30), time(10))
    _hours(north, HoursKind.OPENING, MON_FRI, time(8), time(12))
    _hours(north, HoursKind.OPENING, range(3, 4), time(14), time(18))
    _hours(north, HoursKind.PHONE, MON_FRI, time(8), time(12))

    rooms = _rooms(
        main,
        {
            (0, "Erdgeschoss"): [
                ("E.01", "Empfang", Room.Kind.RECEPTION),
                ("E.02", "Wartebereich", Room.Kind.WAITING),
                ("E.03", "Sicherheitsdienst", Room.Kind.SECURITY),
                ("E.10", "Servicetheke 1", Room.Kind.COUNTER),
                ("E.11", "Servicetheke 2", Room.Kind.COUNTER),
            ],
            (1, "1. Obergeschoss"): [(f"1.{n:02d}", "", Room.Kind.OFFICE) for n in range(1, 9)],
            (2, "2. Obergeschoss"): [(f"2.{n:02d}", "", Room.Kind.OFFICE) for n in range(1, 7)],
        },
    )
    rooms |= _rooms(
        north,
        {
            (0, "Erdgeschoss"): [("N-E.01", "Empfang", Room.Kind.RECEPTION)],
            (1, "1. Obergeschoss"): [(f"N-1.{n:02d}", "", Room.Kind.OFFICE) for n in range(1, 6)],
        },
    )

    def team(slug, name, location, phone, email, description, **extra):
        obj, _ = Team.objects.update_or_create(
            slug=slug,
            defaults={
                "authority": jc,
                "location": location,
                "name": name,
                "phone": phone,
                "email": email,
                "description": description,
                **extra,
            },
        )
        return obj

    service_centre = team(
        "jc-servicecenter",
        "Eingangszone und Telefonzentrale",
        main,
        "069 8065-1000",
        "service@musterstadt.example",
        "Erste Anlaufstelle: Auskünfte, Antragsausgabe, Terminvergabe und Rückruftickets.",
    )
    lsb1 = team(
        "jc-leistung-1",
        "Leistungssachbearbeitung Team 1 (A–K)",
        main,
        "069 8065-1100",
        "leistung1@musterstadt.example",
        "Bürgergeld: Anträge, Weiterbewilligung und Änderungen für Nachnamen A bis K.",
        offers_online_callback=True,
    )
    lsb2 = team(
        "jc-leistung-2",
        "Leistungssachbearbeitung Team 2 (L–Z)",
        main,
        "069 8065-1200",
        "leistung2@musterstadt.example",
        "Bürgergeld: Anträge, Weiterbewilligung und Änderungen für Nachnamen L bis Z.",
        offers_online_callback=True,
    )
    markt = team(
        "jc-markt-integration",
        "Arbeitsvermittlung (Markt & Integration)",
        north,
        "069 8065-2100",
        "vermittlung@musterstadt.example",
        "Beratung zu Arbeit, Ausbildung, Weiterbildung und Eingliederung.",
    )
    for leistung in (lsb1, lsb2):
        _hours(leistung, HoursKind.PHONE, MON_FRI, time(10), time(11))  # directly Mon–Fri 10–11
        _hours(leistung, HoursKind.CALLBACK, MON_FRI, time(8), time(15))
    _hours(markt, HoursKind.PHONE, MON_FRI, time(9), time(12))

    admin = _user(
        "admin", "Andrea", "Admin", jc, Role.ADMIN, job_title="IT-Administration", room=rooms["2.06"]
    )
    _user("dsb", "Dana", "Datenschutz", jc, Role.DPO, job_title="Datenschutzbeauftragte", room=rooms["2.05"])
    _user(
        "zentrale1",
        "Ralf",
        "Register",
        jc,
        Role.REGISTER_KEEPER,
        job_title="Zentrale Stelle",
        room=rooms["2.04"],
    )
    _user(
        "zentrale2",
        "Renate",
        "Prüfer",
        jc,
        Role.REGISTER_KEEPER,
        job_title="Zentrale Stelle",
        room=rooms["2.03"],
    )
    _user(
        "sicherheit",
        "Sven",
        "Wache",
        jc,
        Role.SECURITY,
        scope=main,
        room=rooms["E.03"],
        phone="069 8065-1003",  # the desk extension
        alarm_mobile="0151 00000103",  # the alarm's SMS fallback reaches security here (var/sms/)
        job_title="Sicherheitsdienst",
    )
    _user(
        "sicherheit.nord",
        "Sabine",
        "Schutz",
        jc,
        Role.SECURITY,
        scope=north,
        room=rooms["N-E.01"],
        phone="069 8065-2003",
        alarm_mobile="0151 00000104",
        job_title="Sicherheitsdienst",
    )
    _user(
        "empfang1",
        "Elif",
        "Yilmaz",
        jc,
        Role.AGENT,
        scope=main,
        teams=(service_centre,),
        room=rooms["E.01"],
        job_title="Servicecenter",
    )
    _user(
        "empfang2",
        "Jonas",
        "Becker",
        jc,
        Role.AGENT,
        scope=main,
        teams=(service_centre,),
        room=rooms["E.10"],
        job_title="Servicecenter",
    )
    lead1 = _user(
        "leitung.lsb1",
        "Thomas",
        "Keller",
        jc,
        Role.TEAMLEAD,
        scope=lsb1,
        teams=(lsb1,),
        room=rooms["1.01"],
        phone="069 8065-1101",
        job_title="Teamleitung Leistung 1",
    )
    lead2 = _user(
        "leitung.lsb2",
        "Miriam",
        "Lorenz",
        jc,
        Role.TEAMLEAD,
        scope=lsb2,
        teams=(lsb2,),
        room=rooms["1.05"],
        phone="069 8065-1201",
        job_title="Teamleitung Leistung 2",
    )
    lead3 = _user(
        "leitung.mi",
        "Stefan",
        "Albers",
        jc,
        Role.TEAMLEAD,
        scope=markt,
        teams=(markt,),
        room=rooms["N-1.01"],
        phone="069 8065-2101",
        job_title="Teamleitung Markt & Integration",
    )
    sb = {
        "sb.mueller": ("Sandra", "Müller", lsb1, "1.02", "069 8065-1102"),
        "sb.schmidt": ("Kai", "Schmidt", lsb1, "1.03", "069 8065-1103"),
        "sb.nowak": ("Agnieszka", "Nowak", lsb1, "1.04", "069 8065-1104"),
        "sb.weber": ("Lukas", "Weber", lsb2, "1.06", "069 8065-1202"),
        "sb.hoffmann": ("Julia", "Hoffmann", lsb2, "1.07", "069 8065-1203"),
        "sb.demir": ("Can", "Demir", lsb2, "1.08", "069 8065-1204"),
        "pap.wagner": ("Petra", "Wagner", markt, "N-1.02", "069 8065-2102"),
        "pap.fischer": ("Markus", "Fischer", markt, "N-1.03", "069 8065-2103"),
    }
    workers = {
        username: _user(
            username,
            first,
            last,
            jc,
            Role.CASEWORKER,
            scope=t,
            teams=(t,),
            room=rooms[room],
            phone=phone,
            job_title="Sachbearbeitung" if t != markt else "Arbeitsvermittlung",
        )
        for username, (first, last, t, room, phone) in sb.items()
    }
    # Deputies and one absence: calls for an absent person go to the team line / deputy.
    for a, b in (("sb.mueller", "sb.schmidt"), ("sb.weber", "sb.hoffmann"), ("pap.wagner", "pap.fischer")):
        User.objects.filter(pk=workers[a].pk).update(deputy=workers[b])
        User.objects.filter(pk=workers[b].pk).update(deputy=workers[a])
    User.objects.filter(pk=workers["sb.nowak"].pk).update(
        absent_until=timezone.localdate() + timedelta(days=14)
    )
    # Publication levels, each with recorded consent; one person under a security exception.
    _consent(lead1, PublicationLevel.PUBLIC, admin)
    _consent(lead2, PublicationLevel.PUBLIC, admin)
    _consent(lead3, PublicationLevel.PROFESSIONALS, admin)
    _consent(workers["pap.wagner"], PublicationLevel.PUBLIC, admin)
    _consent(workers["pap.fischer"], PublicationLevel.PROFESSIONALS, admin)
    _consent(workers["sb.nowak"], PublicationLevel.PUBLIC, admin)
    _consent(workers["sb.weber"], PublicationLevel.PROFESSIONALS, admin)
    _consent(workers["sb.demir"], PublicationLevel.PUBLIC, admin)
    SecurityException.objects.get_or_create(
        staff=workers["sb.demir"], defaults={"reason": "Gefährdungslage nach Vorfall", "created_by": admin}
    )

    # Responsibility: surname ranges and Bedarfsgemeinschaft number ranges.
    rules = [
        (10, None, "", "", r"^12[0-4]\d{3}", lsb1),
        (20, None, "", "", r"^12[5-9]\d{3}", lsb2),
        (100, None, "A", "K", "", lsb1),
        (110, None, "L", "Z", "", lsb2),
    ]
    for priority, svc, s_from, s_to, pattern, target in rules:
        ResponsibilityRule.objects.get_or_create(
            authority=jc,
            priority=priority,
            surname_from=s_from,
            surname_to=s_to,
            case_number_pattern=pattern,
            service=svc,
            defaults={"team": target},
        )

    erstantrag = _service(
        jc,
        "erstantrag-buergergeld",
        "Erstantrag Bürgergeld",
        locations=[main],
        teams=[lsb1, lsb2],
        synonyms="Bürgergeld, Buergergeld, Hartz IV, Arbeitslosengeld II, ALG II, Grundsicherung, Antrag",
        description=(
            "Sie können Bürgergeld beantragen, wenn Sie erwerbsfähig sind und Ihren Lebensunterhalt "
            "nicht aus eigenen Mitteln decken können. Im Termin prüfen wir den Antrag mit Ihnen "
            "gemeinsam und nehmen ihn entgegen – auf Wunsch mit Dolmetscherin oder Dolmetscher."
        ),
        what_to_bring="Personalausweis oder Reisepass\nMietvertrag und aktuelle Nebenkostenabrechnung\n"
        "Kontoauszüge der letzten drei Monate\nEinkommensnachweise\nKrankenversicherungsnachweis",
        duration_minutes=45,
        online_bookable=True,
    )
    _service(
        jc,
        "weiterbewilligung-buergergeld",
        "Weiterbewilligungsantrag Bürgergeld",
        locations=[main],
        teams=[lsb1, lsb2],
        synonyms="WBA, Weiterbewilligung, Folgeantrag, Bürgergeld",
        description="Bürgergeld wird in der Regel für zwölf Monate bewilligt. Danach stellen Sie einen "
        "Weiterbewilligungsantrag – am einfachsten online oder per Post.",
        what_to_bring="Ausgefüllter Weiterbewilligungsantrag\nÄnderungsnachweise (Einkommen, Miete)",
        duration_minutes=20,
        online_bookable=True,
    )
    _service(
        jc,
        "veraenderungsmitteilung",
        "Veränderungsmitteilung abgeben",
        locations=[main],
        teams=[lsb1, lsb2],
        synonyms="Änderung, Umzug, neue Arbeit, Veränderung",
        description="Teilen Sie uns Änderungen (Arbeit, Einkommen, Umzug, Haushalt) bitte sofort mit.",
        what_to_bring="Nachweise über die Änderung",
        duration_minutes=15,
    )
    _service(
        jc,
        "bildung-und-teilhabe",
        "Bildung und Teilhabe",
        locations=[main],
        teams=[lsb1, lsb2],
        synonyms="BuT, Schulbedarf, Klassenfahrt, Nachhilfe, Mittagessen",
        description="Leistungen für Schulausflüge, Klassenfahrten, Schulbedarf, Lernförderung und "
        "Mittagsverpflegung für Kinder und Jugendliche.",
        what_to_bring="Bescheinigung der Schule oder Kita\nKostennachweis",
        duration_minutes=15,
    )
    beratung = _service(
        jc,
        "beratung-arbeitsvermittlung",
        "Beratung zur Arbeitsvermittlung",
        locations=[north],
        teams=[markt],
        synonyms="Arbeit, Job, Stelle, Bewerbung, Weiterbildung, Ausbildung",
        description="Gemeinsam mit Ihrer persönlichen Ansprechperson planen Sie Ihren Weg in Arbeit "
        "oder Ausbildung.",
        what_to_bring="Lebenslauf\nZeugnisse",
        duration_minutes=30,
        online_bookable=True,
    )
    ResponsibilityRule.objects.get_or_create(
        authority=jc, priority=5, service=beratung, defaults={"team": markt}
    )
    # A staff meeting (Personalversammlung) closes the main office on a Wednesday in two weeks.
    closure_day = timezone.localdate() + timedelta(days=(2 - timezone.localdate().weekday()) % 7 + 14)
    CalendarException.objects.get_or_create(
        location=main,
        date=closure_day,
        defaults={"closed": True, "reason": "Personalversammlung"},
    )
    return {"authority": jc, "main": main, "north": north, "erstantrag": erstantrag}


def build_buergerbuero() -> dict[str, object]:
    bb, _ = Authority.objects.update_or_create(
        slug="buergerbuero-musterstadt",
        defaults={
            "name": "Bürgerbüro Musterstadt",
            "kind": Authority.Kind.BUERGERBUERO,
            "bundesland": "HE",
            "phone": "115",
            "email": "buergerbuero@musterstadt.example",
        },
    )
    town_hall, _ = Location.objects.update_or_create(
        slug="buergerbuero-rathaus",
        defaults={
            "authority": bb,
            "name": "Bürgerbüro im Rathaus",
            "street": "Marktplatz 1",
            "postcode": "63065",
            "city": "Musterstadt",
            "phone": "115",
            "email": "buergerbuero@musterstadt.example",
            "visit_mode": VisitMode.MIXED,
            "offers_online_booking": True,
            "offers_online_callback": False,
            "latitude": "50.105600",
            "longitude": "8.762200",
            "how_to_book": (
                "Termine buchen Sie online bis zu sechs Wochen im Voraus. Ohne Termin: "
                "Spontantermine montags bis freitags von 8 bis 10 Uhr."
            ),
            "emergency_rule": (
                "Bei Verlust des Ausweises kurz vor einer Reise helfen wir Ihnen "
                "während der Spontanzeiten ohne Termin."
            ),
            "accessibility": "Eingang Marktplatz stufenlos, Aufzug, Induktionsschleife am Schalter 1.",
        },
    )
    _hours(town_hall, HoursKind.OPENING, range(0, 2), time(8), time(16))
    _hours(town_hall, HoursKind.OPENING, range(2, 3), time(8), time(13))
    _hours(town_hall, HoursKind.OPENING, range(3, 4), time(8), time(18))
    _hours(town_hall, HoursKind.OPENING, FRI, time(8), time(12))
    _hours(town_hall, HoursKind.WALK_IN, MON_FRI, time(8), time(10))
    _hours(town_hall, HoursKind.PHONE, MON_FRI, time(8), time(15))
    rooms = _rooms(
        town_hall,
        {
            (0, "Erdgeschoss"): [
                ("R-E.01", "Empfang", Room.Kind.RECEPTION),
                ("R-E.02", "Wartebereich", Room.Kind.WAITING),
            ]
            + [(f"Schalter {n}", "", Room.Kind.COUNTER) for n in range(1, 6)],
        },
    )
    team, _ = Team.objects.update_or_create(
        slug="bb-buergerservice",
        defaults={
            "authority": bb,
            "location": town_hall,
            "name": "Bürgerservice",
            "phone": "115",
            "email": "buergerbuero@musterstadt.example",
            "description": "Ausweise, Pässe, Meldeangelegenheiten, Führungszeugnisse.",
        },
    )
    # An extra Saturday opening three weeks from now (like Leipzig's summer Saturdays).
    today = timezone.localdate()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 14)
    for kind in (HoursKind.OPENING,):
        CalendarException.objects.get_or_create(
            location=town_hall,
            date=saturday,
            closed=False,
            defaults={"start": time(9), "end": time(13), "kinds": kind, "reason": "Zusätzlicher Samstag"},
        )
    _user(
        "bb.leitung",
        "Claudia",
        "Neumann",
        bb,
        Role.TEAMLEAD,
        scope=team,
        teams=(team,),
        phone="069 8065-3001",
        job_title="Leitung Bürgerbüro",
    )
    _user(
        "bb.empfang",
        "Ole",
        "Hansen",
        bb,
        Role.AGENT,
        scope=town_hall,
        teams=(team,),
        room=rooms["R-E.01"],
        job_title="Empfang",
    )
    for i, (first, last) in enumerate([("Mehmet", "Kaya"), ("Lena", "Schulz"), ("Paul", "Richter")], start=1):
        _user(
            f"bb.schalter{i}",
            first,
            last,
            bb,
            Role.CASEWORKER,
            scope=team,
            teams=(team,),
            room=rooms[f"Schalter {i}"],
            job_title="Bürgerservice",
        )
    _user("bb.admin", "Bernd", "Verwalter", bb, Role.ADMIN, job_title="Administration")
    _user(
        "beratung",
        "Fatma",
        "Arslan",
        None,
        Role.PROFESSIONAL,
        job_title="Sozialberatung Diakonie Musterstadt",
        email_domain="beratung.example",
    )

    common = {"locations": [town_hall], "teams": [team], "online_bookable": True}
    _service(
        bb,
        "personalausweis",
        "Personalausweis beantragen",
        duration_minutes=20,
        fee="37,00 €",
        synonyms="Perso, Ausweis, Personalausweis, ID-Karte, Identitätskarte",
        description="Der Personalausweis gilt zehn Jahre (unter 24 Jahren: sechs Jahre). Sie müssen "
        "persönlich erscheinen; Fingerabdrücke werden vor Ort abgenommen.",
        what_to_bring="Bisheriger Ausweis oder Reisepass\nEin aktuelles biometrisches Passfoto "
        "(oder vor Ort erstellen)\nBei Namensänderung: Urkunde",
        **common,
    )
    _service(
        bb,
        "reisepass",
        "Reisepass beantragen",
        duration_minutes=20,
        fee="70,00 €",
        synonyms="Pass, Reisepass, Kinderreisepass, Express",
        description="Reisepässe werden in der Bundesdruckerei hergestellt; die Bearbeitung dauert "
        "etwa vier Wochen, im Expressverfahren wenige Tage.",
        what_to_bring="Personalausweis oder alter Reisepass\nBiometrisches Passfoto",
        **common,
    )
    _service(
        bb,
        "meldebescheinigung",
        "Meldebescheinigung",
        duration_minutes=10,
        fee="10,00 €",
        synonyms="Meldebestätigung, Wohnsitzbescheinigung, Aufenthaltsbescheinigung",
        description="Eine Meldebescheinigung bestätigt Ihren Wohnsitz. Sie erhalten sie sofort.",
        what_to_bring="Personalausweis oder Reisepass",
        **common,
    )
    _service(
        bb,
        "wohnsitz-anmelden",
        "Wohnsitz anmelden oder ummelden",
        duration_minutes=15,
        synonyms="Anmeldung, Ummeldung, Umzug, Wohnung anmelden",
        description="Nach einem Umzug melden Sie Ihren neuen Wohnsitz innerhalb von zwei Wochen an.",
        what_to_bring="Personalausweis oder Reisepass\nWohnungsgeberbestätigung",
        **common,
    )
    _service(
        bb,
        "wohngeld",
        "Wohngeld – Antragsannahme und Beratung",
        duration_minutes=30,
        synonyms="Wohngeld, Mietzuschuss, Lastenzuschuss",
        description="Wir nehmen Ihren Wohngeldantrag entgegen und prüfen ihn auf Vollständigkeit.",
        what_to_bring="Mietvertrag\nEinkommensnachweise aller Haushaltsmitglieder\nPersonalausweis",
        **common,
    )
    _service(
        bb,
        "fuehrungszeugnis",
        "Führungszeugnis beantragen",
        duration_minutes=10,
        fee="13,00 €",
        synonyms="polizeiliches Führungszeugnis, erweitertes Führungszeugnis",
        description="Das Führungszeugnis wird vom Bundesamt für Justiz per Post zugestellt.",
        what_to_bring="Personalausweis oder Reisepass",
        **common,
    )
    return {"authority": bb, "town_hall": town_hall}
