"""Citizens' privacy pages (notices, access and erasure requests) and the DPO's queue.

GET requests never change anything (mail scanners prefetch links); confirming a request POSTs.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from buergerkontakt.core.decorators import staff_required
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.models import Authority, Role
from buergerkontakt.core.permissions import has_role

from . import notices, pdf, queries, services
from .forms import AnswerForm, RequestForm
from .models import Processing, RightsRequest


def _problem(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return render(request, "privacy/problem.html", {"message": exc.message}, status=exc.status_code)


# --- notices -------------------------------------------------------------------------------------
@require_GET
def notice(request: HttpRequest, processing: str) -> HttpResponse:
    if processing not in Processing.values:
        raise Http404
    authority = None
    slug = request.GET.get("behoerde", "")[:80]
    if slug:
        authority = Authority.objects.filter(slug=slug).first()
    context = notices.notice(processing, authority, (get_language() or "de")[:2])
    return render(request, "privacy/notice.html", context)


# --- citizens' requests --------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.submit_request(data["authority"], data["kind"], email=data["email"],
                                        phone=data["phone"], language=(get_language() or "de")[:2])
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("privacy:request_sent")
        return render(request, "privacy/request_form.html", {"form": form}, status=400)
    return render(request, "privacy/request_form.html", {"form": form})


@require_GET
def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/request_sent.html")


@require_http_methods(["GET", "POST"])
def request_page(request: HttpRequest, code: str) -> HttpResponse:
    token = request.GET.get("t", "")
    try:
        found = services.links.check_token(code, token)
        if request.method == "POST":
            services.verify_request(code, token)
            return redirect(f"{request.path}?t={token}")
        context = {"rr": found, "token": token}
        if found.status != RightsRequest.Status.UNVERIFIED and found.kind == RightsRequest.Kind.ACCESS:
            context["data"] = services.personal_data(found)
        return render(request, "privacy/request_page.html", context)
    except ServiceError as exc:
        return _problem(request, exc)


def _verified_request(request: HttpRequest, code: str) -> RightsRequest:
    found = services.links.check_token(code, request.GET.get("t", ""))
    if found.kind != RightsRequest.Kind.ACCESS or found.status == RightsRequest.Status.UNVERIFIED:
        raise services.PrivacyError(_("Bitte bestätigen Sie Ihre Anfrage zuerst über den Link."), 403)
    return found


def _json(found: RightsRequest) -> HttpResponse:
    response = HttpResponse(services.export_json(found), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="auskunft-{found.code}.json"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf(found: RightsRequest) -> HttpResponse:
    response = HttpResponse(pdf.export_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="auskunft-{found.code}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def request_json(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return _json(_verified_request(request, code))
    except ServiceError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status_code)


@require_GET
def request_pdf(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return _pdf(_verified_request(request, code))
    except ServiceError as exc:
        return _problem(request, exc)


# --- the DPO's queue -----------------------------------------------------------------------------
@staff_required(roles=(Role.DPO,))
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "privacy/queue.html", {
        "open": queries.open_requests(request.user), "closed": queries.closed_requests(request.user)[:50],
        "today": today})


def _own(request: HttpRequest, pk: int) -> RightsRequest:
    found = get_object_or_404(queries.visible_requests(request.user), pk=pk)
    if not has_role(request.user, Role.DPO, obj=found.authority):
        raise PermissionDenied
    return found


@staff_required(roles=(Role.DPO,))
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own(request, pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "refuse":
                services.refuse_request(found, request.user, answer=form.cleaned_data["answer"])
            else:
                services.complete_request(found, request.user, answer=form.cleaned_data["answer"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            return redirect("privacy:queue")
    else:
        status = 400 if request.method == "POST" else 200
    data = services.personal_data(found) if found.status == RightsRequest.Status.OPEN else None
    return render(request, "privacy/request_detail.html",
                  {"rr": found, "data": data, "form": form, "today": timezone.localdate()}, status=status)


@staff_required(roles=(Role.DPO,))
@require_GET
def request_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    found = _own(request, pk)
    if found.status != RightsRequest.Status.OPEN:
        return _problem(request, services.PrivacyError(
            _("Die Daten einer abgeschlossenen Anfrage werden nicht mehr zusammengestellt."), 409))
    return _json(found) if fmt == "json" else _pdf(found)
