"""Admin for the directory's master data, scoped to the administrator's authorities."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from buergerkontakt.core.admin_scope import ScopedAdminMixin, _authority_path_for, admin_authority_ids
from buergerkontakt.core.models import Authority

from . import queries
from .models import (
    CalendarException,
    HoursRule,
    PublicationConsent,
    ResponsibilityRule,
    SecurityException,
    Service,
)
from .responsibility import (
    MAX_CASE_NUMBER_LENGTH,
    MAX_SURNAME_LENGTH,
    find_responsible_team,
    normalize_surname,
    responsible_person,
)


def _scope_either(qs, request, *paths: str):
    """Filter ``qs`` to rows whose authority (reached through any of ``paths``) the user administers."""
    ids = admin_authority_ids(request.user)
    if ids is None:
        return qs
    condition = Q()
    for lookup in paths:
        condition |= Q(**{f"{lookup}__in": ids})
    return qs.filter(condition).distinct()


RELATED_ONLY = admin.RelatedOnlyFieldListFilter


class ScopedM2MMixin:
    """Offer only objects of the user's own authorities in many-to-many and service choices too."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        ids = admin_authority_ids(request.user)
        if ids is not None and field is not None and db_field.related_model is Service:
            field.queryset = field.queryset.filter(authority_id__in=ids)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        ids = admin_authority_ids(request.user)
        if ids is not None and field is not None:
            lookup = _authority_path_for(db_field.related_model)
            if lookup:
                field.queryset = field.queryset.filter(**{f"{lookup}__in": ids})
        return field


class ServiceForm(forms.ModelForm):
    """Refuses an online-bookable duration longer than every capacity window of the service's
    groups at the locations where it is offered (it could never be booked)."""

    class Meta:
        model = Service
        fields = ("authority", "name", "slug", "synonyms", "is_public", "description", "what_to_bring", "fee",
                  "duration_minutes", "online_bookable", "locations", "teams")

    def clean(self):
        cleaned = super().clean()
        duration, locations = cleaned.get("duration_minutes"), cleaned.get("locations")
        if cleaned.get("online_bookable") and duration and locations is not None and self.instance.pk:
            problems = queries.service_duration_problems(self.instance.pk, duration,
                                                         [loc.pk for loc in locations])
            for message in problems:
                self.add_error("duration_minutes", message)
        return cleaned


@admin.register(Service)
class ServiceAdmin(ScopedAdminMixin, ScopedM2MMixin, admin.ModelAdmin):
    form = ServiceForm
    authority_path = "authority"
    list_display = ("name", "authority", "duration_minutes", "online_bookable", "is_public")
    list_filter = (("authority", RELATED_ONLY), "online_bookable", "is_public")
    search_fields = ("name", "synonyms", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("locations", "teams")
    fieldsets = (
        (None, {"fields": ("authority", "name", "slug", "synonyms", "is_public")}),
        (_("Für Bürgerinnen und Bürger"), {"fields": ("description", "what_to_bring", "fee",
                                                      "duration_minutes", "online_bookable")}),
        (_("Wo und von wem"), {"fields": ("locations", "teams")}),
    )


@admin.register(HoursRule)
class HoursRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = ""  # location OR team: scoped in get_queryset
    list_display = ("rule", "owner", "kind", "weekday", "start", "end", "valid_from", "valid_until")
    list_display_links = ("rule",)
    list_editable = ("start", "end")
    list_filter = ("kind", "weekday", ("location", RELATED_ONLY), ("team", RELATED_ONLY))
    list_select_related = ("location", "team")
    ordering = ("location__name", "team__name", "kind", "weekday", "start")

    def get_queryset(self, request):
        return _scope_either(super().get_queryset(request), request,
                             "location__authority", "team__authority")

    @admin.display(description=_("Zeitfenster"))
    def rule(self, obj: HoursRule) -> str:
        return str(obj)

    @admin.display(description=_("Standort / Team"))
    def owner(self, obj: HoursRule) -> str:
        return str(obj.team or obj.location)


@admin.register(CalendarException)
class CalendarExceptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = ""  # authority OR location: scoped in get_queryset
    list_display = ("date", "reason", "closed", "start", "end", "kinds", "scope")
    list_filter = ("closed", ("authority", RELATED_ONLY), ("location", RELATED_ONLY))
    search_fields = ("reason",)
    date_hierarchy = "date"
    ordering = ("-date",)

    def get_queryset(self, request):
        return _scope_either(super().get_queryset(request), request, "authority", "location__authority")

    @admin.display(description=_("gilt für"))
    def scope(self, obj: CalendarException) -> str:
        return str(obj.location or obj.authority)


class PublicationConsentForm(forms.ModelForm):
    class Meta:
        model = PublicationConsent
        fields = ("staff", "level", "granted_at")

    def clean(self):
        data = super().clean()
        staff = data.get("staff")
        if staff and not self.instance.pk and PublicationConsent.objects.filter(
                staff=staff, revoked_at__isnull=True).exists():
            raise forms.ValidationError(_(
                "Für diese Person gibt es bereits eine gültige Einwilligung. Bitte widerrufen Sie "
                "diese zuerst und erfassen Sie dann die neue."))
        return data


@admin.register(PublicationConsent)
class PublicationConsentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "staff__authority"
    form = PublicationConsentForm
    list_display = ("staff", "level", "granted_at", "recorded_by", "revoked_at", "revoked_by")
    list_filter = ("level", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("staff__last_name", "staff__first_name", "staff__username")
    list_select_related = ("staff", "recorded_by", "revoked_by")
    readonly_fields = ("recorded_by", "revoked_at", "revoked_by")
    actions = ("revoke",)

    def get_readonly_fields(self, request, obj=None):
        # A recorded consent is a fact: change it by revoking and recording a new one.
        if obj is not None:
            return ("staff", "level", "granted_at", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("widerrufen"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        now = timezone.now()
        count = 0
        for consent in queryset.filter(revoked_at__isnull=True):
            consent.revoked_at = now
            consent.revoked_by = request.user
            consent.save(update_fields=["revoked_at", "revoked_by"])
            count += 1
        self.message_user(request, ngettext("%(count)d Einwilligung widerrufen.",
                                            "%(count)d Einwilligungen widerrufen.", count)
                          % {"count": count}, messages.SUCCESS)


@admin.register(SecurityException)
class SecurityExceptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "staff__authority"
    list_display = ("staff", "created_at", "created_by")
    search_fields = ("staff__last_name", "staff__first_name", "staff__username")
    list_select_related = ("staff", "created_by")
    fields = ("staff", "reason", "created_at", "created_by")
    readonly_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class PreviewForm(forms.Form):
    authority = forms.ModelChoiceField(label=_("Behörde"), queryset=Authority.objects.none())
    surname = forms.CharField(label=_("Nachname"), required=False, max_length=MAX_SURNAME_LENGTH)
    case_number = forms.CharField(label=_("Aktenzeichen"), required=False,
                                  max_length=MAX_CASE_NUMBER_LENGTH)
    service = forms.ModelChoiceField(label=_("Leistung"), queryset=Service.objects.none(), required=False)

    def __init__(self, *args, authority_ids: set[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        authorities = Authority.objects.order_by("name")
        services = Service.objects.select_related("authority").order_by("authority__name", "name")
        if authority_ids is not None:
            authorities = authorities.filter(pk__in=authority_ids)
            services = services.filter(authority_id__in=authority_ids)
        self.fields["authority"].queryset = authorities
        self.fields["service"].queryset = services

    def clean(self):
        data = super().clean()
        if not (data.get("surname") or data.get("case_number") or data.get("service")):
            raise forms.ValidationError(_("Bitte Nachnamen, Aktenzeichen oder Leistung angeben."))
        return data


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(ScopedAdminMixin, ScopedM2MMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("priority", "rule", "surname_from", "surname_to", "case_number_pattern", "service",
                    "team", "caseworker", "authority")
    list_display_links = ("rule",)
    list_editable = ("priority",)
    list_filter = (("authority", RELATED_ONLY), ("team", RELATED_ONLY), ("service", RELATED_ONLY))
    list_select_related = ("authority", "team", "service", "caseworker")
    ordering = ("authority__name", "priority", "pk")
    change_list_template = "directory/admin/responsibilityrule_change_list.html"

    @admin.display(description=_("Regel"))
    def rule(self, obj: ResponsibilityRule) -> str:
        return str(obj)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("vorschau/", self.admin_site.admin_view(self.preview_view),
                 name="{}_{}_preview".format(*info)),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """'Vorschau: Welches Team wäre zuständig?' — runs the real matching on the entered data."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        ids = admin_authority_ids(request.user)
        form = PreviewForm(request.GET or None, authority_ids=ids)
        result = None
        searched = False
        if form.is_bound and form.is_valid():
            searched = True
            data = form.cleaned_data
            result = find_responsible_team(data["authority"], surname=data["surname"],
                                           case_number=data["case_number"], service=data["service"])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Vorschau: Welches Team wäre zuständig?"),
            "opts": self.model._meta,
            "form": form,
            "searched": searched,
            "result": result,
            "assignee": responsible_person(result, timezone.localdate()) if result else None,
            "surname_key": normalize_surname(form.cleaned_data.get("surname"))
            if searched else "",
            "result_url": reverse("admin:directory_responsibilityrule_change", args=[result.pk])
            if result else "",
        }
        return TemplateResponse(request, "directory/admin/responsibility_preview.html", context)
