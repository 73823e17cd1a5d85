"""Forms of the public directory: search, staff-directory filter, responsibility lookup."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Team

from .models import Service
from .queries import MAX_QUERY_LENGTH, public_services, public_teams
from .responsibility import MAX_CASE_NUMBER_LENGTH, MAX_SURNAME_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Welche Leistung suchen Sie?"), required=False, max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                      "placeholder": _("z. B. Personalausweis, Bürgergeld")}),
        error_messages={"max_length": _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")},
    )


class _AuthorityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Authority) -> str:
        return obj.name


class _TeamChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} ({obj.authority.name})"


class _ServiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return obj.name


INVALID_CHOICE = _("Bitte wählen Sie einen Eintrag aus der Liste.")


class PeopleFilterForm(forms.Form):
    authority = _AuthorityChoice(
        label=_("Behörde"), queryset=Authority.objects.order_by("name"), required=False,
        empty_label=_("alle Behörden"), error_messages={"invalid_choice": INVALID_CHOICE},
    )
    team = _TeamChoice(
        label=_("Team"), queryset=public_teams().order_by("authority__name", "name"), required=False,
        empty_label=_("alle Teams"), error_messages={"invalid_choice": INVALID_CHOICE},
    )

    def clean(self):
        data = super().clean()
        authority, team = data.get("authority"), data.get("team")
        if authority and team and team.authority_id != authority.pk:
            raise forms.ValidationError(_("Das Team gehört nicht zur gewählten Behörde."))
        return data


class ResponsibilityForm(forms.Form):
    authority = _AuthorityChoice(
        label=_("Behörde"), queryset=Authority.objects.order_by("name"),
        empty_label=_("Bitte wählen"),
        error_messages={"required": _("Bitte wählen Sie die Behörde aus."),
                        "invalid_choice": INVALID_CHOICE},
    )
    surname = forms.CharField(
        label=_("Nachname"), required=False, max_length=MAX_SURNAME_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"max_length": _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")},
    )
    case_number = forms.CharField(
        label=_("Aktenzeichen oder Nummer der Bedarfsgemeinschaft"), required=False,
        max_length=MAX_CASE_NUMBER_LENGTH,
        help_text=_("Steht oben rechts auf Ihren Bescheiden, z. B. 12345BG0012345."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"max_length": _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")},
    )
    service = _ServiceChoice(
        label=_("Anliegen (optional)"), queryset=public_services().order_by("name"), required=False,
        empty_label=_("kein bestimmtes Anliegen"), error_messages={"invalid_choice": INVALID_CHOICE},
    )

    def clean(self):
        data = super().clean()
        if not (data.get("surname") or "").strip() and not (data.get("case_number") or "").strip() \
                and not self.has_error("surname") and not self.has_error("case_number"):
            raise forms.ValidationError(
                _("Bitte geben Sie Ihren Nachnamen oder Ihr Aktenzeichen an."))
        authority, service = data.get("authority"), data.get("service")
        if authority and service and service.authority_id != authority.pk:
            self.add_error("service", _("Diese Leistung gehört nicht zur gewählten Behörde."))
        return data
