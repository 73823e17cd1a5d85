"""Citizen booking pages: services → place and day → time (held) → details → booked.

No account and no JavaScript needed, except for the proof of work (ALTCHA) when a time is held.
The steps pass their state in the URL (GET forms) until a time is held; from then on the booking
code and a signed token identify the booking (``links.py``), so a page can be reloaded, bookmarked
or opened on another device. All writes go through ``citizen.py`` / ``services``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerkontakt.core import altcha, ratelimit
from buergerkontakt.core.models import Location
from buergerkontakt.core.qr import qr_svg

from . import citizen, holdguard, kept_details, links, notifications, services
from .exceptions import BookingError, HoldExpired, SlotUnavailable
from .forms import DetailsForm, LookupForm
from .models import Appointment

Status = Appointment.Status
DAYS_PER_PAGE = 14
ANYWHERE = "alle"


def _status_for(error: BookingError) -> int:
    if isinstance(error, (citizen.TooManyRequests, holdguard.TooManyHolds)):
        return 429
    if isinstance(error, citizen.ChallengeFailed):
        return 403
    if isinstance(error, (HoldExpired, links.LinkExpired)):
        return 410
    if isinstance(error, SlotUnavailable):
        return 409
    if isinstance(error, links.LinkInvalid):
        return 404
    return 400


def _problem(request: HttpRequest, error: BookingError, *, back: str | None = None) -> HttpResponse:
    return render(request, "appointments/problem.html", {"error": error, "back": back},
                  status=_status_for(error))


def _service_query(chosen, **extra) -> str:
    params = [("service", service.slug) for service in chosen]
    params += [(key, value) for key, value in extra.items() if value not in (None, "")]
    return urlencode(params)


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise BookingError(_("Ungültiges Datum. Bitte wählen Sie einen Tag aus der Liste.")) from None


def _location(raw: str | None, offered: list[Location]) -> Location | None:
    if not raw or raw == ANYWHERE:
        return None
    for location in offered:
        if location.slug == raw:
            return location
    raise BookingError(_("Diese Leistung wird an diesem Standort nicht angeboten."))


def _replacing(request: HttpRequest) -> tuple[Appointment | None, dict]:
    """The booking being moved (reschedule), from ``ersetzt`` + ``t`` in the query or form."""
    code = request.GET.get("ersetzt") or request.POST.get("ersetzt")
    if not code:
        return None, {}
    token = request.GET.get("t") or request.POST.get("t") or ""
    old = links.check_token(code, token, "manage")
    if old.status != Status.CONFIRMED:
        raise BookingError(_("Nur gebuchte Termine können verschoben werden."))
    return old, {"ersetzt": old.code, "t": token}


# --- step 1: services ------------------------------------------------------------------------------
def choose_services(request: HttpRequest, error: BookingError | None = None) -> HttpResponse:
    """All bookable services, grouped by service group (only services of one group combine).

    With ``error`` the question is asked again (what was ticked stays ticked), never a dead end."""
    groups: dict[str, list] = {}
    for service in services.bookable_services().prefetch_related("service_groups"):
        groups.setdefault(service.service_groups.all()[0].name, []).append(service)
    data = request.POST if request.method == "POST" else request.GET
    ordered = sorted(groups.items())
    first = ordered[0][1][0].slug if ordered else ""
    return render(request, "appointments/start.html", {
        "groups": ordered, "preselected": data.getlist("service"), "error": error, "first_slug": first,
    }, status=_status_for(error) if error else 200)


# --- step 2: where and which day -----------------------------------------------------------------------
def choose_day(request: HttpRequest) -> HttpResponse:
    try:
        old, carry = _replacing(request)
    except BookingError as error:
        return _problem(request, error, back=reverse("appointments:start"))
    try:
        chosen = services.resolve_services(request.GET.getlist("service"))
        offered = services.locations_for(chosen)
    except BookingError as error:
        return choose_services(request, error)
    try:
        location = _location(request.GET.get("location"), offered)
        start = _parse_day(request.GET.get("from")) or timezone.localdate()
    except BookingError as error:
        return _day_page(request, chosen, offered, None, timezone.localdate(), old, carry, error=error)
    return _day_page(request, chosen, offered, location, start, old, carry)


def _day_page(request: HttpRequest, chosen, offered, location, start: date, old, carry, *,
              error: BookingError | None = None) -> HttpResponse:
    """The place and day question (again, with ``error``, when a later step cannot use the choice)."""
    start = max(start, timezone.localdate())
    group = services.group_for(chosen, location)
    first, last = services.bookable_range(group)
    days = services.availability(chosen, start, DAYS_PER_PAGE, location=location)
    later = None
    if start + timedelta(days=DAYS_PER_PAGE) <= last:
        later = _service_query(chosen, location=request.GET.get("location"),
                               **{"from": (start + timedelta(days=DAYS_PER_PAGE)).isoformat()}, **carry)
    earlier = None
    if start > timezone.localdate():
        earlier = _service_query(chosen, location=request.GET.get("location"),
                                 **{"from": max(timezone.localdate(), start - timedelta(days=DAYS_PER_PAGE))
                                    .isoformat()}, **carry)
    names = {loc.pk: loc for loc in offered}
    rows = [{"day": item.day, "first": item.first_start, "count": item.free_starts,
             "location": names.get(item.location_id),
             "query": _service_query(chosen, location=names[item.location_id].slug,
                                     day=item.day.isoformat(), **carry)}
            for item in days if item.location_id in names]
    if location is None:
        # "Frühester Termin überall": each day once, at the place with the earliest time.
        seen: set[date] = set()
        rows = [row for row in rows if not (row["day"] in seen or seen.add(row["day"]))]
    context = {
        "chosen": chosen, "offered": offered, "location": location, "rows": rows, "group": group,
        "first": first, "last": last, "start": start, "end": start + timedelta(days=DAYS_PER_PAGE - 1),
        "later": later, "earlier": earlier, "carry": carry, "replacing": old, "anywhere": ANYWHERE,
        "waitlist_query": _service_query(chosen, location=location.slug if location else None),
        "error": error,
    }
    return render(request, "appointments/day.html", context, status=_status_for(error) if error else 200)


# --- step 3: the time, held on submit ------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
@holdguard.with_browser_id
def choose_time(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    try:
        old, carry = _replacing(request)
    except BookingError as error:
        return _problem(request, error, back=reverse("appointments:start"))
    try:
        chosen = services.resolve_services(data.getlist("service"))
        offered = services.locations_for(chosen)
    except BookingError as error:
        return choose_services(request, error)
    location = None
    try:
        location = _location(data.get("location"), offered)
        if location is None:
            raise BookingError(_("Bitte wählen Sie einen Standort."))
        day = _parse_day(data.get("day"))
        if day is None:
            raise BookingError(_("Bitte wählen Sie einen Tag."))
        services.check_day(chosen, location, day)
    except BookingError as error:  # e.g. a stale day link: ask for the day again
        return _day_page(request, chosen, offered, location, timezone.localdate(), old, carry, error=error)

    error = None
    status = 200
    if request.method == "POST":
        try:
            start = datetime.fromisoformat(request.POST.get("start", ""))
            if timezone.is_naive(start):
                raise ValueError
        except ValueError:
            error, status = BookingError(_("Bitte wählen Sie eine Uhrzeit.")), 400
        else:
            try:
                held = citizen.hold(chosen, location, start, ip=ratelimit.client_ip(request),
                                    altcha_payload=request.POST.get("altcha"),
                                    idempotency_key=request.POST.get("request_id"),
                                    language=translation.get_language() or "de", browser=request.bk_browser)
            except BookingError as exc:
                error, status = exc, _status_for(exc)
            else:
                query = {"t": links.make_token(held)}
                if old is not None:
                    query.update(ersetzt=old.code, ot=carry["t"])
                return redirect(reverse("appointments:details", kwargs={"code": held.code})
                                + "?" + urlencode(query))
    times = services.free_starts(chosen, location, day)
    context = {
        "chosen": chosen, "location": location, "day": day, "times": times, "error": error,
        "request_id": uuid.uuid4().hex, "carry": carry, "replacing": old,
        "back_query": _service_query(chosen, location=location.slug, **carry),
        "altcha_enabled": settings.ALTCHA_ENABLED,
        "waitlist_query": _service_query(chosen, location=location.slug),
    }
    return render(request, "appointments/time.html", context, status=status)


@never_cache
def challenge(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge for the widget."""
    return JsonResponse(altcha.new_challenge(client=ratelimit.client_ip(request)))


# --- step 4: details ---------------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def details(request: HttpRequest, code: str) -> HttpResponse:
    token = request.GET.get("t", "")
    try:
        appointment = links.check_token(code, token)
    except BookingError as error:
        return _problem(request, error)
    manage_url = links.url(appointment, absolute=False)
    old = None
    if request.GET.get("ersetzt"):
        try:
            old = links.check_token(request.GET["ersetzt"], request.GET.get("ot", ""))
        except BookingError as error:
            return _problem(request, error)
    if appointment.status != Status.HELD:
        return redirect(manage_url)
    appointment = holdguard.extend(appointment)  # a person at the form: the full hold time
    expired = appointment.hold_expires_at <= timezone.now()
    form = None
    if old is None:
        form = DetailsForm(request.POST) if request.method == "POST" else DetailsForm(
            initial=kept_details.recall(request))
    error = None
    if request.method == "POST" and not expired:
        try:
            if old is not None:
                booked = citizen.reschedule(old, appointment)
                return redirect(links.url(booked, absolute=False) + "&verschoben=1")
            if form.is_valid():
                citizen.complete(appointment, **form.cleaned_data)
                kept_details.forget(request)
                return redirect(manage_url + "&neu=1")
        except BookingError as exc:
            error = exc
            expired = isinstance(exc, HoldExpired)
    kept = expired and form is not None and request.method == "POST" and kept_details.keep(request, form)
    context = {"appointment": appointment, "form": form, "error": error, "expired": expired, "kept": kept,
               "replacing": old, "services": appointment.service_list,
               "again_query": _service_query(appointment.service_list, location=appointment.location.slug,
                                             day=timezone.localtime(appointment.start).date().isoformat())}
    status = 410 if expired else (_status_for(error) if error else (400 if form is not None and form.errors
                                                                     else 200))
    return render(request, "appointments/details.html", context, status=status)


# --- after booking: manage, confirm, reconfirm, calendar file ----------------------------------------
def _reservation_ended(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    """The link of a hold that is not (or no longer) a booking: back to the time choice of that day."""
    if appointment.status == Status.HELD and appointment.hold_expires_at > timezone.now():
        return redirect(reverse("appointments:details", kwargs={"code": appointment.code})
                        + "?" + urlencode({"t": links.make_token(appointment)}))
    return render(request, "appointments/details.html", {
        "appointment": appointment, "expired": True, "kept": bool(kept_details.recall(request)),
        "again_query": _service_query(appointment.service_list, location=appointment.location.slug,
                                      day=timezone.localtime(appointment.start).date().isoformat())},
        status=410)


def _from_link(request: HttpRequest, code: str, purpose: str = "manage") -> Appointment:
    return links.check_token(code, request.GET.get("t") or request.POST.get("t", ""), purpose)


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, code: str) -> HttpResponse:
    """Status of a booking with the links to cancel, move it and get the calendar file."""
    try:
        appointment = _from_link(request, code)
    except BookingError as error:
        return _problem(request, error, back=reverse("appointments:lookup"))
    if (moved_to := appointment.current()) != appointment:  # an old link after a move
        return redirect(links.url(moved_to, absolute=False))
    if appointment.status in (Status.HELD, Status.EXPIRED):  # a reservation, never a booking
        return _reservation_ended(request, appointment)
    error = None
    asked = request.method == "GET" and request.GET.get("absagen") == "1"
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            appointment = citizen.cancel(appointment)
        except BookingError as exc:
            error = exc
    token = links.make_token(appointment)
    cancellable = appointment.status in (Status.CONFIRMED, Status.PENDING_CONFIRMATION) \
        and appointment.start > timezone.now()
    context = {
        "appointment": appointment, "services": appointment.service_list, "token": token,
        "error": error, "ask_cancel": asked and cancellable, "cancellable": cancellable,
        "new": request.GET.get("neu") == "1", "moved": request.GET.get("verschoben") == "1",
        "cancelled_now": request.method == "POST" and error is None,
        "move_query": _service_query(appointment.service_list, location=appointment.location.slug,
                                     ersetzt=appointment.code, t=token),
        # The code only (no link secret): scanned at the kiosk or the reception to check in.
        "check_in_qr": mark_safe(qr_svg(appointment.code, title=_("QR-Code zum Einchecken vor Ort")))  # noqa: S308
        if appointment.status == Status.CONFIRMED else "",
    }
    return render(request, "appointments/manage.html", context, status=_status_for(error) if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, code: str) -> HttpResponse:
    """The e-mail confirmation link. GET shows a button (mail scanners open links), POST confirms."""
    try:
        appointment = _from_link(request, code, "confirm")
        if request.method == "POST":
            appointment = citizen.confirm_link(appointment)
            return redirect(links.url(appointment, absolute=False) + "&neu=1")
    except BookingError as error:
        return _problem(request, error)
    if appointment.status == Status.CONFIRMED:
        return redirect(links.url(appointment, absolute=False))
    return render(request, "appointments/confirm.html", {
        "appointment": appointment, "services": appointment.service_list,
        "token": request.GET.get("t", ""), "purpose": "confirm"})


@never_cache
@require_http_methods(["GET", "POST"])
def reconfirm(request: HttpRequest, code: str) -> HttpResponse:
    """The reconfirmation link from the reminder: "Ja, ich komme"."""
    try:
        appointment = _from_link(request, code, "reconfirm")
        if request.method == "POST":
            appointment = services.reconfirm(appointment)
            return redirect(links.url(appointment, absolute=False) + "&rueckbestaetigt=1")
    except BookingError as error:
        return _problem(request, error)
    return render(request, "appointments/confirm.html", {
        "appointment": appointment, "services": appointment.service_list,
        "token": request.GET.get("t", ""), "purpose": "reconfirm"})


def ics(request: HttpRequest, code: str) -> HttpResponse:
    try:
        appointment = _from_link(request, code).current()
    except BookingError as error:
        return _problem(request, error)
    response = HttpResponse(notifications.ics_for(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="termin-{appointment.code}.ics"'
    return response


# --- lost the link -------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Code + e-mail/phone → the link is sent again to the booking's own address (never shown),
    with the same answer whether or not a booking matched, so codes cannot be probed."""
    form = LookupForm(request.POST or None)
    sent = False
    status = 200
    if request.method == "POST":
        if not ratelimit.allow("lookup_ip", ratelimit.client_ip(request)):
            form.add_error(None, str(citizen.TooManyRequests.default_message))
            status = 429
        elif form.is_valid():
            code = form.cleaned_data["code"].strip().upper().replace(" ", "")
            match = Appointment.objects.filter(code=code, status=Status.CONFIRMED,
                                               start__gt=timezone.now()).first()
            if match is not None and citizen.contact_matches(match, form.cleaned_data["contact"]):
                notifications.notify(match, "booked")
            sent = True
        else:
            status = 400
    return render(request, "appointments/lookup.html", {"form": form, "sent": sent}, status=status)
