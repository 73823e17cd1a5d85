"""Forms of the agent screen, the ticket page and the citizen's online request (German errors)."""

from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import phones
from .exceptions import InvalidPhone
from .models import Outcome, Urgency
from .services import FIELD_LIMITS

TOO_LONG = _("Bitte geben Sie höchstens %(limit_value)d Zeichen ein.")
CHOOSE_OUTCOME = _("Bitte wählen Sie das Ergebnis des Anrufs.")

URGENCY_HELP = {
    Urgency.NORMAL: _("Rückruf innerhalb von zwei Arbeitstagen"),
    Urgency.URGENT: _("Rückruf am selben Arbeitstag"),
    Urgency.EMERGENCY: _("kein Geld, drohende Räumung, Strom- oder Gassperre: Rückruf binnen zwei "
                         "Arbeitsstunden"),
}


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class NamedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() if hasattr(obj, "get_full_name") else obj.name


class PhoneField(forms.CharField):
    """Validated with ``phonenumbers`` (German numbers without +49); cleaned to E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", phones.MAX_INPUT_LENGTH)
        kwargs.setdefault("error_messages", {"required": _("Bitte geben Sie eine Telefonnummer an."),
                                             "max_length": TOO_LONG})
        super().__init__(**kwargs)
        self.widget.attrs.update({"type": "tel", "autocomplete": "off", "inputmode": "tel"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return phones.normalise(value)
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None


class CallerFields(Form):
    name = forms.CharField(
        label=_("Name"), max_length=FIELD_LIMITS["caller_name"], required=False,
        help_text=_("„Vorname Nachname“ oder „Nachname, Vorname“"),
        error_messages={"max_length": TOO_LONG})
    phone = PhoneField(label=_("Rückrufnummer"), required=False)
    email = forms.EmailField(label=_("E-Mail-Adresse (optional)"), max_length=FIELD_LIMITS["email"],
                             required=False,
                             error_messages={"invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse an."),
                                             "max_length": TOO_LONG})
    case_number = forms.CharField(label=_("Aktenzeichen / BG-Nummer (optional)"), required=False,
                                  max_length=FIELD_LIMITS["case_number"],
                                  error_messages={"max_length": TOO_LONG})
    topic = forms.CharField(label=_("Anliegen"), max_length=FIELD_LIMITS["topic"], required=False,
                            error_messages={"max_length": TOO_LONG})
    note = forms.CharField(label=_("Notiz (optional)"), max_length=FIELD_LIMITS["note"], required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages={"max_length": TOO_LONG})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "email", "case_number"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})


class AgentForm(CallerFields):
    """The agent screen: one form, two buttons ("Rückrufticket anlegen" / "Direkt gelöst")."""

    service = forms.ModelChoiceField(label=_("Leistung"), queryset=None, required=False,
                                     empty_label=_("— keine bestimmte —"),
                                     error_messages={"invalid_choice": _(
                                         "Bitte wählen Sie eine Leistung aus der Liste.")})
    urgency = forms.ChoiceField(label=_("Dringlichkeit"), choices=Urgency.choices, initial=Urgency.NORMAL,
                                widget=forms.RadioSelect,
                                error_messages={"invalid_choice": _("Bitte wählen Sie eine Dringlichkeit.")})
    prefers_morning = forms.BooleanField(label=_("vormittags (bis 12 Uhr)"), required=False, initial=True)
    prefers_afternoon = forms.BooleanField(label=_("nachmittags (ab 12 Uhr)"), required=False, initial=True)
    team = NamedChoice(label=_("Team (nur wenn keine Regel passt)"), queryset=None, required=False,
                       empty_label=_("— nach Regeln —"),
                       error_messages={"invalid_choice": _(
                           "Dieses Team ist unbekannt. Bitte wählen Sie ein Team aus der Liste.")})

    field_order = ["name", "phone", "case_number", "service", "topic", "urgency", "prefers_morning",
                   "prefers_afternoon", "email", "note", "team"]

    def __init__(self, authority, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .queries import services_of, teams_of

        self.fields["service"].queryset = services_of(authority)
        self.fields["team"].queryset = teams_of(authority)
        if not self.is_bound:  # after errors the first invalid field gets the focus (form-errors.js)
            self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["urgency"].help_text = " · ".join(
            f"{label}: {URGENCY_HELP[value]}" for value, label in Urgency.choices)

    def clean(self):
        data = super().clean()
        solved = self.data.get("aktion") == "geloest"
        if not data.get("topic") and not data.get("service") and "topic" not in self.errors:
            self.add_error("topic", _("Bitte geben Sie das Anliegen an oder wählen Sie eine Leistung."))
        if not solved:
            if not data.get("name") and "name" not in self.errors:
                self.add_error("name", _("Bitte geben Sie den Namen der anrufenden Person an."))
            if not data.get("phone") and "phone" not in self.errors:
                self.add_error("phone", _("Bitte geben Sie eine Telefonnummer für den Rückruf an."))
            if not data.get("prefers_morning") and not data.get("prefers_afternoon"):
                data["prefers_morning"] = data["prefers_afternoon"] = True
        return data


class PreviewForm(Form):
    """The routing preview (GET): the same fields, none required, never an error page."""

    name = forms.CharField(label=_("Name"), required=False, max_length=FIELD_LIMITS["caller_name"])
    case_number = forms.CharField(label=_("Aktenzeichen / BG-Nummer"), required=False,
                                  max_length=FIELD_LIMITS["case_number"])
    service = forms.ModelChoiceField(label=_("Leistung"), queryset=None, required=False,
                                     empty_label=_("— keine bestimmte —"))
    team = NamedChoice(label=_("Team (nur wenn keine Regel passt)"), queryset=None, required=False,
                       empty_label=_("— nach Regeln —"))
    urgency = forms.ChoiceField(label=_("Dringlichkeit"), choices=Urgency.choices, required=False)

    def __init__(self, authority, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .queries import services_of, teams_of

        self.fields["service"].queryset = services_of(authority)
        self.fields["team"].queryset = teams_of(authority)


class AttemptForm(Form):
    outcome = forms.ChoiceField(label=_("Ergebnis des Anrufs"), choices=Outcome.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": CHOOSE_OUTCOME, "invalid_choice": CHOOSE_OUTCOME})
    note = forms.CharField(label=_("Notiz (optional)"), max_length=FIELD_LIMITS["attempt_note"],
                           required=False,
                           error_messages={"max_length": TOO_LONG})


class PauseForm(Form):
    reason = forms.CharField(label=_("Grund"), max_length=FIELD_LIMITS["reason"],
                             error_messages={"required": _("Bitte geben Sie einen Grund an."),
                                             "max_length": TOO_LONG})


class ResumeForm(Form):
    reason = forms.CharField(label=_("Grund (optional)"), max_length=FIELD_LIMITS["reason"], required=False,
                             error_messages={"max_length": TOO_LONG})


class AssignForm(Form):
    assignee = NamedChoice(label=_("Zuständig"), queryset=None, required=False,
                           empty_label=_("Team-Postkorb"),
                           error_messages={"invalid_choice": _("Diese Person gehört nicht zum Team.")})

    def __init__(self, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people


class AppointmentForm(Form):
    code = forms.CharField(label=_("Buchungscode des Termins"), max_length=12,
                           error_messages={"required": _("Bitte geben Sie den Buchungscode des Termins an."),
                                           "max_length": TOO_LONG})


class WindowField(forms.ChoiceField):
    """One of the offered windows, by its start (ISO 8601)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("error_messages", {
            "required": _("Bitte wählen Sie ein Zeitfenster für den Rückruf."),
            "invalid_choice": _("Dieses Zeitfenster ist nicht mehr frei wählbar. Bitte wählen Sie ein "
                                "anderes.")})
        super().__init__(**kwargs)


class CitizenRequestForm(CallerFields):
    """The online callback request (works without JavaScript, except the proof of work)."""

    window = WindowField(label=_("Wann dürfen wir Sie anrufen?"))
    privacy = forms.BooleanField(
        label=_("Ich bin einverstanden, dass meine Angaben für den Rückruf gespeichert werden."),
        error_messages={"required": _("Bitte stimmen Sie der Speicherung für den Rückruf zu.")})

    field_order = ["window", "name", "phone", "email", "case_number", "topic", "note", "privacy"]

    def __init__(self, windows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.windows = {w.start.isoformat(): w for w in windows}
        self.fields["window"].choices = [
            (key, f"{formats.date_format(timezone.localtime(w.start), 'D d.m.')} "
                  f"{timezone.localtime(w.start):%H:%M}–{timezone.localtime(w.end):%H:%M}")
            for key, w in self.windows.items()]
        self.fields["name"].required = True
        self.fields["name"].error_messages["required"] = _("Bitte geben Sie Ihren Namen an.")
        self.fields["name"].help_text = _("Vor- und Nachname")
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].required = True
        self.fields["phone"].label = _("Telefonnummer für den Rückruf")
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["email"].help_text = _("Dann erhalten Sie den Link zum Stand Ihres Rückrufs und eine "
                                           "Nachricht nach jedem Anrufversuch.")
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["topic"].required = True
        self.fields["topic"].error_messages["required"] = _("Bitte beschreiben Sie kurz Ihr Anliegen.")
        self.fields["topic"].label = _("Worum geht es?")
        self.fields["note"].label = _("Weitere Hinweise (optional)")

    def chosen_window(self):
        key = self.cleaned_data.get("window")
        return self.windows.get(key) if key else None

