"""Demo data: one waiting citizen for the Bürgerbüro's Personalausweis (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from buergerkontakt.demo.people import DEMO_WAITING
from buergerkontakt.directory.models import Service
from buergerkontakt.waitlist.models import Entry

DEMO_EMAIL = "warteliste.demo@example.org"


def waitlist_demo() -> None:
    today = timezone.localdate()
    # Once; again only when the demo entry's period has passed (a demo database loaded weeks later).
    if Entry.objects.filter(email=DEMO_EMAIL, date_until__gte=today).exists():
        return
    service = (Service.objects.filter(slug="personalausweis").first()
               or Service.objects.filter(online_bookable=True, is_public=True).order_by("pk").first())
    if service is None:
        return
    # Written directly (no receipt e-mail for a demo address); the matcher offers it free times.
    entry = Entry.objects.create(
        authority=service.authority, date_from=today + timedelta(days=1),
        date_until=today + timedelta(days=28),
        deadline=today + timedelta(days=21), mornings=True, afternoons=False, name=DEMO_WAITING,
        email=DEMO_EMAIL, note="Personalausweis läuft bald ab.",
    )
    entry.services.add(service)
