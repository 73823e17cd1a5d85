"""When the database is down: a German "temporarily unavailable" answer (503 + Retry-After) instead
of a hanging request or "Technischer Fehler" (docs/adr/0012-faults-and-recovery.md).

``is_unavailable(exc)`` recognises the errors of a database that cannot be reached (connection
refused or reset, connect timeout, no connection free in the pool). ``unavailable_response``
renders without touching the database: no session, no user, no context processors – the template
stands alone, so staff pages get the same answer as citizens'.
"""

from __future__ import annotations

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 30


def is_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError | psycopg.OperationalError
                      | psycopg.InterfaceError)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    text = _("Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in einigen Minuten "
             "erneut.")
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": text}, status=503)
    else:
        html = render_to_string("core/unavailable.html", {
            "title": _("Vorübergehend nicht erreichbar"), "text": text,
            "code": _("Fehlercode %(status)s") % {"status": 503}})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
