"""Demo of the incident register for "Jobcenter Musterstadt".

* four incident reports (levels 0–2), one of them by ``sb.mueller`` about "Bernd Braun" with a
  criminal complaint;
* an *active* register entry for Bernd Braun (created by ``zentrale1``, approved by ``zentrale2``)
  – his callback ticket (steps/callbacks.py) and a booked appointment show the safety hint to the case
  worker ``sb.mueller``;
* a *pending* entry (created by ``zentrale2``) waiting for ``zentrale1``'s approval;
* register access for ``sb.mueller`` (approved by ``leitung.lsb1``) and an open request of ``sb.weber``.

Idempotent: nothing is added when the authority already has reports.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from buergerkontakt.core.models import Authority, Location, User
from buergerkontakt.demo.people import DEMO_REGISTER_SUBJECT
from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import IncidentType, Measure, Report

DEMO_PERSON = ("Bernd Braun", date(1979, 5, 14), "BG-12345")


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _reports(jc: Authority, now) -> None:
    main = Location.objects.filter(authority=jc, slug="jobcenter-hauptstelle").first() or jc.locations.first()
    mueller, weber, empfang = _user("sb.mueller"), _user("sb.weber"), _user("empfang1")
    room = mueller.workstation_room if mueller and mueller.workstation_room else None
    name, birth, case = DEMO_PERSON
    rows = [
        (
            empfang,
            0,
            [IncidentType.OTHER],
            20,
            "Lauter Streit am Empfang wegen Wartezeit, beruhigte sich.",
            {},
        ),
        (weber, 1, [IncidentType.INSULT], 12, "Kunde beschimpfte mich nach Ablehnung des Antrags.", {}),
        (
            empfang,
            1,
            [IncidentType.INSULT, IncidentType.PROPERTY],
            9,
            "Flyerständer umgeworfen, Beleidigung.",
            {},
        ),
        (
            mueller,
            2,
            [IncidentType.THREAT, IncidentType.COERCION],
            5,
            "Herr Braun drohte, mich 'nach Feierabend abzufangen', und verweigerte das Verlassen des Raums.",
            {
                "person_name": name,
                "person_birth_date": birth,
                "person_case_number": case,
                "criminal_complaint": True,
                "complaint_file_number": "StA Musterstadt 7 Js 1234/26",
                "house_ban": True,
                "aftercare_offered": True,
            },
        ),
    ]
    for user, level, types, days, text, extra in rows:
        if user is None:
            continue
        services.submit_report(
            user,
            location=main if room is None or user != mueller else room.floor.location,
            room=room if user == mueller else None,
            occurred_at=now - timedelta(days=days),
            level=level,
            types=types,
            narrative=text,
            now=now,
            **extra,
        )


def _entries(jc: Authority, now) -> None:
    keeper1, keeper2 = _user("zentrale1"), _user("zentrale2")
    if keeper1 is None or keeper2 is None:
        return
    name, birth, case = DEMO_PERSON
    source = list(Report.objects.filter(authority=jc, level__gte=2, criminal_complaint=True))
    active = services.create_entry(
        keeper1,
        authority=jc,
        name=name,
        birth_date=birth,
        case_number=case,
        level=2,
        complaint_file_number="StA Musterstadt 7 Js 1234/26",
        reason="Bedrohung und Nötigung einer Sachbearbeiterin; Strafanzeige erstattet, Hausverbot erteilt.",
        measures=[Measure.TWO_PERSONS, Measure.SECURITY],
        measures_note="Termine nur in Raum mit zweitem Ausgang",
        reports=source,
        now=now,
    )
    services.approve_entry(active, keeper2, now=now)
    services.create_entry(
        keeper2,
        authority=jc,
        name=DEMO_REGISTER_SUBJECT,
        birth_date=date(1968, 11, 2),
        level=3,
        complaint_file_number="StA Musterstadt 3 Js 777/26",
        reason="Erschien mit einem Messer am Empfang; Polizei hat ihn mitgenommen.",
        measures=[Measure.SECURITY, Measure.WRITTEN_ONLY],
        now=now,
    )


def _access(now) -> None:
    mueller, weber, lead = _user("sb.mueller"), _user("sb.weber"), _user("leitung.lsb1")
    today = timezone.localtime(now).date()
    if mueller and lead:
        grant = services.request_access(
            mueller, reason="Beratungsgespräche im Einzelbüro", until=today + timedelta(days=180), now=now
        )
        services.decide_access(grant, lead, approve=True, now=now)
    if weber:
        services.request_access(
            weber, reason="Hausbesuche und Einzelgespräche", until=today + timedelta(days=90), now=now
        )


def _appointment(jc: Authority, now) -> None:
    """A booked appointment for the demo person, so the hint appears in the calendar's detail page."""
    from buergerkontakt.appointments import services as booking
    from buergerkontakt.appointments.exceptions import BookingError
    from buergerkontakt.appointments.models import Quota
    from buergerkontakt.directory.models import Service

    service = Service.objects.filter(slug="weiterbewilligung-buergergeld").first()
    location = Location.objects.filter(slug="jobcenter-hauptstelle").first()
    if service is None or location is None:
        return
    name, _birth, case = DEMO_PERSON
    day = timezone.localtime(now).date()
    for offset in range(1, 15):
        starts = booking.free_starts(
            [service], location, day + timedelta(days=offset), quota=Quota.INTERNAL, now=now
        )
        for start in starts[:3]:
            try:
                held = booking.hold_slot(
                    [service], location, start, quota=Quota.INTERNAL, booked_by=_user("empfang1"), now=now
                )
                booking.confirm_booking(held, name=name, case_number=case, now=now)
                return
            except BookingError:
                continue


def incidents_demo() -> None:
    jc = Authority.objects.filter(slug="jobcenter-musterstadt").first()
    if jc is None or Report.objects.filter(authority=jc).exists():
        return
    now = timezone.now()
    _reports(jc, now)
    _entries(jc, now)
    _access(now)
    _appointment(jc, now)
