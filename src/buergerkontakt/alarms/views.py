"""Staff pages of the silent alarm: raising without JavaScript, registering a workstation, the
security console with every workstation online/offline, an alarm's timeline (with CSV export), and
drills (Probealarme) with their receipt and response report."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buergerkontakt.core import spreadsheet
from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Role, Room
from buergerkontakt.core.permissions import has_role

from . import devices, queries, services, workplace
from .consumers import DEVICE_COOKIE
from .models import Alarm, Drill, Level, Workstation

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
    agents = list(
        devices.agents().filter(workstation__room__floor__location__in=locations, workstation__is_active=True)
        .select_related("workstation__room__floor__location")
        .order_by("workstation__room__floor__location__name", "workstation__room__number", "name")
    )
    for agent in agents:
        agent.online = devices.is_online(agent, now)
    workplaces = list(workplace.workplaces_at(locations))
    for place in workplaces:
        place.online = services.is_online(place.workstation, now) if place.workstation else None
    context = {
        "stations": stations,
        "online_count": sum(1 for w in stations if w.online),
        "warned": [w for w in stations if not w.online and w.offline_warned_at],
        "agents": agents,
        "agents_online": sum(1 for a in agents if a.online),
        "agents_warned": [a for a in agents if not a.online and a.offline_warned_at],
        "alarms": Alarm.objects.filter(location__in=locations).select_related("room__floor", "raised_by")[
            :30
        ],
        "now": now,
        "workplaces": workplaces,
        "sms_warnings": queries.security_reach_warnings(locations),
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
    return _detail_page(request, alarm, named=not queries.pseudonymised(alarm.authority_id))


def _detail_page(request: HttpRequest, alarm: Alarm, *, named: bool, error: str = "",
                 status: int = 200) -> HttpResponse:
    return render(
        request,
        "alarms/detail.html",
        {
            "alarm": alarm,
            "timeline": alarm.timeline.select_related("user"),
            "report": queries.response_report(alarm, named=named),
            "report_pseudonymised": not named,
            "may_see_names": services.may_see_names(request.user, alarm),
            "names_error": error,
        },
        status=status,
    )


@staff_required
@require_POST
def reveal_names(request: HttpRequest, pk: int) -> HttpResponse:
    """The response report with names, for security or administration with a logged reason."""
    alarm = _visible_alarm(request, pk)
    try:
        services.reveal_names(alarm, request.user, request.POST.get("reason", ""))
    except services.AlarmError as exc:
        return _detail_page(request, alarm, named=False, error=exc.message, status=exc.status_code)
    return _detail_page(request, alarm, named=True)


@staff_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    """The trigger's live view as JSON (the page's fallback when pushes do not arrive): delivered,
    seen, answered, not yet delivered – read from the database."""
    alarm = _visible_alarm(request, pk)
    response = JsonResponse({"status": queries.trigger_status(alarm.pk),
                             "responders": queries.responders(alarm.pk)})
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline as CSV (to pre-fill the incident report)."""
    alarm = _visible_alarm(request, pk)
    rows = (
        [
            event.at.astimezone(timezone.get_current_timezone()).isoformat(timespec="milliseconds"),
            event.get_kind_display(),
            event.user.get_full_name() if event.user else "",
            event.detail,
        ]
        for event in alarm.timeline.select_related("user")
    )
    return spreadsheet.download(f"alarm-{alarm.pk}-zeitleiste.csv",
                                [_("Zeit"), _("Ereignis"), _("Person"), _("Details")], rows)


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


# --- drills -------------------------------------------------------------------------------------------
def _drill_rooms(user):
    return (
        Room.objects.filter(floor__location__in=queries.security_locations(user))
        .select_related("floor__location")
        .order_by("floor__location__name", "floor__level", "number")
    )


def _parse_when(value: str) -> datetime | None:
    """A ``datetime-local`` value in the office's time zone; empty means now."""
    value = (value or "").strip()
    if not value:
        return None
    return timezone.make_aware(datetime.fromisoformat(value), timezone.get_current_timezone())


@staff_required(roles=(Role.SECURITY,))
@require_http_methods(["GET", "POST"])
def drills(request: HttpRequest) -> HttpResponse:
    rooms = _drill_rooms(request.user)
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        room = rooms.filter(pk=data["room"]).first() if data.get("room", "").isdigit() else None
        if room is None:
            errors["room"] = _("Bitte wählen Sie einen Raum aus der Liste.")
        level = int(data["level"]) if data.get("level") in {"1", "2", "3"} else None
        if level is None:
            errors["level"] = _("Bitte wählen Sie eine Stufe.")
        try:
            when = _parse_when(data.get("when", ""))
        except ValueError:
            errors["when"] = _("Bitte geben Sie Datum und Uhrzeit vollständig an, z. B. 24.11.2026 09:30.")
        if not errors:
            try:
                drill = services.plan_drill(
                    request.user, room, level=level, at=when, note=data.get("note", "")
                )
            except services.AlarmError as exc:
                errors["when"] = exc.message
            else:
                if drill.alarm_id:
                    messages.warning(
                        request, _("Der Probealarm läuft. Alle Empfänger sehen ihn als PROBEALARM.")
                    )
                else:
                    messages.success(request, _("Der Probealarm ist geplant."))
                return redirect("alarms:drill", pk=drill.pk)
    return render(
        request,
        "alarms/drills.html",
        {
            "drills": queries.drills_for(request.user)[:50],
            "rooms": rooms,
            "levels": Level.choices,
            "data": data,
            "errors": errors,
            "sms_warnings": queries.security_reach_warnings(queries.security_locations(request.user)),
        },
        status=400 if errors else 200,
    )


def _visible_drill(request: HttpRequest, pk: int) -> Drill:
    return get_object_or_404(queries.drills_for(request.user), pk=pk)


@staff_required(roles=(Role.SECURITY,))
@require_GET
def drill(request: HttpRequest, pk: int) -> HttpResponse:
    current = _visible_drill(request, pk)
    named = not queries.pseudonymised(current.authority_id)
    report = queries.response_report(current.alarm, named=named) if current.alarm else None
    return render(request, "alarms/drill.html", {
        "drill": current, "report": report, "report_pseudonymised": not named,
        "sms_warnings": queries.security_reach_warnings([current.location]),
    })


@staff_required(roles=(Role.SECURITY,))
@require_GET
def drill_csv(request: HttpRequest, pk: int) -> HttpResponse:
    current = _visible_drill(request, pk)
    if current.alarm is None:
        raise Http404
    named = not queries.pseudonymised(current.alarm.authority_id)
    report = queries.response_report(current.alarm, named=named)
    header = [_("Person"), _("Funktion"), _("Kreis"), _("Empfangen nach (ms)"), _("Rückmeldung"),
              _("Rückmeldung nach (s)")]
    rows = ([row["name"], row["role"], row["circle"],
             "" if row["latency_ms"] is None else f"{row['latency_ms']:.0f}",
             row["response"], row["response_s"]] for row in report.rows)
    return spreadsheet.download(f"probealarm-{current.pk}.csv", header, rows)


@staff_required(roles=(Role.SECURITY,))
@require_POST
def drill_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    current = _visible_drill(request, pk)
    try:
        services.cancel_drill(current, request.user)
        messages.success(request, _("Der Probealarm ist abgesagt."))
    except services.AlarmError as exc:
        messages.error(request, exc.message)
    return redirect("alarms:drill", pk=current.pk)
