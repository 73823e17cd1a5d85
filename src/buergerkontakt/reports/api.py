"""Open data: the reachability promise of every public office as JSON and CSV (anonymous)."""

from __future__ import annotations

import datetime as dt
import re

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from . import opendata

router = Router()


class ErrorOut(Schema):
    detail: str


class OfficeOut(Schema):
    slug: str
    name: str
    authority: str
    city: str
    url: str = Field(description="Öffentliche Erreichbarkeitsseite / public reachability page")


class PeriodOut(Schema):
    first: dt.date = Field(description="erster Tag (Ortszeit Europe/Berlin) / first day")
    last: dt.date = Field(description="letzter Tag, einschließlich / last day, inclusive")
    days: int


class CallbacksOut(Schema):
    within_deadline_percent: int | None = Field(
        description="Anteil der Rückrufwünsche, bei denen der erste Anrufversuch vor Fristablauf lag "
        "(%); null wenn unterdrückt oder keine Fälle / share of callback requests first called within the "
        "deadline; null if suppressed or none"
    )
    tickets: int | None = Field(
        description="Zahl der bewerteten Rückrufwünsche; null wenn unter `min_count` / "
        "number of requests counted; null below `min_count`"
    )
    suppressed: bool


class WalkInOut(Schema):
    offered: bool = Field(
        description="Vorsprache ohne Termin mit Wartenummer möglich / walk-in queue offered"
    )
    median_wait_minutes: int | None = Field(
        description="Median der Wartezeit bis zum Aufruf (Minuten) / median wait until called (minutes)"
    )
    tickets: int | None
    suppressed: bool


class PhoneOut(Schema):
    answer_rate_percent: int | None = Field(
        description="Anteil der in den Telefonzeiten angenommenen Anrufe (%) / share of calls answered "
        "within the phone hours; null wenn unterdrückt oder keine / null if suppressed or none"
    )
    within_30s_percent: int | None = Field(
        description="Anteil der Anrufe, die binnen 30 Sekunden angenommen wurden (%, 115-Maßstab) / share of "
        "calls answered within 30 seconds (the 115 yardstick)"
    )
    calls: int | None = Field(
        description="Zahl der Anrufe in den Telefonzeiten; null wenn unter `min_count` / number of calls; "
        "null below `min_count`"
    )
    suppressed: bool


class NextFreeOut(Schema):
    service: str = Field(description="Kurzname der Leistung / service slug")
    service_name: str
    date: dt.date | None = Field(
        description="Tag des nächsten freien Online-Termins; null: keiner im Horizont / "
        "day of the next free online appointment; null: none ahead"
    )
    days: int | None = Field(description="Tage ab heute / days from today")


class WindowOut(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Montag / Monday")
    start: str = Field(description="HH:MM, Ortszeit / local time")
    end: str


class PhoneHoursOut(Schema):
    name: str = Field(description="Standort oder Team / location or team")
    kind: str = Field(description="location | team")
    windows: list[WindowOut]


class ReachabilityOut(Schema):
    office: OfficeOut
    period: PeriodOut
    generated_at: dt.datetime
    min_count: int = Field(description="Kleinste veröffentlichte Fallzahl / smallest published count")
    callbacks: CallbacksOut
    walk_in: WalkInOut
    phone: PhoneOut = Field(description="Telefonische Erreichbarkeit (Telefonanlage) / phone reachability")
    next_free_appointments: list[NextFreeOut]
    phone_hours: list[PhoneHoursOut] = Field(description="Telefonisch direkt erreichbar / direct phone hours")


DESCRIPTION = (
    "Das Serviceversprechen jedes Standorts als offene Daten: Rückrufe innerhalb der Frist und Median der "
    "Wartezeit ohne Termin in den letzten abgeschlossenen Tagen (`period`), der nächste freie Online-Termin "
    "je Leistung und die Telefonzeiten. Keine personenbezogenen Daten; Werte aus weniger als `min_count` "
    "Fällen sind `null` (`suppressed: true`). Zwischengespeichert (Standard 15 Minuten).\n\n"
    "Every office's service promise as open data: callbacks within the deadline and the median walk-in wait "
    "over the last complete days (`period`), the next free online appointment per service and the phone "
    "hours. No personal data; values from fewer than `min_count` cases are `null` (`suppressed: true`). "
    "Cached (15 minutes by default)."
)


@router.get(
    "reachability",
    response=list[ReachabilityOut],
    operation_id="opendata_reachability",
    summary="Erreichbarkeit aller Standorte / Reachability of all offices",
    description=DESCRIPTION,
)
def reachability(request: HttpRequest):
    return opendata.all_offices()


@router.get(
    "reachability.csv",
    operation_id="opendata_reachability_csv",
    summary="Erreichbarkeit aller Standorte als CSV / Reachability as CSV",
    description="Dieselben Zahlen im Langformat, eine Zeile je Standort und Kennzahl "
    "(UTF-8, Komma, RFC 4180). "
    "Spalten: " + ", ".join(f"`{c}`" for c in opendata.CSV_HEADER) + ".\n\n"
    "The same figures in long format, one row per office and figure.",
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV",
                "content": {
                    "text/csv": {"schema": {"type": "string", "example": ",".join(opendata.CSV_HEADER)}}
                },
            }
        }
    },
)
def reachability_csv(request: HttpRequest):
    response = HttpResponse(opendata.as_csv(opendata.all_offices()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="erreichbarkeit.csv"'
    return response


@router.get(
    "reachability/{slug}",
    response={200: ReachabilityOut, 404: ErrorOut},
    operation_id="opendata_reachability_office",
    summary="Erreichbarkeit eines Standorts / Reachability of one office",
    description=DESCRIPTION,
)
def reachability_office(request: HttpRequest, slug: str):
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,80}", slug):
        raise HttpError(404, _("Diesen Standort gibt es nicht."))
    location = opendata.public_locations().filter(slug=slug).first()
    if location is None:
        raise HttpError(404, _("Diesen Standort gibt es nicht."))
    return opendata.office(location, timezone.now())
