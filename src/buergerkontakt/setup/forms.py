"""Forms of the set-up pages in the admin (week template, copy, CSV import)."""

from __future__ import annotations

import re
from datetime import time
from itertools import pairwise

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.appointments.models import ServiceGroup
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import HoursKind, Weekday

from .services import TEMPLATE_KINDS, WORKDAYS, WeekTemplate, Window

_RANGE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(?:-|–|bis)\s*(\d{1,2})(?:[:.](\d{2}))?$")
ROWS = [*[(kind, HoursKind(kind).label) for kind in TEMPLATE_KINDS],
        ("schedule", gettext_lazy("Sprechzeiten (Termine)"))]


def parse_windows(text: str) -> list[Window]:
    """``"08:00-12:00, 14-16"`` → [(08:00, 12:00), (14:00, 16:00)]; German errors."""
    windows: list[Window] = []
    for part in re.split(r"[,;]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise forms.ValidationError(
                _("„%(text)s“ ist keine Zeitspanne. Bitte so angeben: 08:00-12:00, 14:00-16:00")
                % {"text": part[:40]})
        h1, m1, h2, m2 = match.groups()
        try:
            start, end = time(int(h1), int(m1 or 0)), time(int(h2), int(m2 or 0))
        except ValueError:
            raise forms.ValidationError(_("„%(text)s“ enthält eine ungültige Uhrzeit.")
                                        % {"text": part[:40]}) from None
        if start >= end:
            raise forms.ValidationError(_("„%(text)s“: Das Ende muss nach dem Beginn liegen.")
                                        % {"text": part[:40]})
        windows.append((start, end))
    windows.sort()
    for (_s1, e1), (s2, _e2) in pairwise(windows):
        if s2 < e1:
            raise forms.ValidationError(_("Die Zeitspannen überschneiden sich."))
    return windows


def format_windows(windows: list[Window]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in windows)


class WeekTemplateForm(forms.Form):
    """One row per kind, one column per weekday (Monday to Friday)."""

    group = forms.ModelChoiceField(
        label=gettext_lazy("Leistungsgruppe der Sprechzeiten"), queryset=ServiceGroup.objects.none(),
        required=False, help_text=gettext_lazy("Leer: Sprechzeiten bleiben unverändert."))
    counters = forms.IntegerField(label=gettext_lazy("parallele Schalter"), min_value=1, max_value=99,
                                  initial=1)
    online_quota = forms.IntegerField(label=gettext_lazy("davon online buchbar"), min_value=0,
                                      max_value=99, initial=1)
    same_for_all = forms.BooleanField(
        label=gettext_lazy("Zeiten vom Montag für Dienstag bis Freitag übernehmen"), required=False,
        help_text=gettext_lazy("Nur Tage ohne eigene Eingabe erhalten die Zeiten des Montags."))

    def __init__(self, *args, location: Location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location
        self.fields["group"].queryset = ServiceGroup.objects.filter(
            authority_id=location.authority_id).order_by("name")
        for kind, label in ROWS:
            for weekday in WORKDAYS:
                self.fields[f"{kind}_{weekday}"] = forms.CharField(
                    label=f"{label} – {Weekday(weekday).label}", required=False, max_length=200,
                    widget=forms.TextInput(attrs={"size": 13}))

    @classmethod
    def initial_from(cls, template: WeekTemplate) -> dict:
        initial: dict = {"group": template.group, "counters": template.counters,
                         "online_quota": template.online_quota}
        for kind, days in template.hours.items():
            for weekday, windows in days.items():
                initial[f"{kind}_{weekday}"] = format_windows(windows)
        for weekday, windows in template.schedules.items():
            initial[f"schedule_{weekday}"] = format_windows(windows)
        return initial

    def rows(self):
        """(label, [bound fields Monday..Friday]) for the template's table."""
        return [(label, [self[f"{kind}_{weekday}"] for weekday in WORKDAYS]) for kind, label in ROWS]

    def clean(self):
        cleaned = super().clean()
        for kind, _label in ROWS:
            for weekday in WORKDAYS:
                name = f"{kind}_{weekday}"
                try:
                    cleaned[name] = parse_windows(cleaned.get(name, ""))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        counters, online = cleaned.get("counters"), cleaned.get("online_quota")
        if counters is not None and online is not None and online > counters:
            self.add_error("online_quota",
                           _("Es können nicht mehr Schalter online buchbar sein, als es gibt."))
        if not cleaned.get("group") and any(cleaned.get(f"schedule_{d}") for d in WORKDAYS):
            self.add_error("group", _("Bitte wählen Sie die Leistungsgruppe für die Sprechzeiten."))
        return cleaned

    def template(self) -> WeekTemplate:
        data = self.cleaned_data
        if data.get("same_for_all"):
            for kind, _label in ROWS:
                for weekday in WORKDAYS[1:]:
                    if not data[f"{kind}_{weekday}"]:
                        data[f"{kind}_{weekday}"] = list(data[f"{kind}_0"])
        return WeekTemplate(
            hours={kind: {d: data[f"{kind}_{d}"] for d in WORKDAYS} for kind in TEMPLATE_KINDS},
            group=data.get("group"),
            schedules={d: data[f"schedule_{d}"] for d in WORKDAYS},
            counters=data.get("counters") or 1,
            online_quota=data.get("online_quota") if data.get("online_quota") is not None else 1,
        )


class CopyWeekForm(forms.Form):
    source = forms.ModelChoiceField(label=gettext_lazy("Vorlage: Standort"), queryset=Location.objects.none())
    hours = forms.BooleanField(label=gettext_lazy("Öffnungs-, Telefon-, Rückruf- und Vorsprachezeiten"),
                               required=False, initial=True)
    schedules = forms.BooleanField(label=gettext_lazy("Sprechzeiten aller Leistungsgruppen"), required=False,
                                   initial=True)

    def __init__(self, *args, location: Location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Location.objects.filter(
            authority_id=location.authority_id).exclude(pk=location.pk).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("hours") or cleaned.get("schedules")):
            raise forms.ValidationError(_("Bitte wählen Sie aus, was übernommen werden soll."))
        return cleaned


MAX_UPLOAD_BYTES = 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Was wird importiert?"), choices=[
        ("rooms", gettext_lazy("Räume (mit Alarm-Nachbarn)")),
        ("services", gettext_lazy("Leistungen (mit Leistungsgruppe)")),
        ("staff", gettext_lazy("Mitarbeitende (mit Einladung per E-Mail)")),
    ])
    file = forms.FileField(label=gettext_lazy("CSV-Datei"))
    dry_run = forms.BooleanField(label=gettext_lazy("Probelauf: nur prüfen, nichts speichern"),
                                 required=False,
                                 initial=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 1 MB. Bitte teilen Sie sie auf."))
        return upload
