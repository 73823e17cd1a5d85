"""Public waitlist pages: register a need, the offer (accept/decline) and withdrawing.

GET requests never change anything (mail scanners prefetch links); the buttons POST.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.links import url as appointment_url
from buergerkontakt.core.ratelimit import client_ip

from . import links, services
from .forms import RegisterForm, bookable_services
from .models import Entry, Offer

DEFAULT_RANGE_DAYS = 30


def _link_error(request: HttpRequest, exc: BookingError) -> HttpResponse:
    status = 410 if isinstance(exc, links.LinkExpired) else 404
    return render(request, "waitlist/problem.html", {"message": exc.message}, status=status)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = RegisterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.register_need(
                    data["services"], locations=data["locations"], date_from=data["date_from"],
                    date_until=data["date_until"], mornings=data["mornings"], afternoons=data["afternoons"],
                    deadline=data["deadline"], name=data["name"], email=data["email"], phone=data["phone"],
                    case_number=data["case_number"], interpreter_language=data["interpreter_language"],
                    wheelchair=data["wheelchair"], sign_language=data["sign_language"], note=data["note"],
                    language=(get_language() or "de")[:2], ip=client_ip(request))
            except services.TooManyRequests as exc:
                form.add_error(None, exc.message)
                return render(request, "waitlist/register.html", {"form": form}, status=429)
            except BookingError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("waitlist:registered")
        return render(request, "waitlist/register.html", {"form": form}, status=400)
    today = timezone.localdate()
    initial = {"mornings": True, "afternoons": True, "date_from": today + timedelta(days=1),
               "date_until": today + timedelta(days=DEFAULT_RANGE_DAYS)}
    slugs = [slug[:80] for slug in request.GET.getlist("service")[:5]]
    if slugs:
        initial["services"] = list(bookable_services().filter(slug__in=slugs))
    return render(request, "waitlist/register.html", {"form": RegisterForm(initial=initial)})


def registered(request: HttpRequest) -> HttpResponse:
    return render(request, "waitlist/registered.html")


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, code: str) -> HttpResponse:
    token = request.POST.get("t") if request.method == "POST" else request.GET.get("t")
    try:
        found = links.check_token(code, token or "", "offer")
    except BookingError as exc:
        return _link_error(request, exc)
    if not isinstance(found, Offer):
        return _link_error(request, links.LinkInvalid())
    context = {"offer": found, "appointment": found.appointment, "entry": found.entry, "token": token,
               "start": timezone.localtime(found.appointment.start),
               "end": timezone.localtime(found.appointment.end),
               "expires": timezone.localtime(found.expires_at)}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                booked = services.accept_offer(found)
                return render(request, "waitlist/accepted.html", {
                    **context, "appointment": booked, "manage_url": appointment_url(booked, absolute=False)})
            if action == "decline":
                services.decline_offer(found)
                return render(request, "waitlist/declined.html", context)
            context["error"] = _("Bitte wählen Sie „Termin annehmen“ oder „Ablehnen“.")
            return render(request, "waitlist/offer.html", context, status=400)
        except BookingError as exc:
            found.refresh_from_db()
            context["error"] = exc.message
            return render(request, "waitlist/offer.html", context, status=409)
    if found.status == Offer.Status.ACCEPTED:
        return render(request, "waitlist/accepted.html",
                      {**context, "manage_url": appointment_url(found.appointment, absolute=False)})
    return render(request, "waitlist/offer.html", context)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    token = request.POST.get("t") if request.method == "POST" else request.GET.get("t")
    try:
        entry = links.check_token(code, token or "", "withdraw")
    except BookingError as exc:
        return _link_error(request, exc)
    if not isinstance(entry, Entry):
        return _link_error(request, links.LinkInvalid())
    context = {"entry": entry, "token": token}
    if request.method == "POST":
        try:
            entry = services.withdraw_entry(entry)
        except BookingError as exc:
            context["error"] = exc.message
            return render(request, "waitlist/withdraw.html", context, status=409)
        return render(request, "waitlist/withdrawn.html", {"entry": entry})
    if entry.status == Entry.Status.WITHDRAWN:
        return render(request, "waitlist/withdrawn.html", context)
    return render(request, "waitlist/withdraw.html", context)
