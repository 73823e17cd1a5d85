"""The REST API: one OpenAPI 3 document at /api/openapi.json, docs at /api/docs."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError as NinjaValidationError

from buergerkontakt.alarms.api import router as alarms_router
from buergerkontakt.appointments.api import router as appointments_router
from buergerkontakt.callbacks.api import router as callbacks_router
from buergerkontakt.directory.api import router as directory_router
from buergerkontakt.reports.api import router as reports_router
from buergerkontakt.telephony.api import router as telephony_router

api = NinjaAPI(
    title="Bürgerkontakt API",
    version="1.0",
    description=(
        "Öffentliche Schnittstelle für Portale, Telefonie und offene Daten. "
        "Public API for portals, telephony and open data."
    ),
    urls_namespace="api",
)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    return api.create_response(
        request,
        {"detail": _("Ungültige Eingabe."), "errors": exc.errors},
        status=422,
    )


class HealthOut(Schema):
    status: str


@api.get(
    "/health", response=HealthOut, operation_id="health", summary="Betriebsbereit? / Health",
    tags=["Betrieb / Operations"],
    description="Antwortet ohne Datenbankzugriff mit `{\"status\": \"ok\"}` (für Load-Balancer und als "
                "Vergleichswert der Benchmarks).\n\n"
                "Answers `{\"status\": \"ok\"}` without touching the database (for load balancers and "
                "as the benchmarks' baseline).",
)
def health(request: HttpRequest):
    return {"status": "ok"}


api.add_router("/directory/", directory_router, tags=["Verzeichnis / Directory"])
api.add_router("/appointments/", appointments_router, tags=["Termine / Appointments"])
api.add_router("/callbacks/", callbacks_router, tags=["Rückrufe / Callbacks"])
api.add_router("/telephony/", telephony_router, tags=["Telefonie / Telephony"])
api.add_router("/opendata/", reports_router, tags=["Offene Daten / Open data"])
api.add_router("/", alarms_router, tags=["Stiller Alarm: Geräte / Silent alarm: devices"])
