"""Staff pages of the incident register, mounted at /mitarbeiter/vorfaelle/.

Thin: rules live in ``services`` (writes) and ``queries`` (who sees what). Deny by default:
``staff_required`` with the roles of each page; an object outside the user's scope is a 403 (the
register does not say more to those who may not see it).
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.models import Role
from buergerkontakt.core.permissions import roles_of

from . import letters, queries, services
from .forms import (
    AccessRequestForm,
    DecideForm,
    DeleteForm,
    EntryForm,
    ExportForm,
    InspectionForm,
    LetterTemplateForm,
    LookupForm,
    OutcomeForm,
    ReportForm,
)
from .models import AccessGrant, Entry, LogEntry, Report
from .services import IncidentError

KEEPER = (Role.REGISTER_KEEPER,)
DPO = (Role.DPO,)


def _nav(request: HttpRequest, active: str) -> dict:
    user = request.user
    roles = roles_of(user)
    return {
        "nav_active": active,
        "is_keeper": Role.REGISTER_KEEPER in roles,
        "is_dpo": Role.DPO in roles,
        "can_lookup": queries.can_lookup(user),
        "can_decide": bool(roles & set(queries.DECIDER_ROLES)),
    }


def _page(request: HttpRequest, template: str, active: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, {**_nav(request, active), **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _user_authority_required(request: HttpRequest) -> None:
    if not request.user.authority_id:
        raise PermissionDenied


# --- start -------------------------------------------------------------------------------------------
@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    _user_authority_required(request)
    context = {"grant": queries.active_grant(request.user)}
    if queries.is_keeper(request.user):
        context["new_reports"] = (
            queries.reports_for_keeper(request.user).filter(status=Report.Status.NEW).count()
        )
        context["pending_entries"] = (
            queries.entries_for_keeper(request.user).filter(status=Entry.Status.PENDING).count()
        )
    return _page(request, "incidents/home.html", "home", context)


# --- reports -----------------------------------------------------------------------------------------
def _report_form(request: HttpRequest, data=None, initial=None) -> ReportForm:
    user = request.user
    return ReportForm(
        data,
        initial=initial,
        locations=queries.form_locations(user),
        rooms=queries.form_rooms(user),
        staff=queries.form_staff(user),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def new_report(request: HttpRequest) -> HttpResponse:
    _user_authority_required(request)
    alarm = None
    alarm_ref = request.POST.get("alarm") if request.method == "POST" else request.GET.get("alarm")
    if alarm_ref:
        alarm = queries.alarm_for_report(request.user, alarm_ref)
        if alarm is None:
            raise PermissionDenied
    if request.method == "GET":
        initial = (
            queries.alarm_prefill(alarm)
            if alarm
            else {"occurred_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)}
        )
        if not alarm and request.user.workstation_room_id:
            room = request.user.workstation_room
            initial.update(room=room.pk, location=room.floor.location_id)
        form = _report_form(request, initial=initial)
        return _page(request, "incidents/report_form.html", "report", {"form": form, "alarm": alarm})
    form = _report_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = services.submit_report(
                request.user,
                location=data["location"],
                room=data["room"],
                place=data["place"],
                occurred_at=data["occurred_at"],
                level=data["level"],
                types=data["types"],
                narrative=data["narrative"],
                staff_involved=data["staff_involved"],
                staff_involved_text=data["staff_involved_text"],
                witnesses=data["witnesses"],
                injuries=data["injuries"],
                person_name=data["person_name"],
                person_birth_date=data["person_birth_date"],
                person_case_number=data["person_case_number"],
                house_ban=data["house_ban"],
                criminal_complaint=data["criminal_complaint"],
                complaint_file_number=data["complaint_file_number"],
                accident_report=data["accident_report"],
                aftercare_offered=data["aftercare_offered"],
                aftercare_note=data["aftercare_note"],
                alarm=alarm,
            )
        except IncidentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Danke. Ihre Meldung %(ref)s ist bei der Zentralen Stelle eingegangen; "
                    "Ihre Teamleitung ist informiert."
                )
                % {"ref": report.reference},
            )
            return redirect("incidents:home")
    return _page(request, "incidents/report_form.html", "report", {"form": form, "alarm": alarm}, status=400)


@require_GET
@staff_required(roles=KEEPER)
def reports(request: HttpRequest) -> HttpResponse:
    rows = queries.reports_for_keeper(request.user)[:300]
    return _page(request, "incidents/reports.html", "reports", {"reports": rows})


def _keeper_report(request: HttpRequest, pk: int) -> Report:
    report = queries.report_for_keeper(request.user, pk)
    if report is None:
        raise PermissionDenied
    return report


@require_GET
@staff_required(roles=KEEPER)
def report(request: HttpRequest, pk: int) -> HttpResponse:
    report = _keeper_report(request, pk)
    return _page(
        request,
        "incidents/report_detail.html",
        "reports",
        {"report": report, "staff": report.staff_involved.all(), "entries": report.entries.all()},
    )


@require_POST
@staff_required(roles=KEEPER)
def report_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    report = services.mark_reviewed(_keeper_report(request, pk), request.user)
    messages.success(request, _("Meldung %(ref)s als gesichtet markiert.") % {"ref": report.reference})
    return redirect("incidents:report", pk=report.pk)


@require_GET
@staff_required(roles=(Role.TEAMLEAD,))
def aftercare(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.report_for_aftercare(request.user, pk)
    if report is None:
        raise PermissionDenied
    return _page(request, "incidents/aftercare.html", "home", {"report": report})


# --- register entries --------------------------------------------------------------------------------
@require_GET
@staff_required(roles=KEEPER)
def entries(request: HttpRequest) -> HttpResponse:
    rows = list(queries.entries_for_keeper(request.user)[:300])
    return _page(request, "incidents/entries.html", "entries", {"entries": rows})


@require_http_methods(["GET", "POST"])
@staff_required(roles=KEEPER)
def new_entry(request: HttpRequest) -> HttpResponse:
    authority = queries.keeper_authority(request.user)
    if authority is None:
        raise PermissionDenied
    source = None
    source_ref = request.POST.get("meldung") or request.GET.get("meldung")
    if source_ref and source_ref.isdigit():
        source = queries.report_for_keeper(request.user, int(source_ref))
    if request.method == "GET":
        initial = {"review_on": timezone.localdate() + timedelta(days=settings.INCIDENT_ENTRY_REVIEW_DAYS)}
        if source is not None:
            initial.update(
                name=source.person_name,
                birth_date=source.birth_date,
                case_number=source.person_case_number,
                complaint_file_number=source.complaint_file_number,
                level=source.level if source.level >= 2 else None,
            )
        return _page(
            request,
            "incidents/entry_form.html",
            "entries",
            {"form": EntryForm(initial=initial), "source": source},
        )
    form = EntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.create_entry(
                request.user,
                authority=authority,
                name=data["name"],
                birth_date=data["birth_date"],
                case_number=data["case_number"],
                level=data["level"],
                complaint_file_number=data["complaint_file_number"],
                reason=data["reason"],
                measures=data["measures"],
                measures_note=data["measures_note"],
                review_on=data["review_on"],
                reports=[source] if source else [],
            )
        except IncidentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Gefährdungshinweis %(ref)s angelegt. Er wird aktiv, sobald eine zweite "
                    "Person der Zentralen Stelle ihn freigibt."
                )
                % {"ref": entry.reference},
            )
            return redirect("incidents:entry", pk=entry.pk)
    return _page(
        request, "incidents/entry_form.html", "entries", {"form": form, "source": source}, status=400
    )


def _keeper_entry(request: HttpRequest, pk: int) -> Entry:
    entry = queries.entry_for_keeper(request.user, pk)
    if entry is None:
        raise PermissionDenied
    return entry


def _entry_page(
    request: HttpRequest, entry: Entry, *, status: int = 200, error: str = "", **forms
) -> HttpResponse:
    return _page(
        request,
        "incidents/entry_detail.html",
        "entries",
        {
            "entry": entry,
            "error": error,
            "can_approve": entry.status == Entry.Status.PENDING
            and (entry.changed_by_id or entry.created_by_id) != request.user.pk,
            "outcome_form": forms.get("outcome_form") or OutcomeForm(initial={"outcome": entry.proceedings}),
            "delete_form": forms.get("delete_form") or DeleteForm(),
            "hint": services.Hint(True, entry.level, tuple(entry.measure_labels)),
        },
        status=status,
    )


@require_GET
@staff_required(roles=KEEPER)
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_page(request, _keeper_entry(request, pk))


@require_POST
@staff_required(roles=KEEPER)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _keeper_entry(request, pk)
    try:
        services.approve_entry(entry, request.user)
    except IncidentError as exc:
        return _entry_page(request, entry, status=exc.status_code, error=exc.message)
    messages.success(
        request, _("Gefährdungshinweis %(ref)s freigegeben und aktiv.") % {"ref": entry.reference}
    )
    return redirect("incidents:entry", pk=entry.pk)


@require_POST
@staff_required(roles=KEEPER)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _keeper_entry(request, pk)
    try:
        services.reject_entry(entry, request.user)
    except IncidentError as exc:
        return _entry_page(request, entry, status=exc.status_code, error=exc.message)
    messages.success(request, _("Der Gefährdungshinweis wurde abgelehnt und gelöscht."))
    return redirect("incidents:entries")


@require_POST
@staff_required(roles=KEEPER)
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _keeper_entry(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, entry, status=400, outcome_form=form)
    result = services.record_outcome(entry, form.cleaned_data["outcome"], request.user)
    if result is None:
        messages.success(
            request,
            _(
                "Verfahrensausgang erfasst. Der Gefährdungshinweis und alle personenbezogenen "
                "Daten darin sind gelöscht."
            ),
        )
        return redirect("incidents:entries")
    messages.success(request, _("Verfahrensausgang erfasst."))
    return redirect("incidents:entry", pk=entry.pk)


@require_POST
@staff_required(roles=(Role.REGISTER_KEEPER, Role.DPO))
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = queries.entry_for_keeper(request.user, pk) or queries.entry_for_dpo(request.user, pk)
    if entry is None:
        raise PermissionDenied
    form = DeleteForm(request.POST)
    if not form.is_valid():
        if queries.entry_for_keeper(request.user, pk):
            return _entry_page(request, entry, status=400, delete_form=form)
        return _page(
            request,
            "error.html",
            "privacy",
            {"title": _("Ungültige Anfrage"), "text": _("Bitte wählen Sie einen Löschgrund."), "status": 400},
            status=400,
        )
    services.delete_entry(entry, request.user, form.cleaned_data["reason"])
    messages.success(
        request,
        _(
            "Der Gefährdungshinweis ist gelöscht; das Protokoll vermerkt die Löschung ohne "
            "personenbezogene Daten."
        ),
    )
    return redirect("incidents:entries" if queries.is_keeper(request.user) else "incidents:export")


@require_http_methods(["GET", "POST"])
@staff_required(roles=KEEPER)
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _keeper_entry(request, pk)
    if request.method == "GET":
        form = EntryForm(
            correcting=True,
            initial={
                "name": entry.name,
                "birth_date": entry.birth_date,
                "case_number": entry.case_number,
                "level": entry.level,
                "measures": entry.measures,
                "measures_note": entry.measures_note,
                "review_on": entry.review_on,
            },
        )
        return _page(request, "incidents/entry_form.html", "entries", {"form": form, "entry": entry})
    form = EntryForm(request.POST, correcting=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.correct_entry(
                entry,
                request.user,
                name=data["name"],
                birth_date=data["birth_date"],
                case_number=data["case_number"],
                level=data["level"],
                measures=data["measures"],
                measures_note=data["measures_note"],
                review_on=data["review_on"],
                note=data["note"],
            )
        except IncidentError as exc:
            form.add_error(None, exc.message)
        else:
            corrected = Entry.objects.get(pk=entry.pk)
            if corrected.status == Entry.Status.PENDING and corrected.changed_by_id == request.user.pk:
                messages.warning(
                    request,
                    _(
                        "Der Gefährdungshinweis ist berichtigt. Weil Person oder Stufe geändert "
                        "wurden, ist er erst nach Freigabe durch eine zweite Person der Zentralen "
                        "Stelle wieder aktiv."
                    ),
                )
            else:
                messages.success(request, _("Der Gefährdungshinweis ist berichtigt."))
            return redirect("incidents:entry", pk=entry.pk)
    return _page(request, "incidents/entry_form.html", "entries", {"form": form, "entry": entry}, status=400)


# --- access ------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_required
def access(request: HttpRequest) -> HttpResponse:
    _user_authority_required(request)
    form = AccessRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.request_access(
                    request.user, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"]
                )
            except IncidentError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("Ihr Antrag ist gestellt. Ihre Teamleitung entscheidet darüber."))
                return redirect("incidents:access")
    return _page(
        request,
        "incidents/access.html",
        "access",
        {
            "form": form,
            "grants": queries.own_grants(request.user),
            "grant": queries.active_grant(request.user),
        },
        status=status,
    )


@require_GET
@staff_required(roles=queries.DECIDER_ROLES)
def grants(request: HttpRequest) -> HttpResponse:
    return _grants_page(request)


def _grants_page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    """The team lead's list of access requests (open and decided), with a failed decision's form."""
    rows = queries.grants_to_decide(request.user)
    return _page(
        request,
        "incidents/grants.html",
        "grants",
        {
            "open": [g for g in rows if g.status == AccessGrant.Status.REQUESTED],
            "decided": [g for g in rows if g.status != AccessGrant.Status.REQUESTED][:100],
            "form": DecideForm(),
            "today": timezone.localdate(),
            **extra,
        },
        status=status,
    )


def _decidable(request: HttpRequest, pk: int) -> AccessGrant:
    grant = AccessGrant.objects.select_related("user").filter(pk=pk).first()
    if grant is None or not services.can_decide_access(request.user, grant):
        raise PermissionDenied
    return grant


@require_POST
@staff_required(roles=queries.DECIDER_ROLES)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _decidable(request, pk)
    form = DecideForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.decide_access(
                grant,
                request.user,
                approve=form.cleaned_data["decision"] == "approve",
                valid_until=form.cleaned_data["valid_until"],
            )
        except IncidentError as exc:
            error = exc.message
        else:
            messages.success(request, _("Die Entscheidung ist gespeichert."))
            return redirect("incidents:grants")
    return _grants_page(request, status=400, failed_form=form, failed_pk=grant.pk, error=error)


@require_POST
@staff_required(roles=queries.DECIDER_ROLES)
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _decidable(request, pk)
    services.revoke_access(grant, request.user)
    messages.success(request, _("Der Zugang ist widerrufen."))
    return redirect("incidents:grants")


# --- lookups -----------------------------------------------------------------------------------------
def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def lookup(request: HttpRequest) -> HttpResponse:
    if not queries.can_lookup(request.user):
        if _wants_json(request) and request.method == "POST":
            return JsonResponse({"detail": _("Sie haben keinen gültigen Registerzugang.")}, status=403)
        raise PermissionDenied
    if request.method == "GET":
        return _page(request, "incidents/lookup.html", "lookup", {"form": LookupForm()})
    data = request.POST
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            return JsonResponse({"detail": _("Ungültige Eingabe.")}, status=400)
    form = LookupForm(data)
    hint = None
    status = 400
    if form.is_valid():
        try:
            hint = services.lookup(
                request.user,
                purpose=form.cleaned_data["purpose"],
                name=form.cleaned_data["name"],
                birth_date=form.cleaned_data["birth_date"],
                case_number=form.cleaned_data["case_number"],
            )
        except IncidentError as exc:
            form.add_error(exc.field, exc.message)
            status = exc.status_code
    if _wants_json(request):
        if hint is None:
            return JsonResponse(
                {
                    "detail": form.non_field_errors()[0]
                    if status == 429
                    else _("Bitte prüfen Sie Ihre Angaben."),
                    "errors": {k: [str(e) for e in v] for k, v in form.errors.items()},
                },
                status=status,
            )
        return JsonResponse(
            {"hint": hint.found, "level": hint.level, "measures": list(hint.measures), "text": hint.text}
        )
    if hint is None:
        return _page(request, "incidents/lookup.html", "lookup", {"form": form}, status=status)
    return _page(request, "incidents/lookup.html", "lookup", {"form": LookupForm(), "hint": hint})


# --- data protection ---------------------------------------------------------------------------------
@require_GET
@staff_required(roles=DPO)
def log_view(request: HttpRequest) -> HttpResponse:
    rows = queries.logs_for_dpo(request.user)
    action = request.GET.get("vorgang", "")
    if action in LogEntry.Action.values:
        rows = rows.filter(action=action)
    return _page(
        request,
        "incidents/log.html",
        "log",
        {
            "rows": rows[:500],
            "actions": LogEntry.Action.choices,
            "action": action,
            "reports": queries.reports_for_dpo(request.user)[:100],
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(roles=DPO)
def export(request: HttpRequest) -> HttpResponse:
    authority = queries.dpo_authority(request.user)
    if authority is None:
        raise PermissionDenied
    if request.method == "GET":
        return _page(request, "incidents/export.html", "export", {"form": ExportForm()})
    form = ExportForm(request.POST)
    if not form.is_valid():
        if request.POST.get("format") == "json":
            return JsonResponse(
                {
                    "detail": _("Bitte prüfen Sie Ihre Angaben."),
                    "errors": {k: [str(e) for e in v] for k, v in form.errors.items()},
                },
                status=400,
            )
        return _page(request, "incidents/export.html", "export", {"form": form}, status=400)
    data = form.cleaned_data
    result = services.export_person(
        request.user,
        authority,
        name=data["name"],
        birth_date=data["birth_date"],
        case_number=data["case_number"],
        request_note=data["note"],
    )
    if request.POST.get("format") == "json":
        response = JsonResponse(result, json_dumps_params={"ensure_ascii": False, "indent": 2})
        stamp = f"{timezone.localdate():%Y%m%d}"
        response["Content-Disposition"] = f'attachment; filename="auskunft-art15-{stamp}.json"'
        response["Cache-Control"] = "no-store"
        return response
    subject = services.Subject.of(
        name=data["name"], birth_date=data["birth_date"], case_number=data["case_number"]
    )
    entry_ids = list(services.entries_for_subject(authority, subject).values_list("pk", flat=True))
    return _page(
        request,
        "incidents/export_result.html",
        "export",
        {"result": result, "form": form, "entry_ids": entry_ids, "delete_form": DeleteForm()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(roles=DPO)
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.report_for_dpo(request.user, pk)
    if report is None:
        raise PermissionDenied
    form = InspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.log_inspection(request.user, report, form.cleaned_data["reason"])
        return _page(
            request,
            "incidents/report_detail.html",
            "log",
            {"report": report, "staff": report.staff_involved.all(), "entries": [], "inspection": True},
        )
    return _page(
        request,
        "incidents/inspect.html",
        "log",
        {"form": form, "report": report},
        status=400 if request.method == "POST" else 200,
    )


# --- Art. 14 letters -------------------------------------------------------------------------------
def _keeper_letter(request: HttpRequest, pk: int):
    letter = queries.letters_for_keeper(request.user).filter(pk=pk).first()
    if letter is None:
        raise Http404
    return letter


@require_http_methods(["GET", "POST"])
@staff_required(roles=KEEPER)
def letters_page(request: HttpRequest) -> HttpResponse:
    authority = queries.keeper_authority(request.user)
    if authority is None:
        raise PermissionDenied
    template = letters.template_for(authority.pk)
    form = LetterTemplateForm(request.POST or None, instance=template)
    if request.method == "POST":
        if form.is_valid():
            form.instance.authority = authority
            form.save()
            messages.success(request, _("Die Vorlage ist gespeichert; sie gilt für neu freigegebene "
                                        "Hinweise."))
            return redirect("incidents:letters")
        status = 400
    else:
        status = 200
    return _page(request, "incidents/letters.html", "letters", {
        "letters": queries.letters_for_keeper(request.user)[:300], "form": form,
        "exceptions": template.exception_list()}, status=status)


@require_POST
@staff_required(roles=KEEPER)
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _keeper_letter(request, pk)
    document = letters.pdf(letter, request.POST.get("address", ""))
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="benachrichtigung-{letter.entry_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_required(roles=KEEPER)
def letter_decide(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _keeper_letter(request, pk)
    try:
        services.decide_letter(letter, request.user, sent=request.POST.get("action") == "sent",
                               exception=request.POST.get("exception", ""),
                               reason=request.POST.get("reason", ""))
    except IncidentError as exc:
        messages.error(request, exc.message)
        return _page(request, "incidents/letters.html", "letters", {
            "letters": queries.letters_for_keeper(request.user)[:300],
            "form": LetterTemplateForm(instance=letters.template_for(letter.entry.authority_id)),
            "exceptions": letters.exception_choices(letter.entry.authority_id), "error": exc.message},
            status=exc.status_code)
    return redirect("incidents:letters")
