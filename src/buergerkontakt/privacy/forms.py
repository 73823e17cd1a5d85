from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority

from .models import RightsRequest


class RequestForm(forms.Form):
    authority = forms.ModelChoiceField(
        Authority.objects.order_by("name"), label=_("An welche Behörde richtet sich Ihre Anfrage?"),
        empty_label=_("Bitte wählen"),
        error_messages={"required": _("Bitte wählen Sie die Behörde."),
                        "invalid_choice": _("Bitte wählen Sie eine Behörde aus der Liste.")})
    kind = forms.ChoiceField(
        choices=RightsRequest.Kind.choices, widget=forms.RadioSelect, label=_("Was beantragen Sie?"),
        error_messages={"required": _("Bitte wählen Sie, ob Sie Auskunft oder Löschung beantragen."),
                        "invalid_choice": _("Bitte wählen Sie, ob Sie Auskunft oder Löschung beantragen.")})
    email = forms.CharField(label=_("E-Mail-Adresse"), required=False, max_length=254,
                            help_text=_("Die Adresse, mit der Sie gebucht oder sich gemeldet haben."))
    phone = forms.CharField(label=_("oder Mobilnummer"), required=False, max_length=40,
                            help_text=_("Die Nummer, die Sie für einen Rückruf oder SMS angegeben haben."))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Antwort / Begründung"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
