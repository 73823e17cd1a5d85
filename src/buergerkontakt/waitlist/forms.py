"""The public registration form (works without JavaScript; German errors)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Schedule, ServiceGroup
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service

from .services import FIELD_LIMITS, MAX_RANGE_DAYS

MAX_SERVICES = 5
TOO_LONG = _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")
INVALID_DATE = _("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ).")


def bookable_services():
    """Public, online-bookable services that some service group gives appointments for."""
    grouped = ServiceGroup.services.through.objects.filter(service_id=OuterRef("pk"))
    return (Service.objects.filter(is_public=True, online_bookable=True).filter(Exists(grouped))
            .select_related("authority").order_by("name", "pk"))


def bookable_locations():
    """Public locations where some service group has a schedule."""
    return (Location.objects.filter(is_public=True)
            .filter(Exists(Schedule.objects.filter(location_id=OuterRef("pk"))))
            .order_by("name", "pk"))


class _NamedChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class DateField(forms.DateField):
    input_formats = ["%Y-%m-%d", "%d.%m.%Y"]
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"invalid": INVALID_DATE}


class RegisterForm(forms.Form):
    services = _NamedChoice(
        label=_("Leistung"), queryset=bookable_services(), widget=forms.CheckboxSelectMultiple,
        help_text=_("Mehrere Leistungen erhalten einen gemeinsamen Termin."),
        error_messages={"required": _("Bitte wählen Sie mindestens eine Leistung."),
                        "invalid_choice": _("Bitte wählen Sie eine Leistung aus der Liste."),
                        "invalid_pk_value": _("Bitte wählen Sie eine Leistung aus der Liste.")},
    )
    locations = _NamedChoice(
        label=_("Standorte"), queryset=bookable_locations(), widget=forms.CheckboxSelectMultiple,
        required=False, help_text=_("Wählen Sie keinen Standort, kommen alle Standorte in Frage."),
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Standort aus der Liste."),
                        "invalid_pk_value": _("Bitte wählen Sie einen Standort aus der Liste.")},
    )
    date_from = DateField(label=_("frühestens am"),
                          error_messages={"required": _("Bitte geben Sie an, ab wann Sie Zeit haben.")})
    date_until = DateField(label=_("spätestens am"),
                           error_messages={"required": _("Bitte geben Sie an, bis wann Sie Zeit haben.")})
    mornings = forms.BooleanField(label=_("vormittags (vor 12 Uhr)"), required=False, initial=True)
    afternoons = forms.BooleanField(label=_("nachmittags (ab 12 Uhr)"), required=False, initial=True)
    deadline = DateField(
        label=_("Frist (optional)"), required=False,
        help_text=_("Zum Beispiel, wann Ihr Ausweis oder Aufenthaltstitel abläuft. Wer eine frühere Frist "
                    "hat, erhält zuerst ein Angebot; Termine danach bieten wir nicht an."),
    )
    name = forms.CharField(label=_("Vor- und Nachname"), max_length=FIELD_LIMITS["name"],
                           widget=forms.TextInput(attrs={"autocomplete": "name"}),
                           error_messages={"required": _("Bitte geben Sie Ihren Namen an."),
                                           "max_length": TOO_LONG})
    email = forms.EmailField(label=_("E-Mail-Adresse"), max_length=FIELD_LIMITS["email"],
                             help_text=_("An diese Adresse schicken wir die Terminangebote."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                             error_messages={"required": _("Bitte geben Sie Ihre E-Mail-Adresse an."),
                                             "invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse an."),
                                             "max_length": TOO_LONG})
    phone = forms.CharField(label=_("Mobilnummer (optional)"), required=False,
                            max_length=FIELD_LIMITS["phone"],
                            help_text=_("Dann erhalten Sie Angebote zusätzlich per SMS."),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
                            error_messages={"max_length": TOO_LONG})
    case_number = forms.CharField(label=_("Aktenzeichen / Kundennummer (optional)"), required=False,
                                  max_length=FIELD_LIMITS["case_number"],
                                  widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                "spellcheck": "false"}),
                                  error_messages={"max_length": TOO_LONG})
    interpreter_language = forms.CharField(label=_("Ich brauche eine Dolmetscherin / einen Dolmetscher für"),
                                           required=False, max_length=FIELD_LIMITS["interpreter_language"],
                                           error_messages={"max_length": TOO_LONG})
    wheelchair = forms.BooleanField(label=_("Ich brauche einen rollstuhlgerechten Zugang."), required=False)
    sign_language = forms.BooleanField(label=_("Ich brauche Gebärdensprache."), required=False)
    note = forms.CharField(label=_("Hinweis (optional)"), required=False, max_length=FIELD_LIMITS["note"],
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages={"max_length": TOO_LONG})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets on every request (new services or schedules appear without a restart).
        self.fields["services"].queryset = bookable_services()
        self.fields["locations"].queryset = bookable_locations()
        today = timezone.localdate()
        for name in ("date_from", "date_until", "deadline"):
            self.fields[name].widget.attrs["min"] = today.isoformat()
        latest = (today + timedelta(days=MAX_RANGE_DAYS)).isoformat()
        self.fields["date_from"].widget.attrs["max"] = latest
        self.fields["date_until"].widget.attrs["max"] = latest

    def clean_services(self):
        chosen = self.cleaned_data["services"]
        if len(chosen) > MAX_SERVICES:
            raise forms.ValidationError(_("Bitte wählen Sie höchstens %(max)d Leistungen.")
                                        % {"max": MAX_SERVICES})
        return chosen

    def clean_phone(self):
        # The same rule as the service, so its error is shown at this field in the first round.
        try:
            return booking.normalise_phone(self.cleaned_data.get("phone") or "")
        except BookingError:
            raise forms.ValidationError(_("Bitte geben Sie eine gültige Mobilnummer an, "
                                          "z. B. 0151 23456789.")) from None

    def _check_combination(self, data) -> None:
        """Services that cannot share one appointment, or a location that does not offer them."""
        chosen = list(data.get("services") or [])
        if not chosen:
            return
        try:
            booking.group_for(chosen)
        except BookingError as exc:
            self.add_error("services", exc.message)
            return
        for location in data.get("locations") or []:
            try:
                booking.group_for(chosen, location)
            except BookingError:
                self.add_error("locations", _("%(location)s bietet diese Leistung nicht an.")
                               % {"location": location.name})

    def clean(self):
        data = super().clean()
        self._check_combination(data)
        if not data.get("mornings") and not data.get("afternoons"):
            self.add_error("afternoons", _("Bitte wählen Sie vormittags, nachmittags oder beides."))
        start, end = data.get("date_from"), data.get("date_until")
        today = timezone.localdate()
        if start and start < today:
            self.add_error("date_from", _("Der Zeitraum darf nicht in der Vergangenheit beginnen."))
        if start and end and end < start:
            self.add_error("date_until", _("Das Ende des Zeitraums liegt vor seinem Beginn."))
        if end and end > today + timedelta(days=MAX_RANGE_DAYS):
            self.add_error("date_until", _("Der Zeitraum darf höchstens %(days)d Tage in die Zukunft "
                                           "reichen.") % {"days": MAX_RANGE_DAYS})
        deadline = data.get("deadline")
        if deadline and deadline < today:
            self.add_error("deadline", _("Die Frist liegt in der Vergangenheit."))
        return data
