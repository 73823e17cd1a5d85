"""Staff pages of the walk-in queue: the calling desk and the reception. Thin: rules live in
``services``; every page is denied by default (``staff_required`` + the location scope)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Location
from buergerkontakt.core.qr import qr_svg

from . import queries, services
from .forms import CheckInForm, DeskForm, EmergencyForm, HandOverForm, IssueForm
from .links import ticket_url
from .models import Ticket
from .queries import QUEUE_ROLES
from .services import QueueError

queue_staff = staff_required(roles=QUEUE_ROLES)


def _location(request: HttpRequest) -> Location:
    """The location chosen (``standort``), else the desk's, the workstation's, or the first."""
    allowed = queries.locations_for(request.user)
    slug = request.POST.get("standort") or request.GET.get("standort")
    if slug:
        location = allowed.filter(slug=slug).first()
        if location is None:
            raise Http404
        return location
    desk = request.user.desks.order_by("-updated_at").first()
    room = request.user.workstation_room
    for candidate in (desk and desk.location_id, room and room.floor.location_id):
        if candidate and (location := allowed.filter(pk=candidate).first()):
            return location
    location = allowed.first()
    if location is None:
        raise Http404
    return location


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    ticket = get_object_or_404(Ticket.objects.select_related("queue__location"), pk=pk)
    if not queries.may_work_at(request.user, ticket.queue.location):
        raise Http404
    return ticket


def _back(name: str, location: Location) -> str:
    return f"{reverse(name)}?{urlencode({'standort': location.slug})}"


# --- the calling desk ---------------------------------------------------------------------------------
def _desk_context(request: HttpRequest, location: Location, **extra) -> dict:
    desk = services.desk_of(request.user, location)
    current = services.active_ticket(request.user)
    initial = {"room": desk.room_id if desk else request.user.workstation_room_id,
               "queues": list(desk.queues.values_list("pk", flat=True)) if desk else []}
    return {
        "location": location,
        "locations": queries.locations_for(request.user),
        "desk": desk,
        "desk_queues": list(desk.queues.all()) if desk else [],
        "desk_form": extra.pop("desk_form", None) or DeskForm(location, initial=initial),
        "current": current,
        "current_room": queries.room_label(current.room) if current else "",
        "can_miss": bool(current and current.status == Ticket.Status.CALLED
                         and current.call_count >= current.queue.missed_after_calls),
        "handover_form": extra.pop("handover_form", None) or HandOverForm(location),
        "overview": queries.location_overview(location),
        "nav_active": "desk",
        **extra,
    }


@queue_staff
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    return render(request, "queue/staff/desk.html", _desk_context(request, location))


@queue_staff
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The waiting numbers per queue (htmx refreshes it every few seconds)."""
    location = _location(request)
    return render(request, "queue/staff/_overview.html",
                  {"overview": queries.location_overview(location), "location": location})


@queue_staff
@require_POST
def desk_setup(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = DeskForm(location, request.POST)
    if not form.is_valid():
        return render(request, "queue/staff/desk.html", _desk_context(request, location, desk_form=form),
                      status=400)
    try:
        data = form.cleaned_data
        services.set_desk(request.user, location, data["room"], list(data["queues"]))
    except QueueError as exc:
        return _desk_error(request, location, exc)
    messages.success(request, _("Ihr Arbeitsplatz ist eingerichtet."))
    return redirect(_back("queue_staff:desk", location))


def _desk_error(request: HttpRequest, location: Location, exc: QueueError, **extra) -> HttpResponse:
    return render(request, "queue/staff/desk.html",
                  _desk_context(request, location, error=exc.message, **extra), status=exc.status_code)


@queue_staff
@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    try:
        ticket = services.call_next(request.user, location)
    except QueueError as exc:
        return _desk_error(request, location, exc)
    if ticket is None:
        messages.info(request, _("Im Moment wartet niemand auf Sie."))
    return redirect(_back("queue_staff:desk", location))


@queue_staff
@require_POST
def call_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    location = ticket.queue.location
    try:
        services.call_ticket(ticket, request.user, location)
    except QueueError as exc:
        return _desk_error(request, location, exc)
    return redirect(_back("queue_staff:desk", location))


def _desk_action(action, success: str | None = None):
    @queue_staff
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        ticket = _ticket(request, pk)
        location = ticket.queue.location
        try:
            done = action(ticket, request.user)
        except QueueError as exc:
            return _desk_error(request, location, exc)
        if success:
            messages.success(request, success % {"ticket": done.label})
        return redirect(_back("queue_staff:desk", location))

    return view


recall = _desk_action(services.recall)
start = _desk_action(services.start)
missed = _desk_action(services.mark_missed, gettext_lazy("%(ticket)s ist als nicht erschienen markiert."))
finish = _desk_action(services.finish, gettext_lazy("%(ticket)s ist abgeschlossen."))


@queue_staff
@require_POST
def hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    location = ticket.queue.location
    form = HandOverForm(location, request.POST)
    if not form.is_valid():
        return render(request, "queue/staff/desk.html",
                      _desk_context(request, location, handover_form=form), status=400)
    try:
        done = services.hand_over(ticket, request.user, queue=form.cleaned_data["queue"],
                                  room=form.cleaned_data["room"], note=form.cleaned_data["note"])
    except QueueError as exc:
        return _desk_error(request, location, exc, handover_form=form)
    messages.success(request, _("%(ticket)s ist weitergeleitet an %(queue)s.")
                     % {"ticket": done.label, "queue": done.queue.name})
    return redirect(_back("queue_staff:desk", location))


# --- reception ----------------------------------------------------------------------------------------
def _reception_context(request: HttpRequest, location: Location, **extra) -> dict:
    return {
        "location": location,
        "locations": queries.locations_for(request.user),
        "issue_form": extra.pop("issue_form", None) or IssueForm(location),
        "checkin_form": extra.pop("checkin_form", None) or CheckInForm(),
        "overview": queries.location_overview(location),
        "tickets": queries.todays_tickets(location)[:200],
        "screens": location.screens.filter(is_active=True),
        "walk_in_closed": queries.walk_in_closed(location),
        "nav_active": "reception",
        **extra,
    }


def _reception_error(request: HttpRequest, location: Location, message: str, status: int = 400,
                     **extra) -> HttpResponse:
    return render(request, "queue/staff/reception.html",
                  _reception_context(request, location, error=message, **extra), status=status)


@queue_staff
@require_GET
def reception(request: HttpRequest) -> HttpResponse:
    return render(request, "queue/staff/reception.html", _reception_context(request, _location(request)))


@queue_staff
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = IssueForm(location, request.POST)
    if not form.is_valid():
        return _reception_error(request, location, _("Bitte prüfen Sie die Angaben."), issue_form=form)
    data = form.cleaned_data
    try:
        ticket = services.issue_ticket(data["queue"], emergency=data["emergency"],
                                       emergency_reason=data["reason"], by=request.user,
                                       override_reason=data["override_reason"])
    except services.OutsideWalkInHours as exc:
        form.add_error("override_reason", _("%(closed)s Bitte geben Sie einen Grund an, um trotzdem eine "
                                            "Nummer auszugeben.") % {"closed": exc.message})
        return _reception_error(request, location, _("Bitte prüfen Sie die Angaben."), issue_form=form)
    except QueueError as exc:
        return _reception_error(request, location, exc.message, exc.status_code, issue_form=form)
    return redirect("queue_staff:print", pk=ticket.pk)


@queue_staff
@require_POST
def check_in(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _reception_error(request, location, _("Bitte geben Sie den Buchungscode ein."),
                                checkin_form=form)
    try:
        ticket = services.check_in(form.cleaned_data["code"], location, by=request.user,
                                   late_as_walk_in=form.cleaned_data["late_as_walk_in"])
    except QueueError as exc:
        return _reception_error(request, location, exc.message, exc.status_code, checkin_form=form)
    return redirect("queue_staff:print", pk=ticket.pk)


def ticket_print_context(ticket: Ticket) -> dict:
    url = ticket_url(ticket)
    return {
        "ticket": ticket,
        "ticket_link": url,
        "qr": mark_safe(qr_svg(url, title=_("QR-Code zu Ihrer Wartenummer"), scale=3)),  # noqa: S308 (segno)
        "state": queries.ticket_state(ticket),
        "now": timezone.now(),
    }


@queue_staff
@require_GET
def print_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    context = ticket_print_context(ticket)
    context["back"] = _back("queue_staff:reception", ticket.queue.location)
    return render(request, "queue/print.html", context)


def _reception_action(action, success: str):
    @queue_staff
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        ticket = _ticket(request, pk)
        location = ticket.queue.location
        try:
            done = action(request, ticket)
        except QueueError as exc:
            return _reception_error(request, location, exc.message, exc.status_code)
        messages.success(request, success % {"ticket": done.label})
        return redirect(_back("queue_staff:reception", location))

    return view


cancel = _reception_action(lambda request, t: services.cancel(t, by=request.user),
                           gettext_lazy("%(ticket)s ist storniert."))
requeue = _reception_action(lambda request, t: services.requeue(t, by=request.user),
                            gettext_lazy("%(ticket)s ist wieder eingereiht."))


def _emergency(request: HttpRequest, ticket: Ticket) -> Ticket:
    form = EmergencyForm(request.POST)
    if not form.is_valid():
        raise QueueError(_("Bitte geben Sie den Grund für den Notfall an."))
    return services.mark_emergency(ticket, form.cleaned_data["reason"], by=request.user)


emergency = _reception_action(_emergency, gettext_lazy("%(ticket)s wird als Notfall zuerst aufgerufen."))
