"""Citizen pages (mounted at /rueckruf/): request a callback online and follow it by a signed link.

The request works without JavaScript except for the proof of work (ALTCHA, as in the booking),
and is rate-limited per IP address. The status page shows every call attempt; a changed or
expired link gets a German explanation and a 4xx, never the ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.core import altcha, ratelimit
from buergerkontakt.core.models import Team
from buergerkontakt.directory.hours import reachability
from buergerkontakt.directory.models import HoursKind, HoursRule

from . import links, phones, services
from .exceptions import ChallengeFailed, TooManyRequests
from .forms import CitizenRequestForm
from .models import Channel, Outcome, Ticket

# What the citizen reads about an attempt (no internal notes).
CITIZEN_OUTCOMES = {
    Outcome.REACHED_SOLVED: Outcome.REACHED_SOLVED.label,
    Outcome.REACHED_FOLLOWUP: Outcome.REACHED_FOLLOWUP.label,
    Outcome.NOT_REACHED: Outcome.NOT_REACHED.label,
    Outcome.VOICEMAIL: Outcome.VOICEMAIL.label,
    Outcome.WRONG_NUMBER: Outcome.WRONG_NUMBER.label,
}


def online_teams():
    """Public teams that offer online callbacks and have callback hours (own or their location's)."""
    own = HoursRule.objects.filter(team_id=OuterRef("pk"), kind=HoursKind.CALLBACK)
    at_location = HoursRule.objects.filter(location_id=OuterRef("location_id"), kind=HoursKind.CALLBACK)
    return (Team.objects.filter(offers_online_callback=True, is_public=True)
            .filter(Exists(own) | Exists(at_location))
            .select_related("authority", "location").order_by("authority__name", "name"))


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "callbacks/start.html", {"teams": online_teams()})


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "error.html", {"title": _("Link nicht gültig"), "text": message, "status": status},
                  status=status)


@require_http_methods(["GET", "POST"])
def request_callback(request: HttpRequest, team: str) -> HttpResponse:
    chosen = online_teams().filter(slug=team[:80]).first()
    if chosen is None:
        raise Http404
    windows = services.callback_windows(chosen)
    form = CitizenRequestForm(windows, request.POST or None)
    context = {"team": chosen, "form": form, "windows": windows, "altcha_enabled": settings.ALTCHA_ENABLED}
    if request.method != "POST":
        return render(request, "callbacks/request.html", context)
    if not form.is_valid():
        return render(request, "callbacks/request.html", context, status=400)
    data = form.cleaned_data
    try:
        if settings.ALTCHA_ENABLED and not altcha.verify_payload(request.POST.get("altcha")):
            raise ChallengeFailed()
        if not ratelimit.allow("callback_ip", ratelimit.client_ip(request)):
            raise TooManyRequests()
        ticket = services.create_ticket(
            chosen.authority, caller_name=data["name"], phone=data["phone"], email=data["email"],
            case_number=data["case_number"], topic=data["topic"], note=data["note"], team=chosen,
            window=form.chosen_window(), channel=Channel.ONLINE, language=(get_language() or "de")[:2])
    except BookingError as exc:  # CallbackError, or the proof-of-work / rate-limit errors
        form.add_error(None, exc.message)
        status = 429 if isinstance(exc, TooManyRequests) else 403 if isinstance(exc, ChallengeFailed) else 400
        return render(request, "callbacks/request.html", context, status=status)
    return redirect(links.url(ticket, absolute=False) + "&neu=1")


@never_cache
@require_GET
def status(request: HttpRequest, number: str) -> HttpResponse:
    ip = ratelimit.client_ip(request)
    try:
        ticket = links.check_token(number, request.GET.get("t", ""))
    except links.LinkExpired as exc:
        return _problem(request, exc.message, 410)
    except links.LinkInvalid as exc:
        if not ratelimit.allow("callback_status_ip", ip):
            return _problem(request, TooManyRequests.default_message, 429)
        return _problem(request, exc.message, 403)
    attempts = [{"number": a.number, "at": timezone.localtime(a.at), "outcome": CITIZEN_OUTCOMES[a.outcome]}
                for a in ticket.attempts.order_by("number")]
    context = {
        "ticket": ticket,
        "team": ticket.team,
        "attempts": attempts,
        "phone_masked": phones.masked(ticket.phone),
        "due_at": timezone.localtime(ticket.due_at) if ticket.due_at else None,
        "next_attempt_at": timezone.localtime(ticket.next_attempt_at)
        if ticket.is_open and ticket.next_attempt_at else None,
        "window_start": timezone.localtime(ticket.window_start) if ticket.window_start else None,
        "window_end": timezone.localtime(ticket.window_end) if ticket.window_end else None,
        "phone_hours": reachability(ticket.team, HoursKind.PHONE),
        "team_phone": ticket.team.phone or ticket.team.location.phone,
        "team_email": ticket.team.email or ticket.team.location.email,
        "just_created": request.GET.get("neu") == "1",
        "Status": Ticket.Status,
    }
    response = render(request, "callbacks/status.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to linked sites
    return response
