"""Public directory pages (thin views over queries.py, publication.py and responsibility.py)."""

from __future__ import annotations

import re
from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from buergerkontakt.core.models import Authority, Team

from . import hours, queries
from .forms import PeopleFilterForm, ResponsibilityForm, SearchForm
from .models import HoursKind
from .publication import visible_people
from .responsibility import find_responsible_team

slug_re = re.compile(r"[-a-zA-Z0-9_]+")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html", {
        "form": SearchForm(),
        "popular": queries.popular_services(),
        "locations": queries.location_statuses(),
    })


@require_GET
def services(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context: dict = {"form": form}
    if not form.is_valid():
        return render(request, "directory/services.html", context, status=400)
    query = form.cleaned_data["q"].strip()
    context["query"] = query
    if query:
        results = queries.search_services(query)
        context["results"] = results
        if not results:
            context["suggestions"] = queries.search_suggestions(query) or queries.popular_services()
    else:
        context["groups"] = queries.services_by_authority()
    return render(request, "directory/services.html", context)


@require_GET
def service(request: HttpRequest, slug: str) -> HttpResponse:
    obj = queries.get_public_service(slug)
    return render(request, "directory/service.html", {
        "service": obj,
        "places": queries.service_locations(obj),
    })


@require_GET
def locations(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/locations.html", {
        "locations": queries.location_statuses(),
    })


@require_GET
def location(request: HttpRequest, slug: str) -> HttpResponse:
    obj = queries.get_public_location(slug)
    detail = queries.location_detail(obj, base_url=request.build_absolute_uri("/").rstrip("/"))
    return render(request, "directory/location.html", {"detail": detail, "location": obj})


@require_GET
def people(request: HttpRequest) -> HttpResponse:
    form = PeopleFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "directory/people.html", {"form": form}, status=400)
    authority, team = form.cleaned_data["authority"], form.cleaned_data["team"]
    teams = queries.public_teams().order_by("authority__name", "name")
    if authority:
        teams = teams.filter(authority=authority)
    if team:
        teams = teams.filter(pk=team.pk)
    entries = visible_people(request.user, authority=authority, team=team)
    by_team: dict[int | None, list] = defaultdict(list)
    team_ids = {t.pk for t in teams}
    for entry in entries:
        placed = False
        for member_team in entry.teams:
            if member_team.pk in team_ids:
                by_team[member_team.pk].append(entry)
                placed = True
        if not placed and team is None:
            by_team[None].append(entry)
    sections = [(queries.team_contact(t), by_team.get(t.pk, [])) for t in teams]
    return render(request, "directory/people.html", {
        "form": form,
        "sections": sections,
        "unassigned": by_team.get(None, []),
        "today": timezone.localdate(),
    })


@require_http_methods(["GET", "POST"])
def responsibility(request: HttpRequest) -> HttpResponse:
    # POST keeps surnames and case numbers out of URLs, browser history and access logs.
    if request.method != "POST":
        initial = {}
        authority_slug = request.GET.get("behoerde", "")
        if authority_slug and slug_re.fullmatch(authority_slug[:80]):
            initial["authority"] = Authority.objects.filter(slug=authority_slug[:80]).first()
        return render(request, "directory/responsibility.html",
                      {"form": ResponsibilityForm(initial=initial)})
    form = ResponsibilityForm(request.POST)
    if not form.is_valid():
        return render(request, "directory/responsibility.html", {"form": form}, status=400)
    data = form.cleaned_data
    rule = find_responsible_team(data["authority"], surname=data["surname"],
                                 case_number=data["case_number"], service=data["service"])
    context: dict = {"form": form, "searched": True, "authority": data["authority"]}
    team: Team | None = rule.team if rule else None
    if team is not None and team.is_public:
        context["contact"] = queries.team_contact(team)
        context["people"] = visible_people(request.user, team=team)
        context["opening"] = hours.reachability(team.location, HoursKind.OPENING)
    return render(request, "directory/responsibility.html", context)
