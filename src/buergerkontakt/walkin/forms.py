from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Location, Room

from .models import Queue
from .services import REASON_MAX


def _rooms(location: Location):
    return (Room.objects.filter(floor__location=location, kind__in=(Room.Kind.COUNTER, Room.Kind.OFFICE,
                                                                    Room.Kind.RECEPTION))
            .select_related("floor").order_by("floor__level", "number"))


def _queues(location: Location):
    return Queue.objects.filter(location=location, is_active=True)


QUEUE_ERRORS = {"required": _("Bitte wählen Sie eine Warteschlange."),
                "invalid_choice": _("Bitte wählen Sie eine Warteschlange aus der Liste.")}


class RoomChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Room) -> str:
        return f"{obj.number}{' – ' + obj.name if obj.name else ''} ({obj.floor.name})"


class QueueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Queue) -> str:
        return f"{obj.prefix} – {obj.name}"


class QueueMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Queue) -> str:
        return f"{obj.prefix} – {obj.name}"


class DeskForm(forms.Form):
    room = RoomChoiceField(label=_("Ihr Raum oder Schalter"), queryset=Room.objects.none(),
                           empty_label=_("Bitte wählen"),
                           error_messages={"required": _("Bitte wählen Sie Ihren Raum."),
                                           "invalid_choice": _("Bitte wählen Sie einen Raum aus der Liste.")})
    queues = QueueMultipleChoiceField(
        label=_("Ich rufe auf aus"), queryset=Queue.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Bitte wählen Sie mindestens eine Warteschlange."),
                        "invalid_choice": _("Bitte wählen Sie Warteschlangen aus der Liste.")})

    def __init__(self, location: Location, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = _rooms(location)
        self.fields["queues"].queryset = _queues(location)


class HandOverForm(forms.Form):
    queue = QueueChoiceField(label=_("Weiterleiten an"), queryset=Queue.objects.none(),
                             empty_label=_("Bitte wählen"),
                             error_messages=QUEUE_ERRORS)
    room = RoomChoiceField(label=_("nur Raum (optional)"), queryset=Room.objects.none(), required=False,
                           empty_label=_("jeder Raum"),
                           error_messages={"invalid_choice": _("Bitte wählen Sie einen Raum aus der Liste.")})
    note = forms.CharField(label=_("Hinweis (optional, ohne Namen)"), max_length=200, required=False)

    def __init__(self, location: Location, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = _queues(location)
        self.fields["room"].queryset = _rooms(location)


class IssueForm(forms.Form):
    queue = QueueChoiceField(label=_("Warteschlange"), queryset=Queue.objects.none(), empty_label=None,
                             widget=forms.RadioSelect,
                             error_messages=QUEUE_ERRORS)
    emergency = forms.BooleanField(label=_("Notfall – wird zuerst aufgerufen"), required=False)
    reason = forms.CharField(label=_("Grund des Notfalls"), max_length=REASON_MAX, required=False,
                             help_text=_("z. B. „kein Geld für Lebensmittel“, „Räumung morgen“ – "
                                         "ohne Namen."))
    override_reason = forms.CharField(
        label=_("Grund für eine Nummer außerhalb der Vorsprachezeit"), max_length=REASON_MAX, required=False,
        help_text=_("Nur außerhalb der Zeiten für Vorsprache ohne Termin nötig, z. B. „Termin wegen "
                    "Busausfall verpasst“ – ohne Namen."))

    def __init__(self, location: Location, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = _queues(location)

    def clean(self):
        data = super().clean()
        if data.get("emergency") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Bitte geben Sie den Grund für den Notfall an."))
        return data


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Buchungscode"), max_length=300,
                           help_text=_("Acht Zeichen, z. B. K7QX4MZP – oder den QR-Code der "
                                       "Terminbestätigung scannen."),
                           error_messages={"required": _("Bitte geben Sie den Buchungscode ein.")})
    late_as_walk_in = forms.BooleanField(label=_("Verspätet: trotzdem einreihen (wie ohne Termin)"),
                                         required=False)


class EmergencyForm(forms.Form):
    reason = forms.CharField(label=_("Grund des Notfalls"), max_length=REASON_MAX,
                             error_messages={"required": _("Bitte geben Sie den Grund für den Notfall an.")})
