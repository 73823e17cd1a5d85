"""Staff pages of the silent alarm: raising without JavaScript, registering a workstation, the
security console with every workstation online/offline, and an alarm's timeline (with CSV export)."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Location, Role, Room
from buergerkontakt.core.permissions import has_role

from . import queries, services
from .consumers import DEVICE_COOKIE
from .models import Alarm, Level, Workstation

COOKIE_AGE = 5 * 365 * 24 * 3600


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("Referer") or "/mitarbeiter/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/mitarbeiter/"
    return target


def _workstation(request: HttpRequest) -> Workstation | None:
    return services.workstation_for(request.COOKIES.get(DEVICE_COOKIE), request.user)


@staff_required
@require_POST
def raise_view(request: HttpRequest) -> HttpResponse:
    """The alarm button without JavaScript (the page's script raises over the WebSocket)."""
    try:
        level = int(request.POST.get("level", Level.SECURITY))
        services.raise_alarm(request.user, level=level, workstation=_workstation(request))
    except (ValueError, services.AlarmError) as exc:
        messages.error(request, getattr(exc, "message", _("Unbekannte Alarmstufe.")))
        return redirect(_back(request))
    messages.warning(request, _("Alarm ausgelöst. Hilfe ist informiert."))
    return redirect(_back(request))


def _rooms(user):
    return (
        Room.objects.filter(floor__location__authority_id=user.authority_id)
        .select_related("floor__location")
        .order_by("floor__location__name", "floor__level", "number")
    )


@staff_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    current = _workstation(request)
    rooms = _rooms(request.user)
    error = ""
    if request.method == "POST":
        room = (
            rooms.filter(pk=request.POST.get("room") or 0).first()
            if request.POST.get("room", "").isdigit()
            else None
        )
        if room is None:
            error = _("Bitte wählen Sie einen Raum aus der Liste.")
        else:
            workstation, token = services.register_workstation(
                request.user, room, request.POST.get("name", "")
            )
            response = redirect("alarms:register")
            response.set_cookie(
                DEVICE_COOKIE,
                token,
                max_age=COOKIE_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
            messages.success(
                request,
                _("Dieser Arbeitsplatz ist jetzt Raum %(room)s zugeordnet.")
                % {"room": workstation.room.number},
            )
            return response
    return render(
        request,
        "alarms/register.html",
        {
            "workstation": current,
            "rooms": rooms,
            "error": error,
            "default_room": current.room_id if current else request.user.workstation_room_id,
        },
        status=400 if error else 200,
    )


def _security_locations(user):
    return [
        loc
        for loc in Location.objects.filter(authority_id=user.authority_id)
        if has_role(user, Role.SECURITY, obj=loc)
    ]


@staff_required(roles=(Role.SECURITY,))
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    locations = queries.security_locations(request.user)
    now = timezone.now()
    offline = services.offline_q(now)
    stations = list(
        Workstation.objects.filter(room__floor__location__in=locations, is_active=True).select_related(
            "room__floor__location", "last_user"
        )
    )
    offline_ids = set(
        Workstation.objects.filter(pk__in=[w.pk for w in stations])
        .filter(offline)
        .values_list("pk", flat=True)
    )
    for w in stations:
        w.online = w.pk not in offline_ids
    context = {
        "stations": stations,
        "online_count": sum(1 for w in stations if w.online),
        "alarms": Alarm.objects.filter(location__in=locations).select_related("room__floor", "raised_by")[
            :30
        ],
        "now": now,
    }
    template = "alarms/_console_body.html" if request.htmx else "alarms/console.html"
    return render(request, template, context)


def _visible_alarm(request: HttpRequest, pk: int) -> Alarm:
    alarm = get_object_or_404(Alarm.objects.select_related("room__floor__location", "raised_by"), pk=pk)
    if alarm.raised_by_id != request.user.pk and not has_role(
        request.user, Role.SECURITY, obj=alarm.location
    ):
        raise Http404
    return alarm


@staff_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = _visible_alarm(request, pk)
    return render(
        request,
        "alarms/detail.html",
        {
            "alarm": alarm,
            "timeline": alarm.timeline.select_related("user"),
            "deliveries": alarm.deliveries.select_related("user").order_by("circle", "sent_at"),
        },
    )


@staff_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline as CSV (to pre-fill the incident report)."""
    alarm = _visible_alarm(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alarm-{alarm.pk}-zeitleiste.csv"'
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Zeit"), _("Ereignis"), _("Person"), _("Details")])
    for event in alarm.timeline.select_related("user"):
        name = event.user.get_full_name() if event.user else ""
        writer.writerow(
            [
                event.at.astimezone(timezone.get_current_timezone()).isoformat(timespec="milliseconds"),
                event.get_kind_display(),
                name,
                event.detail,
            ]
        )
    return response


@staff_required(roles=(Role.SECURITY,))
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = _visible_alarm(request, pk)
    try:
        services.resolve(alarm, request.user)
    except services.AlarmError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    return redirect("alarms:detail", pk=alarm.pk)
