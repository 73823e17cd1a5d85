"""Core pages: error pages in German, the staff start page."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .auth_views import remaining_recovery_codes
from .decorators import staff_required
from .models import RoleAssignment
from .unavailable import is_unavailable, unavailable_response

log = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": text}, status=status)
    return render(request, "error.html", {"title": title, "text": text, "status": status}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400, _("Ungültige Anfrage"),
                  _("Die Anfrage konnte nicht verarbeitet werden. Bitte prüfen Sie Ihre Eingabe."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, _("Kein Zugriff"),
                  _("Sie haben keine Berechtigung, diese Seite aufzurufen."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, _("Seite nicht gefunden"),
                  _("Die aufgerufene Seite gibt es nicht (mehr). Bitte prüfen Sie die Adresse."))


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a database that cannot be reached is not a
    # defect of the page but an outage – 503 with Retry-After, rendered without the database.
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    try:
        return error_response(request, 500, _("Technischer Fehler"),
                              _("Es ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut."))
    except Exception as exc:  # the error page itself needs the database (staff menu): plain page
        log.warning("error page failed: %s", type(exc).__name__)
        return unavailable_response(request) if is_unavailable(exc) else HttpResponse(
            _("Technischer Fehler"), status=500, content_type="text/plain; charset=utf-8")


def _scope_label(assignment: RoleAssignment) -> str:
    if assignment.team_id:
        return _("Team %(name)s") % {"name": assignment.team.name}
    if assignment.location_id:
        return _("Standort %(name)s") % {"name": assignment.location.name}
    if assignment.authority_id:
        return assignment.authority.name
    return _("extern")


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Start page for staff: greeting, own roles with their scope, links for administrators."""
    role_list = [
        {"role": a.get_role_display(), "scope": _scope_label(a)}
        for a in RoleAssignment.objects.filter(user=request.user)
        .select_related("authority", "location", "team").order_by("role", "pk")
    ]
    return render(request, "core/staff_home.html", {
        "role_list": role_list,
        "recovery_codes_left": remaining_recovery_codes(request.user),
        "show_admin_link": request.user.is_staff,
    })
