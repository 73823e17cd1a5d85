"""Public pages of the waiting room: the call display (TV), the self-service kiosk and the citizen's
live ticket page. Displays and kiosks are identified by their secret screen key, tickets by their
secret link; a wrong key or link gets a clear German 404, never a hint what exists."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.ratelimit import client_ip

from . import queries, services
from .forms import CheckInForm
from .hours import walk_in_hours
from .links import ticket_for
from .models import Queue, Screen
from .services import QueueError
from .staff_views import ticket_print_context

KIOSK_CHECK_IN_REFUSED = gettext_lazy(
    "Mit diesem Buchungscode ist hier kein Check-in möglich. Der Check-in geht am Tag Ihres Termins, "
    "kurz vor der Uhrzeit. Bitte prüfen Sie die Eingabe oder wenden Sie sich an den Empfang.")


def _not_found(request: HttpRequest, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": _("Nicht gefunden"), "text": text, "status": 404},
                  status=404)


def _screen_missing(request: HttpRequest) -> HttpResponse:
    return _not_found(request, _("Diese Anzeige ist nicht (mehr) eingerichtet. Bitte wenden Sie sich an "
                                 "die Administration."))


@require_GET
def display(request: HttpRequest, key: str) -> HttpResponse:
    screen = queries.screen_by_key(key, Screen.Kind.DISPLAY)
    if screen is None or not screen.admits(client_ip(request)):  # outside its network: as if unknown
        return _screen_missing(request)
    services.screen_seen(screen)
    size = screen.grid_size
    calls = queries.display_state(screen.location_id, limit=size)["calls"]
    return render(request, "queue/display.html", {
        "screen": screen,
        "cells": calls + [None] * (size - len(calls)),  # a fixed grid: empty cells keep their place
        "time_zone": local_zone().key,  # the TV's clock shows the office's time, not the device's
    })


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, key: str) -> HttpResponse:
    screen = queries.screen_by_key(key, Screen.Kind.KIOSK)
    if screen is None or not screen.admits(client_ip(request)):  # outside its network: as if unknown
        return _screen_missing(request)
    services.screen_seen(screen)
    location = screen.location
    queues = Queue.objects.filter(location=location, is_active=True, walk_in=True).select_related("location")
    now = timezone.now()
    open_queues, closed_text = [], ""
    for queue in queues:
        hours = walk_in_hours(queue, now)
        if hours.open:
            open_queues.append(queue)
        else:
            closed_text = closed_text or hours.closed_text
    form = CheckInForm()
    error, status = "", 200
    if request.method == "POST":
        try:
            if "queue" in request.POST:
                chosen = request.POST["queue"]
                queue = queues.filter(pk=int(chosen)).first() if chosen.isdigit() else None
                if queue is None:
                    raise QueueError(_("Bitte wählen Sie ein Anliegen aus der Liste."))
                ticket = services.issue_ticket(queue)
            else:
                form = CheckInForm(request.POST)
                if not form.is_valid():
                    raise QueueError(_("Bitte geben Sie den Buchungscode ein."))
                try:
                    ticket = services.check_in(form.cleaned_data["code"], location)
                except QueueError:
                    # One answer for every refused code: a kiosk must not tell whether a booking
                    # code exists, is elsewhere or was cancelled (the reception can look it up).
                    raise QueueError(KIOSK_CHECK_IN_REFUSED, 409) from None
        except QueueError as exc:
            error, status = exc.message, exc.status_code
        else:
            context = ticket_print_context(ticket)
            context.update(screen=screen, kiosk=True)
            return render(request, "queue/print.html", context)
    return render(request, "queue/kiosk.html",
                  {"screen": screen, "queues": open_queues, "walk_in_closed": closed_text, "form": form,
                   "error": error}, status=status)


@require_GET
def ticket(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    found = ticket_for(pk, secret)
    if found is None:
        return _not_found(request, _("Diese Wartenummer gibt es nicht. Bitte prüfen Sie den Link oder "
                                     "scannen Sie den QR-Code auf Ihrem Bon erneut."))
    return render(request, "queue/ticket.html", {"ticket": found, "state": queries.ticket_state(found)})
