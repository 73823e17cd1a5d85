"""Demo of the walk-in queue: queues, a display and a kiosk per location, and today's tickets in
every state at the Bürgerbüro (numbers already called, one in service, an emergency, a check-in)."""

from __future__ import annotations

import hashlib
from base64 import urlsafe_b64encode
from datetime import datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location, User
from buergerkontakt.directory.models import Service
from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import Queue, Screen, Ticket

QUEUES = {
    "buergerbuero-rathaus": [
        ("A", "Ausweise und Pässe", ["personalausweis", "reisepass"]),
        ("B", "Meldeangelegenheiten", ["meldebescheinigung", "wohnsitz-anmelden"]),
        ("C", "Weitere Anliegen", ["wohngeld", "fuehrungszeugnis"]),
    ],
    "jobcenter-hauptstelle": [
        ("E", "Eingangszone", []),
        ("L", "Leistung – Vorsprache", ["erstantrag-buergergeld", "weiterbewilligung-buergergeld",
                                         "veraenderungsmitteilung"]),
    ],
}


def demo_screen_key(location_slug: str, kind: str) -> str:
    """A fixed key per demo screen, so the printed demo URLs stay valid across runs."""
    digest = hashlib.sha256(f"buergerkontakt-demo-screen:{location_slug}:{kind}".encode()).digest()
    return urlsafe_b64encode(digest[:18]).decode()


def demo_screen_urls(base: str) -> list[tuple[str, str]]:
    """(label, URL) of the demo displays and kiosks, for the start banner."""
    result = []
    for screen in Screen.objects.filter(location__slug__in=QUEUES).select_related("location").order_by("pk"):
        name = "queue:display" if screen.kind == Screen.Kind.DISPLAY else "queue:kiosk"
        result.append((f"{screen.get_kind_display()} {screen.location.name}",
                       base + reverse(name, args=[screen.key])))
    return result


def _queues(location: Location) -> dict[str, Queue]:
    queues = {}
    for position, (prefix, name, slugs) in enumerate(QUEUES[location.slug], start=1):
        queue, _ = Queue.objects.update_or_create(location=location, prefix=prefix,
                                                  defaults={"name": name, "position": position})
        queue.services.set(Service.objects.filter(slug__in=slugs))
        queues[prefix] = queue
    for kind, name in ((Screen.Kind.DISPLAY, "Anzeige Wartebereich"), (Screen.Kind.KIOSK, "Kiosk Eingang")):
        Screen.objects.get_or_create(key=demo_screen_key(location.slug, kind),
                                     defaults={"location": location, "kind": kind, "name": name})
    return queues


DEMO_MORNING_MINUTES = 95  # the first demo ticket of the day is issued this long before now


def _todays_tickets(location: Location, queues: dict[str, Queue]) -> None:
    """A morning at the Bürgerbüro: served, missed, in service, called, waiting, an emergency.

    Every ticket belongs to today's Berlin day: shortly after midnight the morning is squeezed into
    the minutes since midnight instead of reaching back into yesterday (whose numbers the report
    history may already hold)."""
    now = timezone.now()
    today = services.local_day(now)
    if Ticket.objects.filter(queue__location=location, day=today).exists():
        return
    since_midnight = now - datetime.combine(today, time(0), local_zone())
    scale = min(1.0, since_midnight / timedelta(minutes=DEMO_MORNING_MINUTES + 1))
    clerks = list(User.objects.filter(username__in=["bb.schalter1", "bb.schalter2", "bb.schalter3"])
                  .select_related("workstation_room").order_by("username"))
    if len(clerks) < 3:
        return
    a, b = queues["A"], queues["B"]
    for clerk, serves in zip(clerks, ([a, b], [a], [b, queues["C"]]), strict=True):
        services.set_desk(clerk, location, clerk.workstation_room, serves)

    def issue(queue: Queue, **kwargs) -> Ticket:
        # The demo shows a morning at any hour: outside walk-in hours the reception overrides.
        return services.issue_ticket(queue, by=clerks[0], override_reason="Demodaten", **kwargs)

    def at(minutes_ago: int):
        return now - timedelta(minutes=minutes_ago) * scale

    # Served earlier (their times feed the wait estimate).
    for i, clerk in enumerate(clerks * 2):
        ticket = issue(a if i % 2 else b, now=at(95 - i * 9))
        services.call_ticket(ticket, clerk, location, now=at(88 - i * 9))
        services.start(ticket, clerk, now=at(87 - i * 9))
        services.finish(ticket, clerk, now=at(83 - i * 9 - (i * 5) % 9))
    # Called three times, nobody came.
    missed = issue(b, now=at(40))
    services.call_ticket(missed, clerks[2], location, now=at(30))
    for minutes in (29, 28):
        services.recall(missed, clerks[2], now=at(minutes))
    services.mark_missed(missed, clerks[2], now=at(27))
    # One in service, one just called.
    serving = issue(a, now=at(25))
    services.call_ticket(serving, clerks[0], location, now=at(9))
    services.start(serving, clerks[0], now=at(8))
    called = issue(b, now=at(20))
    services.call_ticket(called, clerks[2], location, now=at(1))
    # Waiting: walk-ins and an emergency.
    for minutes in (18, 14, 9, 5, 2):
        issue(a if minutes % 2 else b, now=at(minutes))
    issue(a, emergency=True, emergency_reason="Ausweis verloren, Flug heute Abend",
                          now=at(3))
    # An appointment holder who has checked in (if one is booked for later today).
    soon = (Appointment.objects.filter(location=location, status=Appointment.Status.CONFIRMED,
                                       start__gt=now, start__lt=now + timedelta(minutes=50))
            .order_by("start").first())
    if soon is not None and Queue.objects.filter(location=location,
                                                 services__in=soon.service_rows.values("service_id")).exists():
        services.check_in(soon.code, location, now=now)


def queue_demo() -> None:
    with transaction.atomic():
        # A demo database from an earlier day: its open tickets end as a real day's end ends them,
        # so today's demo desks are free.
        services.close_past_days()
        for slug in QUEUES:
            location = Location.objects.filter(slug=slug).first()
            if location is None:
                continue
            queues = _queues(location)
            if slug == "buergerbuero-rathaus":
                _todays_tickets(location, queues)
