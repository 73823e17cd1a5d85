"""Forms of the incident register (German errors at the field; what was typed is kept)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import LEVEL_DESCRIPTIONS, Entry, IncidentType, LetterTemplate, Level, Measure
from .services import DELETION_REASONS, LIMITS

TOO_LONG = _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")
INVALID_DATE = _("Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")
INVALID_DATETIME = _("Bitte geben Sie Datum und Uhrzeit gültig ein (TT.MM.JJJJ HH:MM).")
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, LevelChoiceField):
                field.choices = level_choices(field.allowed)


def required(message) -> dict:
    return {"required": message, "max_length": TOO_LONG}


def date_field(label, *, required_message=None, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        required=required_message is not None,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": required_message or "", "invalid": INVALID_DATE},
        **kwargs,
    )


def text_field(label, limit_key: str, *, required_message=None, rows: int | None = None, **kwargs):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
    return forms.CharField(
        label=label,
        max_length=LIMITS[limit_key],
        required=required_message is not None,
        widget=widget,
        error_messages=required(required_message or ""),
        **kwargs,
    )


def level_choices(allowed=tuple(Level.values)) -> list[tuple[int, str]]:
    """Levels with their description (built per form: labels follow the active language)."""
    return [
        (
            value,
            format_html('{} <span class="level-description">{}</span>', label, LEVEL_DESCRIPTIONS[value]),
        )
        for value, label in Level.choices
        if value in allowed
    ]


class LevelChoiceField(forms.TypedChoiceField):
    def __init__(self, allowed=tuple(Level.values), **kwargs):
        self.allowed = tuple(allowed)
        super().__init__(
            choices=[(v, str(v)) for v in self.allowed],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Bitte wählen Sie die Stufe."),
                "invalid_choice": _("Bitte wählen Sie eine der angebotenen Stufen."),
            },
            **kwargs,
        )


class StaffChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class RoomChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        label = f"{obj.number} {obj.name}".strip()
        return f"{obj.floor.location.name} – {obj.floor.name} – {label}"


class ReportForm(Form):
    occurred_at = forms.DateTimeField(
        label=_("Datum und Uhrzeit"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("Bitte geben Sie an, wann der Vorfall war."),
            "invalid": INVALID_DATETIME,
        },
    )
    location = forms.ModelChoiceField(
        label=_("Standort"),
        queryset=None,
        empty_label=_("– bitte wählen –"),
        error_messages={
            "required": _("Bitte wählen Sie den Standort."),
            "invalid_choice": _("Bitte wählen Sie einen Standort aus der Liste."),
        },
    )
    room = RoomChoice(
        label=_("Raum"),
        queryset=None,
        required=False,
        empty_label=_("– kein bestimmter Raum –"),
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Raum aus der Liste.")},
    )
    place = text_field(_("Ort im Gebäude (wenn kein Raum passt)"), "place")
    level = LevelChoiceField(label=_("Stufe nach dem Aachener Modell"))
    types = forms.MultipleChoiceField(
        label=_("Art des Vorfalls"),
        choices=IncidentType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Bitte wählen Sie mindestens eine Art des Vorfalls."),
            "invalid_choice": _("Bitte wählen Sie aus den angebotenen Arten."),
        },
    )
    narrative = text_field(
        _("Was ist passiert?"),
        "narrative",
        rows=8,
        required_message=_("Bitte beschreiben Sie, was passiert ist."),
        help_text=_("Sachlich und in zeitlicher Reihenfolge: wer, was, wann, wo."),
    )
    staff_involved = StaffChoice(
        label=_("Beteiligte Mitarbeitende"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Mehrfachauswahl mit Strg bzw. Umschalt."),
    )
    staff_involved_text = text_field(_("Weitere Beteiligte"), "text", rows=2)
    witnesses = text_field(_("Zeuginnen und Zeugen"), "text", rows=2)
    injuries = text_field(_("Verletzungen"), "text", rows=2, help_text=_("Leer: niemand wurde verletzt."))
    person_name = text_field(_("Name der Person"), "name", help_text=_("Nur wenn bekannt."))
    person_birth_date = date_field(_("Geburtsdatum der Person"))
    person_case_number = text_field(_("Aktenzeichen / Kundennummer der Person"), "case_number")
    house_ban = forms.BooleanField(label=_("Hausverbot erteilt"), required=False)
    criminal_complaint = forms.BooleanField(label=_("Strafanzeige erstattet"), required=False)
    complaint_file_number = text_field(_("Aktenzeichen der Strafanzeige"), "file_number")
    accident_report = forms.BooleanField(label=_("Unfallanzeige erstattet"), required=False)
    aftercare_offered = forms.BooleanField(
        label=_("Nachsorge angeboten (Gespräch, Betriebsarzt, Unfallkasse)"), required=False
    )
    aftercare_note = text_field(_("Nachsorge – Anmerkung"), "text", rows=2)
    alarm = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, locations, rooms, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["room"].queryset = rooms
        self.fields["staff_involved"].queryset = staff
        for name in ("person_name", "person_case_number", "complaint_file_number", "witnesses"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value and value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("Der Zeitpunkt liegt in der Zukunft."))
        return value

    def clean_person_birth_date(self):
        value = self.cleaned_data.get("person_birth_date")
        if value and value >= timezone.localdate():
            raise forms.ValidationError(_("Das Geburtsdatum muss in der Vergangenheit liegen."))
        return value

    def clean(self):
        data = super().clean()
        room, location = data.get("room"), data.get("location")
        if room and location and room.floor.location_id != location.pk:
            self.add_error("room", _("Der Raum gehört nicht zum gewählten Standort."))
        if data.get("criminal_complaint") and not data.get("complaint_file_number"):
            self.add_error(
                "complaint_file_number", _("Bitte geben Sie das Aktenzeichen der Strafanzeige an.")
            )
        return data


MEASURE_HELP = _("Wird bei einer Abfrage und am Termin angezeigt – ohne Details zum Vorfall.")


class EntryForm(Form):
    name = text_field(_("Name"), "name", required_message=_("Bitte geben Sie den Namen an."))
    birth_date = date_field(_("Geburtsdatum"), required_message=_("Bitte geben Sie das Geburtsdatum an."))
    case_number = text_field(
        _("Aktenzeichen / Kundennummer"),
        "case_number",
        help_text=_("Optional; Termine und Rückrufe mit dieser Nummer zeigen den Hinweis."),
    )
    level = LevelChoiceField(label=_("Stufe"), allowed=(2, 3))
    complaint_file_number = text_field(
        _("Aktenzeichen der Strafanzeige"),
        "file_number",
        required_message=_(
            "Ein Gefährdungshinweis setzt eine erstattete Strafanzeige voraus: Bitte geben Sie "
            "deren Aktenzeichen an."
        ),
    )
    measures = forms.MultipleChoiceField(
        label=_("Empfohlene Maßnahmen"),
        choices=Measure.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=MEASURE_HELP,
    )
    measures_note = text_field(
        _("Weitere Maßnahme"), "measures_note", help_text=_("Kurz und ohne Angaben zum Vorfall.")
    )
    review_on = date_field(
        _("Überprüfung am"), required_message=_("Bitte geben Sie ein Überprüfungsdatum an.")
    )
    reason = text_field(
        _("Begründung"),
        "reason",
        rows=5,
        required_message=_("Bitte begründen Sie den Hinweis."),
        help_text=_("Nur für die Zentrale Stelle sichtbar."),
    )

    def __init__(self, *args, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if correcting:
            for name in ("complaint_file_number", "reason"):
                del self.fields[name]
            self.fields["note"] = text_field(
                _("Anlass der Berichtigung"),
                "purpose",
                required_message=_("Bitte nennen Sie den Anlass der Berichtigung."),
            )
        for name in ("name", "case_number"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["birth_date"].widget.attrs["autocomplete"] = "off"

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value and value >= timezone.localdate():
            raise forms.ValidationError(_("Das Geburtsdatum muss in der Vergangenheit liegen."))
        return value

    def clean_review_on(self):
        value = self.cleaned_data["review_on"]
        if value and value <= timezone.localdate():
            raise forms.ValidationError(_("Das Überprüfungsdatum muss in der Zukunft liegen."))
        return value

    def clean(self):
        data = super().clean()
        if "measures" in data and not data.get("measures") and not data.get("measures_note"):
            self.add_error("measures", _("Bitte empfehlen Sie mindestens eine Maßnahme."))
        return data


class OutcomeForm(Form):
    outcome = forms.ChoiceField(
        label=_("Ausgang des Strafverfahrens"),
        choices=Entry.Proceedings.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Bitte wählen Sie den Ausgang des Verfahrens.")},
        help_text=_("Bei Freispruch oder Einstellung wird der Hinweis sofort gelöscht."),
    )


class DeleteForm(Form):
    reason = forms.ChoiceField(
        label=_("Löschgrund"),
        choices=[(k, v) for k, v in DELETION_REASONS.items() if k in ("request", "review")],
        widget=forms.RadioSelect,
        error_messages={"required": _("Bitte wählen Sie einen Löschgrund.")},
    )


class AccessRequestForm(Form):
    reason = text_field(
        _("Begründung"),
        "grant_reason",
        rows=3,
        required_message=_("Bitte begründen Sie, wofür Sie den Zugang brauchen."),
        help_text=_("Z. B. regelmäßige Gespräche mit Kundinnen und Kunden in Ihrem Büro."),
    )
    until = date_field(
        _("Zugang bis"), required_message=_("Bitte geben Sie an, bis wann Sie den Zugang brauchen.")
    )

    def clean_until(self):
        value = self.cleaned_data["until"]
        today = timezone.localdate()
        if value and value <= today:
            raise forms.ValidationError(_("Bitte wählen Sie ein Datum in der Zukunft."))
        if value and value > today + timedelta(days=settings.INCIDENT_ACCESS_MAX_DAYS):
            raise forms.ValidationError(
                _("Registerzugang gibt es für höchstens %(days)d Tage.")
                % {"days": settings.INCIDENT_ACCESS_MAX_DAYS}
            )
        return value


class DecideForm(Form):
    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        widget=forms.RadioSelect,
        choices=[("approve", _("genehmigen")), ("reject", _("ablehnen"))],
        error_messages={"required": _("Bitte wählen Sie genehmigen oder ablehnen.")},
    )
    valid_until = date_field(
        _("gültig bis einschließlich"), help_text=_("Leer: wie beantragt. Höchstens zwölf Monate.")
    )


class LookupForm(Form):
    name = text_field(_("Name"), "name")
    birth_date = date_field(_("Geburtsdatum"))
    case_number = text_field(_("oder Aktenzeichen / Kundennummer"), "case_number")
    purpose = text_field(
        _("Zweck der Abfrage"),
        "purpose",
        required_message=_("Bitte nennen Sie den Zweck der Abfrage, z. B. den Termin."),
        help_text=_("Z. B. „Termin am 12.03. um 10:00 Uhr, Raum 1.10“. Wird protokolliert."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "case_number", "purpose"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["birth_date"].widget.attrs["autocomplete"] = "off"

    def clean_purpose(self):
        # what counts as a purpose (words of real length, or a booking code / ticket number of the
        # authority) is decided by services.lookup
        return " ".join(self.cleaned_data["purpose"].split())

    def clean(self):
        data = super().clean()
        has_person = data.get("name") and data.get("birth_date")
        if not has_person and not data.get("case_number") and not self.has_error("birth_date"):
            if data.get("name") and not data.get("birth_date"):
                self.add_error("birth_date", _("Bitte geben Sie zum Namen das Geburtsdatum an."))
            elif data.get("birth_date") and not data.get("name"):
                self.add_error("name", _("Bitte geben Sie zum Geburtsdatum den Namen an."))
            else:
                self.add_error(None, _("Bitte geben Sie Name und Geburtsdatum oder ein Aktenzeichen an."))
        return data


class ExportForm(Form):
    name = text_field(_("Name"), "name", required_message=_("Bitte geben Sie den Namen an."))
    birth_date = date_field(_("Geburtsdatum"), required_message=_("Bitte geben Sie das Geburtsdatum an."))
    case_number = text_field(_("Aktenzeichen / Kundennummer"), "case_number")
    note = forms.CharField(
        label=_("Vorgang und Begründung (z. B. Antrag vom …)"),
        min_length=20,
        max_length=300,
        help_text=_("Pflichtangabe: Die Auskunft enthält Schilderungen; die Begründung wird protokolliert."),
        error_messages={
            "required": _("Bitte nennen Sie den Vorgang, zu dem Sie Auskunft erteilen."),
            "min_length": _("Bitte nennen Sie den Vorgang (mindestens 20 Zeichen)."),
            "max_length": TOO_LONG,
        },
    )


class InspectionForm(Form):
    reason = forms.CharField(
        label=_("Begründung der Einsicht"),
        min_length=20,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Bitte begründen Sie die Einsicht."),
            "min_length": _("Bitte begründen Sie die Einsicht (mindestens 20 Zeichen)."),
            "max_length": TOO_LONG,
        },
    )


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["sender", "text", "exceptions"]
        widgets = {"sender": forms.Textarea(attrs={"rows": 3}), "text": forms.Textarea(attrs={"rows": 16}),
                   "exceptions": forms.Textarea(attrs={"rows": 3})}
