"""Staff pages of the phone centre (mounted at /mitarbeiter/rueckrufe/): the agent screen, the
routing preview, the worklist (live by htmx polling) and the ticket with its actions.

Thin: rules live in ``services`` (writes) and ``queries`` (who sees what). Deny by default:
``staff_required`` with the roles of each page; a ticket outside the user's scope is a 404; an
action the user may not take on a visible ticket is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from buergerkontakt.appointments.staff_views import CALLER_PREFILL_SESSION_KEY
from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Role
from buergerkontakt.core.permissions import authority_ids_for, has_role, roles_of

from . import links, phones, queries, services
from .exceptions import CallbackError, TicketClosed, UnknownTeam
from .forms import AgentForm, AppointmentForm, AssignForm, AttemptForm, PauseForm, PreviewForm, ResumeForm
from .models import Ticket, Urgency

PREFILL_SESSION_KEY = CALLER_PREFILL_SESSION_KEY  # read by the staff booking's caller form


def _nav(request: HttpRequest, active: str) -> dict:
    roles = roles_of(request.user)
    return {"can_create": bool(roles & set(queries.CREATE_ROLES)),
            "can_worklist": bool(roles & set(queries.WORK_ROLES)), "nav_active": active}


def _error_page(request: HttpRequest, text: str, status: int = 400) -> HttpResponse:
    return render(request, "error.html", {"title": _("Ungültige Anfrage"), "text": text, "status": status},
                  status=status)


# --- agent screen ------------------------------------------------------------------------------------
def _prefill(request: HttpRequest) -> dict:
    """``?telefon=…&name=…``: softphones and the screen pop open the agent screen pre-filled. A number
    ``phonenumbers`` accepts is shown in the national format, anything else as given (the agent
    corrects it; the form checks it on submit)."""
    initial = {}
    raw = (request.GET.get("telefon") or "").strip()[: phones.MAX_INPUT_LENGTH]
    if raw:
        try:
            initial["phone"] = phones.display(phones.normalise(raw))
        except CallbackError:
            initial["phone"] = raw
    name = (request.GET.get("name") or "").strip()[:200]
    if name:
        initial["name"] = name
    return initial


@require_http_methods(["GET", "POST"])
@staff_required(roles=queries.CREATE_ROLES)
def new(request: HttpRequest) -> HttpResponse:
    authority = queries.creating_authority(request.user)
    if authority is None:
        raise PermissionDenied
    form = AgentForm(authority, request.POST or None, initial=_prefill(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("aktion") == "geloest":
                    services.log_first_contact(authority, agent=request.user, service=data["service"],
                                               topic=data["topic"], urgency=data["urgency"])
                    messages.success(request, _("Der Anruf ist als direkt gelöst erfasst."))
                    return redirect("callbacks_staff:new")
                ticket = services.create_ticket(
                    authority, caller_name=data["name"], phone=data["phone"], email=data["email"],
                    case_number=data["case_number"], service=data["service"], topic=data["topic"],
                    urgency=data["urgency"], prefers_morning=data["prefers_morning"],
                    prefers_afternoon=data["prefers_afternoon"], team=data["team"], note=data["note"],
                    by=request.user)
            except UnknownTeam as exc:
                form.add_error("team", exc.message)
            except CallbackError as exc:
                form.add_error(None, exc.message)
            else:
                due = timezone.localtime(ticket.due_at)
                messages.success(request, _(
                    "Rückrufticket %(number)s angelegt – zuständig: %(team)s, %(person)s. Rückruf spätestens "
                    "%(due)s Uhr.") % {"number": ticket.number, "team": ticket.team,
                                       "person": ticket.assignee or _("Team-Postkorb"),
                                       "due": due.strftime("%d.%m. %H:%M")})
                return redirect("callbacks_staff:new")
    return render(request, "callbacks/staff/new.html", {"form": form, "authority": authority,
                                                         **_nav(request, "new")}, status=status)


@require_GET
@staff_required(roles=queries.STAFF_PAGE_ROLES)
def preview(request: HttpRequest) -> HttpResponse:
    """'Welches Team bekäme das?' – the live routing preview (partial for htmx, page without)."""
    authority = queries.creating_authority(request.user) or request.user.authority
    if authority is None:
        raise PermissionDenied
    form = PreviewForm(authority, request.GET or None)
    result = deadline = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        result = services.preview_route(authority, name=data["name"], case_number=data["case_number"],
                                        service=data["service"], team=data["team"])
        if result.team is not None:
            due = services.deadline_for(result.team, data["urgency"] or Urgency.NORMAL)
            deadline = timezone.localtime(due)
    context = {"form": form, "result": result, "deadline": deadline, "asked": form.is_bound,
               **_nav(request, "preview")}
    template = "callbacks/staff/_preview.html" if request.htmx else "callbacks/staff/preview.html"
    return render(request, template, context)


# --- worklist ----------------------------------------------------------------------------------------
@require_GET
@vary_on_headers("HX-Request")
@staff_required(roles=queries.STAFF_PAGE_ROLES)
def worklist(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, *queries.WORK_ROLES, Role.ADMIN):
        return redirect("callbacks_staff:new")  # the phone centre starts on the agent screen
    teams = queries.worklist_teams(request.user)
    default_view = "team" if has_role(request.user, Role.TEAMLEAD) else "mine"
    view = request.GET.get("ansicht") or default_view
    if view not in ("mine", "team"):
        view = default_view
    team = None
    team_id = request.GET.get("team", "")
    if team_id:
        if not team_id.isdigit():
            return _error_page(request, _("Unbekanntes Team."))
        team = teams.filter(pk=int(team_id)).first()
        if team is None:
            raise Http404
    closed = request.GET.get("status") == "abgeschlossen"
    tickets = list(queries.worklist(request.user, view=view, team=team, closed=closed)[:300])
    now = timezone.now()
    for ticket in tickets:
        ticket.overdue = ticket.is_open and ticket.due_at is not None and ticket.due_at <= now
        ticket.warning = (ticket.is_open and not ticket.overdue and ticket.warn_at is not None
                          and ticket.warn_at <= now)
        ticket.phone_display = phones.display(ticket.phone)
        ticket.attempt_due = ticket.next_attempt_at is not None and ticket.next_attempt_at <= now
    query = request.GET.urlencode()
    context = {"tickets": tickets, "teams": teams, "view": view, "team": team, "closed": closed,
               "updated": timezone.localtime(now), "refresh_url": reverse("callbacks_staff:worklist")
               + (f"?{query}" if query else ""), **_nav(request, "worklist")}
    template = "callbacks/staff/_worklist_table.html" if request.htmx else "callbacks/staff/worklist.html"
    return render(request, template, context)


# --- one ticket --------------------------------------------------------------------------------------
def _visible(request: HttpRequest, number: str) -> Ticket:
    ticket = queries.ticket_for(request.user, number)
    if ticket is None:
        raise Http404
    return ticket


def _working(request: HttpRequest, number: str) -> Ticket:
    ticket = _visible(request, number)
    if not queries.can_work(request.user, ticket):
        raise PermissionDenied
    return ticket


def _detail_context(request: HttpRequest, ticket: Ticket, **forms) -> dict:
    can_work = queries.can_work(request.user, ticket)
    can_lead = queries.can_lead(request.user, ticket)
    people = queries.assignable(ticket)
    if can_work and not can_lead:
        people = people.filter(pk=request.user.pk)
    roles = roles_of(request.user)
    return {
        "ticket": ticket,
        "phone_display": phones.display(ticket.phone),
        "attempts": ticket.attempts.select_related("by").order_by("number"),
        "events": ticket.events.select_related("by").order_by("at", "pk"),
        "pauses": ticket.pauses.order_by("started_at"),
        "can_work": can_work and ticket.is_open,
        "can_book": bool(roles & {Role.AGENT, Role.ADMIN}) and ticket.is_open,
        "attempt_form": forms.get("attempt_form") or AttemptForm(),
        "pause_form": forms.get("pause_form") or PauseForm(),
        "resume_form": forms.get("resume_form") or ResumeForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(people, initial={"assignee": ticket.assignee_id}),
        "appointment_form": forms.get("appointment_form")
        or AppointmentForm(initial={"code": request.GET.get("termin", "")[:12]}),
        "status_url": links.url(ticket, absolute=False),
        "now": timezone.now(),
        **_nav(request, "worklist"),
    }


@require_GET
@staff_required(roles=queries.STAFF_PAGE_ROLES)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _visible(request, number)
    return render(request, "callbacks/staff/detail.html", _detail_context(request, ticket))


def _after(request: HttpRequest, ticket: Ticket, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("callbacks_staff:detail", number=ticket.number)


def _redisplay(request: HttpRequest, ticket: Ticket, status: int = 400, error: str = "",
               **forms) -> HttpResponse:
    context = _detail_context(request, ticket, **forms)
    context["error"] = error
    return render(request, "callbacks/staff/detail.html", context, status=status)


@require_POST
@staff_required(roles=queries.WORK_ROLES)
def attempt(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _working(request, number)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, ticket, attempt_form=form)
    try:
        logged = services.log_attempt(ticket, form.cleaned_data["outcome"], by=request.user,
                                      note=form.cleaned_data["note"])
    except CallbackError as exc:
        return _redisplay(request, ticket, status=409, error=exc.message)
    ticket.refresh_from_db()
    text = _("Versuch %(number)d erfasst: %(outcome)s.") % {"number": logged.number,
                                                          "outcome": logged.get_outcome_display()}
    if ticket.is_open and ticket.next_attempt_at:
        text += " " + _("Nächster Versuch ab %(when)s Uhr.") % {
            "when": timezone.localtime(ticket.next_attempt_at).strftime("%d.%m. %H:%M")}
    elif ticket.status == Ticket.Status.UNREACHABLE:
        text += " " + _("Die anrufende Person wird schriftlich informiert.")
    return _after(request, ticket, text)


def _act(request: HttpRequest, ticket: Ticket, form, form_key: str, action, done: str) -> HttpResponse:
    """Validate ``form``, run ``action(cleaned_data)``; the ticket page with errors or a message."""
    if not form.is_valid():
        return _redisplay(request, ticket, **{form_key: form})
    try:
        action(form.cleaned_data)
    except CallbackError as exc:
        return _redisplay(request, ticket, status=409, error=exc.message)
    return _after(request, ticket, done)


@require_POST
@staff_required(roles=queries.WORK_ROLES)
def pause(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _working(request, number)
    return _act(request, ticket, PauseForm(request.POST), "pause_form",
                lambda data: services.pause_clock(ticket, data["reason"], by=request.user),
                _("Die Frist ist angehalten."))


@require_POST
@staff_required(roles=queries.WORK_ROLES)
def resume(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _working(request, number)
    return _act(request, ticket, ResumeForm(request.POST), "resume_form",
                lambda data: services.resume_clock(ticket, data["reason"], by=request.user),
                _("Die Frist läuft wieder."))


@require_POST
@staff_required(roles=queries.WORK_ROLES)
def assign(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _working(request, number)
    people = queries.assignable(ticket)
    if not queries.can_lead(request.user, ticket):
        people = people.filter(pk=request.user.pk)  # case workers: take it, or give it back to the pool
    return _act(request, ticket, AssignForm(people, request.POST), "assign_form",
                lambda data: services.reassign(ticket, data["assignee"], by=request.user),
                _("Die Zuständigkeit ist geändert."))


@require_POST
@staff_required(roles=queries.STAFF_PAGE_ROLES)
def appointment(request: HttpRequest, number: str) -> HttpResponse:
    """Close the ticket with the booking code of the appointment it became."""
    ticket = _visible(request, number)
    if not (queries.can_work(request.user, ticket)
            or ticket.authority_id in authority_ids_for(request.user, *queries.CREATE_ROLES)):
        raise PermissionDenied
    form = AppointmentForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, ticket, appointment_form=form)
    try:
        services.link_appointment(ticket, form.cleaned_data["code"], by=request.user)
    except CallbackError as exc:
        return _redisplay(request, ticket, error=exc.message, appointment_form=form)
    request.session.pop(PREFILL_SESSION_KEY, None)
    return _after(request, ticket, _("Das Ticket ist mit dem Termin abgeschlossen."))


@require_POST
@staff_required(roles=(Role.AGENT, Role.ADMIN))
def book(request: HttpRequest, number: str) -> HttpResponse:
    """'In einen Termin umwandeln': open the staff booking with the caller's details filled in."""
    ticket = _visible(request, number)
    if not ticket.is_open:
        return _redisplay(request, ticket, status=409, error=str(TicketClosed.default_message))
    request.session[PREFILL_SESSION_KEY] = {
        "name": ticket.caller_name, "phone": ticket.phone, "email": ticket.email,
        "case_number": ticket.case_number,
        "note": _("Aus Rückrufticket %(number)s") % {"number": ticket.number},
        "return_url": reverse("callbacks_staff:detail", kwargs={"number": ticket.number}),
    }
    target = reverse("appointments_staff:book")
    if ticket.service_id:
        target += f"?leistung={ticket.service_id}"
    return redirect(target)
