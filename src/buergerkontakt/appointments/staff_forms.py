"""Forms of the staff pages: calendar filters, booking for a caller, assignment, rescheduling.

Every choice list is limited to what the signed-in user may see (``staff_services``), so a value
outside the user's scope is simply an invalid choice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import staff_services
from .services import MAX_SERVICES_PER_APPOINTMENT


class StaffForm(forms.Form):
    """Labels without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class CalendarFilterForm(StaffForm):
    """GET filters of the day and week views (all optional)."""

    tag = forms.DateField(label=_("Datum"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    standort = forms.ModelChoiceField(label=_("Standort"), queryset=None, required=False,
                                      empty_label=_("Alle Standorte"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False,
                                  empty_label=_("Alle Teams"))
    person = StaffChoiceField(label=_("Person"), queryset=None, required=False,
                              empty_label=_("Alle Personen"))
    # Set by the form itself: without it the page shows the user's default filter.
    gefiltert = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standort"].queryset = staff_services.visible_locations(user)
        self.fields["team"].queryset = staff_services.visible_teams(user)
        self.fields["person"].queryset = staff_services.visible_people(user)

    def out_of_scope(self) -> bool:
        """True when a well-formed id names something the user may not see (→ 404)."""
        return any(str(self.data.get(name, "")).isdigit() and error.code == "invalid_choice"
                   for name in ("standort", "team", "person")
                   for error in self.errors.as_data().get(name, []))


def _aware(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


class StartField(forms.CharField):
    """An aware datetime in ISO 8601 (the value of a time button)."""

    default_error_messages = {"invalid": _("Ungültige Uhrzeit. Bitte wählen Sie eine Uhrzeit aus der Liste.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        moment = _aware(value)
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


class BookingSearchForm(StaffForm):
    """Step 1–3 of a booking for a caller: services, location, day (GET)."""

    leistung = forms.ModelMultipleChoiceField(
        label=_("Leistungen"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Bitte wählen Sie mindestens eine Leistung."),
                        "invalid_choice": _("Diese Leistung können Sie nicht buchen.")},
    )
    standort = forms.ModelChoiceField(
        label=_("Standort"), queryset=None, required=False,
        empty_label=_("Alle Standorte (frühester Termin)"),
        error_messages={"invalid_choice": _("An diesem Standort können Sie nicht buchen.")},
    )
    tag = forms.DateField(label=_("Tag"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leistung"].queryset = staff_services.bookable_services(user)
        self.fields["standort"].queryset = staff_services.bookable_locations(user)

    def clean_leistung(self):
        chosen = self.cleaned_data["leistung"]
        if len(chosen) > MAX_SERVICES_PER_APPOINTMENT:
            raise forms.ValidationError(_("Bitte wählen Sie höchstens %(max)d Leistungen für einen Termin.")
                                        % {"max": MAX_SERVICES_PER_APPOINTMENT})
        return chosen


class HoldForm(BookingSearchForm):
    """Step 4: the chosen time (POST); holds it on the internal quota."""

    start = StartField(label=_("Uhrzeit"))
    schluessel = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["standort"].required = True
        self.fields["standort"].error_messages["required"] = _("Bitte wählen Sie einen Standort.")


def new_key() -> str:
    return uuid.uuid4().hex


class CallerForm(StaffForm):
    """The caller's details. Name is required; e-mail and mobile number are optional."""

    name = forms.CharField(label=_("Name"), max_length=200,
                           error_messages={"required": _("Bitte geben Sie den Namen an.")})
    email = forms.EmailField(label=_("E-Mail-Adresse (optional)"), max_length=254, required=False,
                             help_text=_("Dann erhält die Person eine Bestätigung mit Kalenderdatei."))
    phone = forms.CharField(label=_("Mobilnummer (optional)"), max_length=40, required=False,
                            help_text=_("Ohne E-Mail-Adresse geht die Bestätigung per SMS an diese Nummer."))
    case_number = forms.CharField(label=_("Aktenzeichen / Kundennummer (optional)"), max_length=60,
                                  required=False)
    interpreter_language = forms.CharField(label=_("Dolmetscher für Sprache (optional)"), max_length=60,
                                           required=False)
    wheelchair = forms.BooleanField(label=_("rollstuhlgerechter Zugang"), required=False)
    sign_language = forms.BooleanField(label=_("Gebärdensprache"), required=False)
    note = forms.CharField(label=_("Hinweis (optional)"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.ChoiceField(label=_("Sprache der Nachrichten"), choices=settings.LANGUAGES,
                                 initial="de")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs.update({"autocomplete": "off", "type": "tel"})


class AssignForm(StaffForm):
    mitarbeiter = StaffChoiceField(label=_("Zuständig"), queryset=None, required=False,
                                   empty_label=_("— niemand —"),
                                   error_messages={"invalid_choice": _(
                                       "Dieser Termin kann dieser Person nicht zugewiesen werden.")})

    def __init__(self, user, appointment, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mitarbeiter"].queryset = staff_services.assignable_staff(user, appointment)
        self.fields["mitarbeiter"].initial = appointment.staff_id


class RescheduleDayForm(StaffForm):
    tag = forms.DateField(label=_("Tag"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class RescheduleForm(StaffForm):
    start = StartField(label=_("Neue Uhrzeit"),
                       error_messages={"required": _("Bitte wählen Sie eine neue Uhrzeit.")})
    schluessel = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
