"""Staff pages of the telephone system (mounted at /mitarbeiter/telefonie/): the caller log with
the missed calls, "direkt gelöst" from the screen pop, a missed call → callback ticket, and
click-to-call.

Thin: ``services`` writes, ``queries`` reads (deny by default: a call outside the user's scope is a
404; a role the page does not serve is a 403).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from buergerkontakt.callbacks import queries as callback_queries
from buergerkontakt.callbacks.exceptions import CallbackError
from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.permissions import authority_ids_for

from . import queries, services
from .exceptions import DialFailed, DialNotConfigured, NeedsAgent

LOG_DAYS = 7


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("weiter") or request.headers.get("Referer") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _error(request: HttpRequest, text: str, status: int) -> HttpResponse:
    return render(request, "error.html", {"title": _("Ungültige Anfrage"), "text": text, "status": status},
                  status=status)


@require_GET
@staff_required(roles=queries.LOG_ROLES)
def calls(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    since = now - timedelta(days=LOG_DAYS)
    context = {
        "groups": queries.missed_groups(request.user, since=since),
        "calls": list(queries.recent_calls(request.user, since=now - timedelta(days=1))[:200]),
        "outside_hours": queries.missed_outside_hours(request.user, since=since),
        "days": LOG_DAYS,
    }
    return render(request, "telephony/calls.html", context)


@require_POST
@staff_required(roles=queries.DIAL_ROLES)
def solved(request: HttpRequest, pk: int) -> HttpResponse:
    """"Direkt gelöst" from the screen pop: a first-contact record, the call marked."""
    call = queries.poppable_call(request.user, pk)
    if call is None:
        raise Http404
    topic = (request.POST.get("topic") or "").strip()
    if not topic:
        return _error(request, _("Bitte geben Sie das Anliegen an, bevor Sie den Anruf als direkt gelöst "
                                 "erfassen."), 400)
    try:
        services.solve_directly(call, agent=request.user, topic=topic[:200])
    except CallbackError as exc:
        return _error(request, exc.message, 409)
    messages.success(request, _("Der Anruf ist als direkt gelöst erfasst."))
    return _back(request, reverse("callbacks_staff:new"))


@require_POST
@staff_required(roles=queries.LOG_ROLES)
def missed_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """One key: the missed call (and the number's other missed calls that day) → callback ticket."""
    call = queries.call_for(request.user, pk)
    if call is None:
        raise Http404
    try:
        ticket = services.ticket_from_missed(call, by=request.user)
    except NeedsAgent as exc:
        messages.info(request, exc.message)
        query = urlencode({"telefon": call.number})
        return redirect(reverse("callbacks_staff:new") + f"?{query}")
    except CallbackError as exc:
        return _error(request, exc.message, 409)
    messages.success(request, _("Rückrufticket %(number)s angelegt – zuständig: %(team)s.")
                     % {"number": ticket.number, "team": ticket.team})
    return redirect("telephony_staff:calls")


@require_POST
@staff_required(roles=queries.DIAL_ROLES)
def dial(request: HttpRequest) -> HttpResponse:
    """Click-to-call from the worklist or a ticket: the PBX rings the user's phone, then the
    citizen's; the hangup logs the attempt."""
    number = (request.POST.get("ticket") or "").strip()
    ticket = callback_queries.ticket_for(request.user, number)
    if ticket is None:
        raise Http404
    if not (callback_queries.can_work(request.user, ticket)
            or ticket.authority_id in authority_ids_for(request.user, *queries.PHONE_CENTRE_ROLES)):
        raise PermissionDenied
    if not ticket.is_open:
        return _error(request, _("Dieses Ticket ist bereits abgeschlossen."), 409)
    try:
        services.originate(request.user, ticket=ticket)
    except DialNotConfigured as exc:
        return _error(request, exc.message, 409)
    except DialFailed as exc:
        return _error(request, exc.message, 502)
    except CallbackError as exc:
        return _error(request, exc.message, 409)
    messages.success(request, _("Die Telefonanlage ruft jetzt Ihr Telefon an und verbindet Sie dann mit "
                                "%(number)s. Der Anrufversuch wird nach dem Gespräch automatisch erfasst.")
                     % {"number": ticket.number})
    return _back(request, reverse("callbacks_staff:detail", kwargs={"number": ticket.number}))
