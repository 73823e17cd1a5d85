"""Forms of the citizen booking pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .exceptions import BookingError
from .services import FIELD_LIMITS, normalise_phone


class DetailsForm(forms.Form):
    """The citizen's details; the services validate them again (one source of truth)."""

    name = forms.CharField(label=_("Vor- und Nachname"), max_length=FIELD_LIMITS["name"],
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-Mail-Adresse"), required=False, max_length=FIELD_LIMITS["email"],
        help_text=_("Dorthin schicken wir die Bestätigung mit Kalenderdatei und den Link zum Absagen."),
        error_messages={"invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse an.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Mobilnummer"), required=False, max_length=FIELD_LIMITS["phone"],
        help_text=_("Optional; für eine Bestätigung und Erinnerung per SMS."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    case_number = forms.CharField(
        label=_("Aktenzeichen oder Kundennummer"), required=False, max_length=FIELD_LIMITS["case_number"],
        help_text=_("Falls vorhanden, z. B. von einem Schreiben der Behörde."),
    )
    interpreter_language = forms.CharField(
        label=_("Ich benötige eine Dolmetscherin oder einen Dolmetscher für die Sprache"), required=False,
        max_length=FIELD_LIMITS["interpreter_language"],
        help_text=_("Leer lassen, wenn Sie keine Übersetzung benötigen."),
    )
    wheelchair = forms.BooleanField(label=_("Ich benötige einen rollstuhlgerechten Zugang."),
                                    required=False)
    sign_language = forms.BooleanField(label=_("Ich benötige eine Übersetzung in Gebärdensprache."),
                                       required=False)
    note = forms.CharField(label=_("Hinweis für uns"), required=False, max_length=FIELD_LIMITS["note"],
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data.get("phone", ""))
        except BookingError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Bitte geben Sie eine E-Mail-Adresse oder eine Mobilnummer an, "
                                          "damit wir Ihnen die Bestätigung schicken können."))
        return data


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Buchungscode"), max_length=20,
                           help_text=_("Acht Zeichen, z. B. K7QX4MZP – steht in Ihrer Bestätigung."))
    contact = forms.CharField(label=_("E-Mail-Adresse oder Mobilnummer der Buchung"), max_length=254)
