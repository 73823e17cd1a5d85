"""The public reachability promise per office (Standort): the figures behind
``/standorte/<slug>/erreichbarkeit/`` and the open-data feed ``/api/opendata/…``.

Published: share of callbacks within their deadline and the median walk-in wait over the last
``REACHABILITY_PERIOD_DAYS`` complete days (up to yesterday), the next free online appointment per
service, and the weekly phone hours ("telefonisch direkt erreichbar"). No personal data: only
counts, shares, durations and dates; no names, no direct dials. A figure based on fewer than
``REACHABILITY_MIN_COUNT`` cases is not published (``null``, "suppressed": true), so nobody can
infer what happened to one person. The document is cached for ``REACHABILITY_CACHE_SECONDS``
(Django cache; Redis shared by all workers when ``REDIS_URL`` is set).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.core import spreadsheet
from buergerkontakt.core.calendar import WeeklyRule
from buergerkontakt.core.models import Location, Team
from buergerkontakt.directory import hours
from buergerkontakt.directory.models import HoursKind, HoursRule

from . import kpis
from .kpis import Period
from .queries import bookable_pairs, next_free_days

CACHE_PREFIX = "reports:reachability:v1:"


def public_period(now: datetime) -> Period:
    """The last complete days up to yesterday (a stable figure for the whole day)."""
    yesterday = kpis.local_date(now) - timedelta(days=1)
    return Period.last_days(settings.REACHABILITY_PERIOD_DAYS, yesterday)


def _callbacks(location: Location, period: Period, now: datetime, min_count: int) -> dict:
    from buergerkontakt.callbacks.models import Ticket

    found = (
        Ticket.objects.filter(
            team__location=location, created_at__gte=period.start, created_at__lt=period.end
        )
        .annotate(first_attempt=Min("attempts__at"))
        .values_list("due_at", "first_attempt")
    )
    met = breached = 0
    for due, first in found:
        outcome = kpis.deadline_outcome(due, first, now)
        met += outcome == kpis.MET
        breached += outcome == kpis.BREACHED
    counted = met + breached
    published = kpis.suppress(counted, min_count)
    share = kpis.rate(met, counted) if published else None
    return {
        "within_deadline_percent": round(share) if share is not None else None,
        "tickets": published,
        "suppressed": published is None,
    }


def _walk_in(location: Location, period: Period, min_count: int) -> dict:
    from buergerkontakt.walkin.models import Queue, Ticket

    waits = list(
        Ticket.objects.filter(
            queue__location=location, day__gte=period.first, day__lte=period.last, wait_seconds__isnull=False
        ).values_list("wait_seconds", flat=True)
    )
    published = kpis.suppress(len(waits), min_count)
    wait = kpis.minutes(kpis.median(waits)) if published else None
    return {
        "offered": Queue.objects.filter(location=location, is_active=True, walk_in=True).exists(),
        "median_wait_minutes": round(wait) if wait is not None else None,
        "tickets": published,
        "suppressed": published is None,
    }


def _phone(location: Location, period: Period, min_count: int) -> dict:
    from buergerkontakt.telephony import stats

    levels = stats.for_location(location.pk, period.start, period.end)
    published = kpis.suppress(levels.offered, min_count)
    answered = kpis.rate(levels.answered, levels.offered) if published else None
    within = kpis.rate(levels.within, levels.offered) if published else None
    return {
        "answer_rate_percent": round(answered) if answered is not None else None,
        "within_30s_percent": round(within) if within is not None else None,
        "calls": published,
        "suppressed": published is None,
    }


def _weekly(owner) -> list[dict]:
    return [
        {"weekday": rule.weekday, "start": rule.start.strftime("%H:%M"), "end": rule.end.strftime("%H:%M")}
        for rule in sorted(hours.rules_for(owner, HoursKind.PHONE), key=lambda r: (r.weekday, r.start))
        if not rule.valid_until or rule.valid_until >= timezone.localdate()
    ]


def _phone_hours(location: Location) -> list[dict]:
    """The location's phone hours, then each public team's own (teams without own hours are left
    out: they are reached in the location's hours)."""
    result = []
    weekly = _weekly(location)
    if weekly:
        result.append({"name": location.name, "kind": "location", "windows": weekly})
    for team in Team.objects.filter(location=location, is_public=True).order_by("name"):
        if team.offers_phone and HoursRule.objects.filter(team=team, kind=HoursKind.PHONE).exists():
            result.append({"name": team.name, "kind": "team", "windows": _weekly(team)})
    return result


def compute(location: Location, now: datetime) -> dict:
    period = public_period(now)
    min_count = settings.REACHABILITY_MIN_COUNT
    today = kpis.local_date(now)
    next_free = []
    for service, _location in bookable_pairs([location.pk]):
        day = next_free_days(service.pk, location.pk, now)
        next_free.append(
            {
                "service": service.slug,
                "service_name": service.name,
                "date": day,
                "days": (day - today).days if day else None,
            }
        )
    return {
        "office": {
            "slug": location.slug,
            "name": location.name,
            "authority": location.authority.name,
            "city": location.city,
            "url": settings.SITE_URL + reverse("reports:reachability", args=[location.slug]),
        },
        "period": {"first": period.first, "last": period.last, "days": period.days},
        "generated_at": now,
        "min_count": min_count,
        "callbacks": _callbacks(location, period, now, min_count),
        "walk_in": _walk_in(location, period, min_count),
        "phone": _phone(location, period, min_count),
        "next_free_appointments": next_free,
        "phone_hours": _phone_hours(location),
    }


def office(location: Location, now: datetime | None = None) -> dict:
    """The cached document of one office (recomputed after the cache lifetime or the next day)."""
    now = now or timezone.now()
    ttl = settings.REACHABILITY_CACHE_SECONDS
    if ttl <= 0:
        return compute(location, now)
    key = f"{CACHE_PREFIX}{location.pk}:{kpis.local_date(now).isoformat()}"
    document = cache.get(key)
    if document is None:
        document = compute(location, now)
        cache.set(key, document, ttl)
    return document


def public_locations():
    return (
        Location.objects.filter(is_public=True)
        .select_related("authority")
        .order_by("authority__name", "name")
    )


def all_offices(now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    return [office(location, now) for location in public_locations()]


def weekly_lines(windows: list[dict]) -> list[hours.WeeklyLine]:
    """'Mo–Fr 10:00–11:00' lines in the current language from a cached document."""
    rules = [
        WeeklyRule(w["weekday"], time.fromisoformat(w["start"]), time.fromisoformat(w["end"]), None, None)
        for w in windows
    ]
    return hours.weekly_summary(rules, timezone.localdate())


# --- CSV (long format: one row per office and figure) ----------------------------------------------
CSV_HEADER = [
    "office_slug",
    "office_name",
    "authority",
    "period_first",
    "period_last",
    "metric",
    "service",
    "value",
    "unit",
    "count",
    "suppressed",
]
WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]


def csv_rows(documents: list[dict]) -> list[list]:
    rows = []
    for doc in documents:
        base = [
            doc["office"]["slug"],
            doc["office"]["name"],
            doc["office"]["authority"],
            doc["period"]["first"].isoformat(),
            doc["period"]["last"].isoformat(),
        ]
        cb, walk = doc["callbacks"], doc["walk_in"]
        rows.append(
            [*base, "callbacks_within_deadline", "", cb["within_deadline_percent"], "percent",
             cb["tickets"], cb["suppressed"]]
        )
        if walk["offered"] or walk["tickets"]:
            rows.append(
                [*base, "walk_in_median_wait", "", walk["median_wait_minutes"], "minutes",
                 walk["tickets"], walk["suppressed"]]
            )
        phone = doc.get("phone")
        if phone and (phone["calls"] or phone["suppressed"]):
            rows.append([*base, "phone_answer_rate", "", phone["answer_rate_percent"], "percent",
                         phone["calls"], phone["suppressed"]])
            rows.append([*base, "phone_answered_within_30s", "", phone["within_30s_percent"], "percent",
                         phone["calls"], phone["suppressed"]])
        for item in doc["next_free_appointments"]:
            rows.append(
                [*base, "next_free_appointment_days", item["service"], item["days"], "days", "", False]
            )
        for owner in doc["phone_hours"]:
            text = ", ".join(f"{WEEKDAYS[w['weekday']]} {w['start']}-{w['end']}" for w in owner["windows"])
            rows.append([*base, "phone_hours", owner["name"], text, "weekly", "", False])
    return rows


def as_csv(documents: list[dict]) -> str:
    """Comma-separated, UTF-8, RFC 4180 (machine-readable open data; the staff downloads use ';')."""
    rows = (["true" if v is True else "false" if v is False else v for v in row]
            for row in csv_rows(documents))
    return spreadsheet.open_data_text(CSV_HEADER, rows)
