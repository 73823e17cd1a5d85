"""Thin views: the staff dashboard with its CSV downloads, and the public reachability page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buergerkontakt.core import spreadsheet
from buergerkontakt.core.decorators import staff_required
from buergerkontakt.directory.queries import get_public_location

from . import kpis, opendata, queries
from .forms import FilterForm
from .queries import REPORT_ROLES


def _filtered(request: HttpRequest):
    """(form, scope, period) of the request; period None when the filter is invalid."""
    today = timezone.localdate()
    scope = queries.scope_for(request.user)
    form = FilterForm(scope, today, request.GET or None)
    if not request.GET:
        form = FilterForm(scope, today, {})
    if not form.is_valid():
        return form, scope, None
    data = form.cleaned_data
    return form, queries.narrow(scope, data.get("standort"), data.get("team")), data["period"]


@require_GET
@staff_required(roles=REPORT_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, scope, period = _filtered(request)
    context = {"form": form, "period": period, "query": request.GET.urlencode()}
    if period is None:
        return render(request, "reports/dashboard.html", context, status=400)
    context["sections"] = queries.dashboard(scope, period, timezone.now())
    context["granularity"] = period.granularity
    return render(request, "reports/dashboard.html", context)


def csv_response(table: kpis.Table, filename: str) -> HttpResponse:
    """Semicolon-separated UTF-8 with a byte-order mark: opens correctly in German Excel and
    LibreOffice (decimal comma, umlauts); the first row names the columns."""
    rows = ([kpis.csv_value(row.get(column.key), column.kind) for column in table.columns]
            for row in table.rows)
    return spreadsheet.download(filename, [column.label for column in table.columns], rows)


@require_GET
@staff_required(roles=REPORT_ROLES)
def table_csv(request: HttpRequest, key: str) -> HttpResponse:
    if key not in queries.TABLE_SECTIONS:
        raise Http404(_("Diese Tabelle gibt es nicht."))
    form, scope, period = _filtered(request)
    if period is None:
        return render(request, "reports/dashboard.html", {"form": form, "period": None}, status=400)
    table = queries.table(key, scope, period, timezone.now())
    if table is None:
        raise Http404(_("Für diese Tabelle liegen keine Daten vor."))
    return csv_response(table, f"{key}_{period.first.isoformat()}_{period.last.isoformat()}.csv")


@require_GET
def reachability(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_public_location(slug)
    document = opendata.office(location)
    phone = [
        {"name": owner["name"], "kind": owner["kind"], "lines": opendata.weekly_lines(owner["windows"])}
        for owner in document["phone_hours"]
    ]
    return render(
        request,
        "reports/reachability.html",
        {
            "location": location,
            "doc": document,
            "phone": phone,
            "api_url": f"/api/opendata/reachability/{location.slug}",
        },
    )
