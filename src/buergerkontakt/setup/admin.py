"""The set-up pages in the admin (issue 26, 2026-12-04), hung onto the location's admin.

Per location: the Konfigurationsprüfung (``<id>/pruefung/``), the week template
(``<id>/wochenvorlage/``), copying from another location (``<id>/kopieren/``) and the CSV import
(``<id>/import/``). Each page needs the right to change that location (administrators of its
authority; the admin's scoped queryset answers 404 for any other).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.appointments import configuration
from buergerkontakt.appointments.models import ServiceGroup
from buergerkontakt.core import spreadsheet
from buergerkontakt.core.admin import LocationAdmin as CoreLocationAdmin
from buergerkontakt.core.models import Location, User

from . import checks, imports, invitations, services
from .forms import CopyWeekForm, ImportForm, WeekTemplateForm


class LocationAdmin(CoreLocationAdmin):
    change_form_template = "setup/admin/location_change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:location_id>/pruefung/", view(self.check_view), name="setup_check"),
            path("<int:location_id>/wochenvorlage/", view(self.week_template_view),
                 name="setup_week_template"),
            path("<int:location_id>/kopieren/", view(self.copy_view), name="setup_copy"),
            *self.extra_urls(),
            *super().get_urls(),
        ]

    def extra_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:location_id>/import/", view(self.import_view), name="setup_import"),
            path("<int:location_id>/import/vorlage-<str:kind>.csv", view(self.import_template_view),
                 name="setup_import_template"),
        ]

    # --- helpers -----------------------------------------------------------------------------
    def location_for(self, request: HttpRequest, location_id: int, *, change: bool = True) -> Location:
        location = self.get_queryset(request).filter(pk=location_id).first()
        if location is None:
            raise Http404(_("Diesen Standort gibt es nicht oder Sie dürfen ihn nicht verwalten."))
        allowed = self.has_change_permission(request, location) if change else \
            self.has_view_permission(request, location)
        if not allowed:
            raise PermissionDenied
        return location

    def page(self, request: HttpRequest, template: str, location: Location, title: str, **context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": location,
            "location": location, "title": title, **context})

    # --- Konfigurationsprüfung ---------------------------------------------------------------------
    def check_view(self, request: HttpRequest, location_id: int) -> HttpResponse:
        location = self.location_for(request, location_id, change=False)
        results = checks.run_checks(location)
        previews = []
        for group in ServiceGroup.objects.filter(schedules__location=location).distinct().order_by("name"):
            for preview in configuration.capacity_preview(group):
                if preview.location.pk == location.pk:
                    previews.append((group, preview))
        return self.page(request, "setup/admin/check.html", location,
                         _("Konfigurationsprüfung: %(location)s") % {"location": location.name},
                         results=results, problems=sum(len(r.findings) for r in results),
                         previews=previews)

    # --- week template -----------------------------------------------------------------------------
    def week_template_view(self, request: HttpRequest, location_id: int) -> HttpResponse:
        location = self.location_for(request, location_id)
        groups = ServiceGroup.objects.filter(authority_id=location.authority_id)
        group = groups.filter(pk=request.GET["gruppe"]).first() if request.GET.get("gruppe", "").isdigit() \
            else (groups.filter(schedules__location=location).first() or groups.order_by("name").first())
        initial = WeekTemplateForm.initial_from(services.current_week(location, group))
        form = WeekTemplateForm(request.POST or None, location=location, initial=initial)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    saved = services.apply_week_template(location, form.template())
                except services.SetupError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _(
                        "Wochenvorlage gespeichert: %(opening)d Öffnungszeiten, %(phone)d Telefonzeiten, "
                        "%(walk_in)d Vorsprachezeiten, %(schedule)d Sprechzeiten. Die buchbaren Zeiten "
                        "sind sofort freigeschaltet.") % {"schedule": 0, **saved})
                    return redirect("admin:setup_check", location.pk)
            status = 400
        response = self.page(request, "setup/admin/week_template.html", location,
                             _("Wochenvorlage: %(location)s") % {"location": location.name}, form=form)
        response.status_code = status
        return response

    # --- copy from another location ------------------------------------------------------------------
    def copy_view(self, request: HttpRequest, location_id: int) -> HttpResponse:
        location = self.location_for(request, location_id)
        form = CopyWeekForm(request.POST or None, location=location)
        form.fields["source"].queryset = form.fields["source"].queryset.filter(
            pk__in=self.get_queryset(request).values("pk"))
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    copied = services.copy_week(data["source"], location, hours=data["hours"],
                                                schedules=data["schedules"])
                except services.SetupError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Übernommen: %(hours)d Zeitfenster und %(schedules)d "
                                                "Sprechzeiten.") % copied)
                    return redirect("admin:setup_check", location.pk)
            status = 400
        response = self.page(request, "setup/admin/copy.html", location,
                             _("Zeiten übernehmen: %(location)s") % {"location": location.name}, form=form)
        response.status_code = status
        return response


    # --- CSV import ------------------------------------------------------------------------------
    def import_view(self, request: HttpRequest, location_id: int) -> HttpResponse:
        location = self.location_for(request, location_id)
        form = ImportForm(request.POST or None, request.FILES or None)
        report, status = None, 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                report = imports.run_import(location, data["kind"], data["file"].read(),
                                            dry_run=data["dry_run"], actor=request.user)
                if report.committed:
                    messages.success(request, _("Import abgeschlossen: %(new)d neu, %(updated)d "
                                                "aktualisiert.")
                                     % {"new": report.count("created") + report.count("invited"),
                                        "updated": report.count("updated")})
                elif report.errors:
                    status = 400
            else:
                status = 400
        response = self.page(request, "setup/admin/import.html", location,
                             _("CSV-Import: %(location)s") % {"location": location.name}, form=form,
                             report=report,
                             kinds=[(kind, label, imports.COLUMNS[kind])
                                    for kind, label in form.fields["kind"].choices])
        response.status_code = status
        return response

    def import_template_view(self, request: HttpRequest, location_id: int, kind: str) -> HttpResponse:
        self.location_for(request, location_id)
        if kind not in imports.KINDS:
            raise Http404(_("Diese Vorlage gibt es nicht."))
        header, rows = imports.template_csv(kind)
        return spreadsheet.download(f"vorlage-{kind}.csv", header, rows)


@admin.action(description=gettext_lazy("Einladung (erneut) senden"), permissions=["change"])
def send_invitations(modeladmin, request: HttpRequest, queryset) -> None:
    sent = skipped = 0
    for user in queryset.filter(is_active=True):
        if user.email and not user.has_usable_password():
            invitations.invite(user)
            sent += 1
        else:
            skipped += 1
    modeladmin.message_user(request, _("%(sent)d Einladungen werden verschickt; %(skipped)d Konten "
                                       "übersprungen "
                                       "(schon mit Passwort oder ohne E-Mail-Adresse).")
                            % {"sent": sent, "skipped": skipped}, messages.SUCCESS)


def check_url(location: Location) -> str:
    return reverse("admin:setup_check", args=[location.pk])


admin.site.unregister(Location)
admin.site.register(Location, LocationAdmin)
admin.site.index_template = "setup/admin/index.html"
admin.site.get_model_admin(User).actions = [*admin.site.get_model_admin(User).actions, send_invitations]
