"""Staff pages for appointments: day and week calendars, the appointment with its actions, and
booking on the internal quota for a caller. Thin: rules live in ``staff_services`` and
``services``. Access is denied by default (``staff_required`` with the roles of each page); an
appointment outside the user's scope is a 404.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Role
from buergerkontakt.core.permissions import has_role, roles_of

from . import engine, services, staff_services
from .exceptions import BookingError, HoldExpired, SlotUnavailable
from .models import Appointment, Quota
from .staff_forms import (
    AssignForm,
    BookingSearchForm,
    CalendarFilterForm,
    CallerForm,
    HoldForm,
    RescheduleDayForm,
    RescheduleForm,
    new_key,
)
from .staff_services import ACTION_ROLES, ASSIGN_ROLES, BOOKING_ROLES, CALENDAR_ROLES, Filters

Status = Appointment.Status
SEARCH_DAYS = 28
# Session key under which another page (a callback ticket) leaves the caller's details for the
# booking form: {"name", "phone", "email", "case_number", "note", "return_url"}.
CALLER_PREFILL_SESSION_KEY = "appointments_caller_prefill"


def _today() -> date:
    return engine.local_day(timezone.now())


def _nav(request: HttpRequest) -> dict:
    roles = roles_of(request.user)
    return {"can_book": bool(roles & set(BOOKING_ROLES)), "can_calendar": bool(roles & set(CALENDAR_ROLES))}


def _error_page(request: HttpRequest, text: str, status: int = 400) -> HttpResponse:
    return render(request, "error.html", {"title": _("Ungültige Anfrage"), "text": text, "status": status},
                  status=status)


# --- calendars -------------------------------------------------------------------------------------
def _default_filters(user) -> Filters:
    """Caseworkers start with their own calendar, team leads with their team, others a location."""
    roles = roles_of(user)
    if roles & {Role.ADMIN, Role.AGENT}:
        return Filters(location=staff_services.visible_locations(user).first())
    if Role.TEAMLEAD in roles:
        return Filters(team=staff_services.visible_teams(user).first())
    return Filters(person=user)


def _calendar_context(request: HttpRequest, view_name: str):
    """(context, None) or (None, error response) for the day and week views."""
    form = CalendarFilterForm(request.user, request.GET or None)
    if request.GET and not form.is_valid():
        if form.out_of_scope():
            raise Http404
        return None, _error_page(request, _("Bitte prüfen Sie Datum und Filter des Kalenders."))
    data = form.cleaned_data if request.GET else {}
    if data.get("gefiltert"):
        filters = Filters(location=data.get("standort"), team=data.get("team"), person=data.get("person"))
    else:
        filters = _default_filters(request.user)
    day = data.get("tag") or _today()
    query = {"gefiltert": "1", "standort": filters.location.pk if filters.location else "",
             "team": filters.team.pk if filters.team else "",
             "person": filters.person.pk if filters.person else ""}
    shown_form = CalendarFilterForm(request.user, initial={
        "tag": day, "standort": filters.location, "team": filters.team, "person": filters.person,
        "gefiltert": True})
    step = 1 if view_name == "day" else 7
    if view_name == "week":
        day = day - timedelta(days=day.weekday())

    def link(name: str, target: date) -> str:
        return reverse(f"appointments_staff:{name}") + "?" + urlencode({**query, "tag": target.isoformat()})

    context = {
        "form": shown_form, "filters": filters, "day": day, "today": _today(),
        "prev_url": link(view_name, day - timedelta(days=step)),
        "next_url": link(view_name, day + timedelta(days=step)),
        "today_url": link(view_name, _today()),
        "day_url": link("day", _today() if view_name == "week" and day <= _today() <= day + timedelta(6)
                        else day),
        "week_url": link("week", day),
        "self_url": link(view_name, day),
        "day_link": lambda target: link("day", target),
        "updated": timezone.localtime(),
        "nav_active": view_name,
        **_nav(request),
    }
    return context, None


@require_GET
@vary_on_headers("HX-Request")
@staff_required(roles=CALENDAR_ROLES)
def day(request: HttpRequest) -> HttpResponse:
    context, error = _calendar_context(request, "day")
    if error:
        return error
    context.update(staff_services.day_calendar(request.user, context["day"], context["filters"]))
    template = "appointments/staff/_day_table.html" if request.htmx else "appointments/staff/day.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@staff_required(roles=CALENDAR_ROLES)
def week(request: HttpRequest) -> HttpResponse:
    context, error = _calendar_context(request, "week")
    if error:
        return error
    data = staff_services.week_calendar(request.user, context["day"], context["filters"])
    for entry in data["days"]:
        entry["url"] = context["day_link"](entry["day"])
    context.update(data)
    context["week_end"] = context["day"] + timedelta(days=6)
    template = "appointments/staff/_week_table.html" if request.htmx else "appointments/staff/week.html"
    return render(request, template, context)


# --- one appointment -------------------------------------------------------------------------------
def _visible(request: HttpRequest, pk: int, roles=CALENDAR_ROLES) -> Appointment:
    appointment = (staff_services.visible_appointments(request.user, roles)
                   .select_related("location", "group", "staff", "booked_by").filter(pk=pk).first())
    if appointment is None:
        raise Http404
    return appointment


def _detail(request: HttpRequest, appointment: Appointment, *, error: str = "", status: int = 200,
            assign_form: AssignForm | None = None) -> HttpResponse:
    now = timezone.now()
    user = request.user
    acting = has_role(user, *ACTION_ROLES)
    may_assign = staff_services.can_see(user, appointment, ASSIGN_ROLES)
    upcoming = appointment.start > now
    context = {
        "appointment": appointment,
        "services_list": appointment.service_list,
        "error": error,
        "can_check_in": acting and appointment.status == Status.CONFIRMED
        and engine.local_day(appointment.start) == engine.local_day(now),
        "can_no_show": acting and appointment.status == Status.CONFIRMED and not upcoming,
        "can_complete": acting and appointment.status == Status.CHECKED_IN,
        "can_cancel": acting and upcoming and appointment.status in (*services.HOLDING, Status.CONFIRMED),
        "can_reschedule": acting and upcoming and appointment.status == Status.CONFIRMED,
        "assign_form": (assign_form or AssignForm(user, appointment))
        if may_assign and appointment.status not in (Status.CANCELLED, Status.EXPIRED) else None,
        "calendar_url": reverse("appointments_staff:day") + "?" + urlencode({
            "gefiltert": "1", "standort": appointment.location_id,
            "tag": engine.local_day(appointment.start).isoformat()}),
        **_nav(request),
    }
    return render(request, "appointments/staff/detail.html", context, status=status)


@require_GET
@staff_required(roles=CALENDAR_ROLES)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible(request, pk))


def _status_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    appointment = _visible(request, pk, ACTION_ROLES)
    try:
        action(appointment)
    except BookingError as exc:
        appointment.refresh_from_db()
        return _detail(request, appointment, error=str(exc), status=400)
    messages.success(request, done)
    return redirect("appointments_staff:detail", pk=appointment.pk)


@require_POST
@staff_required(roles=ACTION_ROLES)
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.check_in, _("Die Person ist eingecheckt."))


@require_POST
@staff_required(roles=ACTION_ROLES)
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.mark_no_show,
                          _("Der Termin ist als „nicht erschienen“ markiert."))


@require_POST
@staff_required(roles=ACTION_ROLES)
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.complete_appointment, _("Der Termin ist erledigt."))


@require_POST
@staff_required(roles=ACTION_ROLES)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, staff_services.cancel_on_behalf,
                          _("Der Termin ist storniert. Die Person wurde benachrichtigt, sofern "
                            "Kontaktdaten vorliegen."))


@require_POST
@staff_required(roles=ASSIGN_ROLES)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _visible(request, pk, ASSIGN_ROLES)
    form = AssignForm(request.user, appointment, request.POST)
    if not form.is_valid():
        return _detail(request, appointment, error=_("Bitte wählen Sie eine Person aus der Liste."),
                       status=400, assign_form=form)
    try:
        staff_services.assign_staff(appointment, form.cleaned_data["mitarbeiter"], by=request.user)
    except BookingError as exc:
        return _detail(request, appointment, error=str(exc), status=400, assign_form=form)
    messages.success(request, _("Die Zuständigkeit ist gespeichert."))
    return redirect("appointments_staff:detail", pk=appointment.pk)


@require_http_methods(["GET", "POST"])
@staff_required(roles=ACTION_ROLES)
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _visible(request, pk, ACTION_ROLES)
    chosen = [row.service_id for row in appointment.service_rows.order_by("position")]
    error, status = "", 200
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                new = staff_services.reschedule(appointment, form.cleaned_data["start"], by=request.user,
                                                idempotency_key=form.cleaned_data["schluessel"] or None)
            except BookingError as exc:
                error, status = str(exc), 409 if isinstance(exc, SlotUnavailable) else 400
            else:
                messages.success(request, _("Der Termin ist verschoben. Neuer Buchungscode: %(code)s")
                                 % {"code": new.code})
                return redirect("appointments_staff:detail", pk=new.pk)
        else:
            error, status = " ".join(e for errors in form.errors.values() for e in errors), 400
    day_form = RescheduleDayForm(request.GET or None)
    chosen_day = day_form.cleaned_data.get("tag") if day_form.is_valid() else None
    if request.GET and not day_form.is_valid():
        error, status = _("Bitte geben Sie ein gültiges Datum an."), 400
    days, starts = [], []
    try:
        days = services.availability(chosen, _today(), SEARCH_DAYS, location=appointment.location_id,
                                     quota=Quota.INTERNAL)
        if chosen_day:
            starts = services.free_starts(chosen, appointment.location_id, chosen_day, quota=Quota.INTERNAL)
    except BookingError as exc:
        error, status = str(exc), 400
    return render(request, "appointments/staff/reschedule.html", {
        "appointment": appointment, "services_list": appointment.service_list, "days": days,
        "chosen_day": chosen_day, "starts": starts, "key": new_key(), "error": error,
        "can_act": appointment.status == Status.CONFIRMED and appointment.start > timezone.now(),
        **_nav(request),
    }, status=status)


# --- booking for a caller ------------------------------------------------------------------------------
def _search_context(request: HttpRequest, form: BookingSearchForm) -> tuple[dict, str, int]:
    """Availability for the chosen services (all locations or one, then the times of one day)."""
    context: dict = {"form": form, "key": new_key(), "step": 1}
    if not form.is_bound:
        return context, "", 200
    if not form.is_valid():
        return context, "", 400
    chosen = list(form.cleaned_data["leistung"])
    location, chosen_day = form.cleaned_data.get("standort"), form.cleaned_data.get("tag")
    ids = [service.pk for service in chosen]
    context.update(chosen_services=chosen, location=location, chosen_day=chosen_day, step=2)
    base = {"leistung": ids}
    try:
        found = services.availability(ids, _today(), SEARCH_DAYS, location=location, quota=Quota.INTERNAL)
        allowed = {loc.pk: loc for loc in form.fields["standort"].queryset}
        found = [item for item in found if item.location_id in allowed]
        if location is None:
            # Earliest day per location, so the agent can offer "the earliest anywhere".
            earliest: dict[int, services.DayAvailability] = {}
            for item in found:
                earliest.setdefault(item.location_id, item)
            context["earliest"] = [
                {"location": allowed[item.location_id], "item": item,
                 "url": "?" + urlencode({**base, "standort": item.location_id, "tag": item.day.isoformat()},
                                        doseq=True)}
                for item in sorted(earliest.values(), key=lambda i: i.first_start)]
        else:
            context["days"] = [
                {"item": item, "url": "?" + urlencode({**base, "standort": location.pk,
                                                       "tag": item.day.isoformat()}, doseq=True)}
                for item in found]
            context["step"] = 3
            if chosen_day:
                context["starts"] = services.free_starts(ids, location, chosen_day, quota=Quota.INTERNAL)
                context["step"] = 4
    except BookingError as exc:
        return context, str(exc), 400
    return context, "", 200


@require_GET
@staff_required(roles=BOOKING_ROLES)
def book(request: HttpRequest) -> HttpResponse:
    form = BookingSearchForm(request.user, request.GET or None)
    context, error, status = _search_context(request, form)
    return render(request, "appointments/staff/book.html",
                  {**context, "error": error, "nav_active": "book", **_nav(request)}, status=status)


@require_POST
@staff_required(roles=BOOKING_ROLES)
def book_hold(request: HttpRequest) -> HttpResponse:
    form = HoldForm(request.user, request.POST)
    if not form.is_valid():
        context, _error, _status = _search_context(request, BookingSearchForm(request.user, request.POST))
        context["form"] = form
        return render(request, "appointments/staff/book.html",
                      {**context, "error": _("Bitte prüfen Sie Ihre Auswahl."), "nav_active": "book",
                       **_nav(request)}, status=400)
    data = form.cleaned_data
    try:
        held = services.hold_slot([s.pk for s in data["leistung"]], data["standort"], data["start"],
                                  quota=Quota.INTERNAL, booked_by=request.user,
                                  idempotency_key=data["schluessel"] or None)
    except BookingError as exc:
        context, _error, _status = _search_context(request, BookingSearchForm(request.user, request.POST))
        return render(request, "appointments/staff/book.html",
                      {**context, "error": str(exc), "nav_active": "book", **_nav(request)},
                      status=409 if isinstance(exc, SlotUnavailable) else 400)
    return redirect("appointments_staff:book_details", pk=held.pk)


def _own_hold(request: HttpRequest, pk: int) -> Appointment:
    appointment = _visible(request, pk, BOOKING_ROLES)
    if appointment.booked_by_id != request.user.pk or appointment.quota != Quota.INTERNAL:
        raise Http404
    return appointment


@require_http_methods(["GET", "POST"])
@staff_required(roles=BOOKING_ROLES)
def book_details(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _own_hold(request, pk)
    if appointment.status in (Status.CONFIRMED, Status.PENDING_CONFIRMATION, Status.CHECKED_IN):
        return redirect("appointments_staff:detail", pk=appointment.pk)
    error, status = "", 200
    expired = appointment.status != Status.HELD or appointment.hold_expires_at <= timezone.now()
    # Another page (a callback ticket) may hand over the caller's details to fill in.
    prefill = request.session.get(CALLER_PREFILL_SESSION_KEY) or {}
    initial = {key: value for key, value in prefill.items() if key in CallerForm.base_fields}
    form = CallerForm(request.POST or None, initial=initial)
    if request.method == "POST" and not expired:
        if form.is_valid():
            details = dict(form.cleaned_data)
            language = details.pop("language")
            try:
                booked = staff_services.book_for_caller(appointment, by=request.user, language=language,
                                                        **details)
            except HoldExpired as exc:
                error, status, expired = str(exc), 400, True
            except BookingError as exc:
                error, status = str(exc), 400
            else:
                messages.success(request, _("Der Termin ist gebucht. Bitte nennen Sie der anrufenden Person "
                                            "den Buchungscode."))
                back = str(prefill.get("return_url") or "")
                if back.startswith("/mitarbeiter/") and "//" not in back:
                    request.session.pop(CALLER_PREFILL_SESSION_KEY, None)
                    return redirect(f"{back}?termin={booked.code}")
                return redirect("appointments_staff:detail", pk=booked.pk)
        else:
            status = 400
    elif request.method == "POST":
        error, status = str(HoldExpired.default_message), 400
    return render(request, "appointments/staff/book_details.html", {
        "appointment": appointment, "services_list": appointment.service_list, "form": form,
        "error": error, "expired": expired, "hold_until": timezone.localtime(appointment.hold_expires_at)
        if appointment.hold_expires_at else None, **_nav(request),
    }, status=status)


@require_POST
@staff_required(roles=BOOKING_ROLES)
def book_abandon(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _own_hold(request, pk)
    if appointment.status == Status.HELD:
        with contextlib.suppress(BookingError):  # already expired: nothing to give back
            services.cancel_appointment(appointment)
    messages.success(request, _("Die Reservierung wurde aufgegeben."))
    return redirect("appointments_staff:book")
