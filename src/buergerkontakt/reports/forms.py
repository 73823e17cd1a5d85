"""The dashboard filter: period (local days), location and team within the viewer's scope."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .kpis import Period
from .queries import ReportScope, default_period, visible_locations, visible_teams


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FilterForm(forms.Form):
    von = forms.DateField(
        label=_("von"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Bitte geben Sie ein gültiges Datum ein.")},
    )
    bis = forms.DateField(
        label=_("bis einschließlich"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Bitte geben Sie ein gültiges Datum ein.")},
    )
    standort = forms.ModelChoiceField(
        label=_("Standort"),
        queryset=None,
        required=False,
        empty_label=_("alle Standorte"),
        error_messages={"invalid_choice": _("Diesen Standort können Sie nicht auswählen.")},
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        empty_label=_("alle Teams"),
        error_messages={"invalid_choice": _("Dieses Team können Sie nicht auswählen.")},
    )

    def __init__(self, scope: ReportScope, today: date, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["standort"].queryset = visible_locations(scope)
        self.fields["team"].queryset = visible_teams(scope)
        default = default_period(today)
        self.fields["von"].widget.attrs["placeholder"] = default.first.isoformat()
        self.fields["bis"].widget.attrs["placeholder"] = default.last.isoformat()

    def clean(self):
        data = super().clean()
        default = default_period(self.today)
        first, last = data.get("von"), data.get("bis")
        if "von" in self.errors or "bis" in self.errors:
            return data
        if first and not last:
            last = min(first + timedelta(days=default.days - 1), self.today)
            last = max(last, first)
        elif last and not first:
            first = last - timedelta(days=default.days - 1)
        first, last = first or default.first, last or default.last
        if last < first:
            raise forms.ValidationError(_("Das Ende des Zeitraums liegt vor seinem Beginn."))
        if (last - first).days + 1 > settings.REPORTS_MAX_DAYS:
            raise forms.ValidationError(
                _("Bitte wählen Sie höchstens %(days)d Tage.") % {"days": settings.REPORTS_MAX_DAYS}
            )
        location, team = data.get("standort"), data.get("team")
        if location and team and team.location_id != location.pk:
            self.add_error("team", _("Dieses Team gehört nicht zum gewählten Standort."))
        data["period"] = Period(first, last)
        return data
