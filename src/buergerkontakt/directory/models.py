"""Directory data: services, hours, calendar exceptions, publication consent, responsibility."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Location, Team


class Service(models.Model):
    """A Leistung citizens come for, e.g. 'Personalausweis beantragen'."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="services",
                                  verbose_name=_("Behörde"))
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    synonyms = models.CharField(
        _("Suchbegriffe"), max_length=300, blank=True,
        help_text=_("Weitere Wörter, unter denen die Leistung gefunden wird, durch Komma getrennt."),
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    what_to_bring = models.TextField(_("Bitte mitbringen"), blank=True,
                                     help_text=_("Eine Angabe pro Zeile."))
    fee = models.CharField(_("Gebühr"), max_length=120, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("Dauer (Minuten)"), default=15)
    online_bookable = models.BooleanField(_("online buchbar"), default=False)
    locations = models.ManyToManyField(Location, blank=True, related_name="services",
                                       verbose_name=_("angeboten an Standorten"))
    teams = models.ManyToManyField(Team, blank=True, related_name="services",
                                   verbose_name=_("zuständige Teams"))
    is_public = models.BooleanField(_("öffentlich angezeigt"), default=True)

    class Meta:
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gte=5),
                                              name="service_duration_min_5")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:service", kwargs={"slug": self.slug})

    @property
    def bring_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.what_to_bring.splitlines() if line.strip()]


class HoursKind(models.TextChoices):
    OPENING = "opening", _("Öffnungszeiten")
    PHONE = "phone", _("Telefonzeiten")
    CALLBACK = "callback", _("Rückrufzeiten")
    WALK_IN = "walk_in", _("Vorsprache ohne Termin")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Montag")
    TUESDAY = 1, _("Dienstag")
    WEDNESDAY = 2, _("Mittwoch")
    THURSDAY = 3, _("Donnerstag")
    FRIDAY = 4, _("Freitag")
    SATURDAY = 5, _("Samstag")
    SUNDAY = 6, _("Sonntag")


class OwnedByLocationOrTeam(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("Standort"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("Team"))

    class Meta:
        abstract = True

    def permission_scope(self):
        return self.team or self.location


class HoursRule(OwnedByLocationOrTeam):
    """A weekly window of one kind for a location or a team (team rules override the location's)."""

    kind = models.CharField(_("Art"), max_length=20, choices=HoursKind.choices)
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    start = models.TimeField(_("von"))
    end = models.TimeField(_("bis"))
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    note = models.CharField(_("Hinweis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Zeitfenster")
        verbose_name_plural = _("Zeitfenster")
        ordering = ["kind", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")),
                                   name="hours_start_before_end"),
            models.CheckConstraint(
                condition=(Q(location__isnull=False, team__isnull=True)
                           | Q(location__isnull=True, team__isnull=False)),
                name="hours_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))
        if bool(self.location_id) == bool(self.team_id):
            raise ValidationError(_("Bitte genau einen Standort oder ein Team angeben."))
        clash = self.overlapping().first()
        if clash is not None:
            raise ValidationError(_(
                "Dieses Zeitfenster überschneidet sich mit %(kind)s %(day)s %(start)s–%(end)s. Bitte "
                "ändern Sie das vorhandene Zeitfenster oder wählen Sie eine andere Uhrzeit.") % {
                "kind": clash.get_kind_display(), "day": clash.get_weekday_display(),
                "start": f"{clash.start:%H:%M}", "end": f"{clash.end:%H:%M}"})

    def overlapping(self):
        """Rules of the same owner, kind and weekday whose times and validity overlap this one's
        (touching windows such as 08:00–12:00 and 12:00–16:00 do not overlap)."""
        if not (self.start and self.end and self.kind and self.weekday is not None):
            return HoursRule.objects.none()
        rows = HoursRule.objects.filter(location_id=self.location_id, team_id=self.team_id, kind=self.kind,
                                        weekday=self.weekday, start__lt=self.end, end__gt=self.start)
        if self.valid_until:
            rows = rows.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=self.valid_until))
        if self.valid_from:
            rows = rows.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from))
        return rows.exclude(pk=self.pk).order_by("start") if self.pk else rows.order_by("start")


class CalendarException(models.Model):
    """A closure (e.g. Betriebsversammlung) or a special day with its own hours (extra Saturday).

    Applies to a location (and its teams) or to every location of an authority.
    """

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("ganze Behörde"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("Standort"))
    date = models.DateField(_("Datum"))
    closed = models.BooleanField(_("geschlossen"), default=True)
    start = models.TimeField(_("von"), null=True, blank=True)
    end = models.TimeField(_("bis"), null=True, blank=True)
    kinds = models.CharField(
        _("gilt für"), max_length=80, blank=True,
        help_text=_("Leer: für alle Zeitarten. Sonst z. B. 'opening,walk_in'."),
    )
    reason = models.CharField(_("Anlass"), max_length=200)

    class Meta:
        verbose_name = _("Kalenderausnahme")
        verbose_name_plural = _("Kalenderausnahmen")
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(authority__isnull=False, location__isnull=True)
                           | Q(authority__isnull=True, location__isnull=False)),
                name="exception_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(closed=True) | Q(start__isnull=False, end__isnull=False,
                                             start__lt=models.F("end")),
                name="exception_open_needs_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.reason}"

    def clean(self) -> None:
        if not self.closed and not (self.start and self.end and self.start < self.end):
            raise ValidationError(_("Für einen Sondertag bitte Beginn und Ende angeben."))
        if bool(self.authority_id) == bool(self.location_id):
            raise ValidationError(_("Bitte genau eine Behörde oder einen Standort angeben."))
        unknown = set(self.kind_list) - set(HoursKind.values)
        if unknown:
            raise ValidationError(_("Unbekannte Zeitart: %(kinds)s") % {"kinds": ", ".join(unknown)})

    @property
    def kind_list(self) -> list[str]:
        return [k.strip() for k in self.kinds.split(",") if k.strip()]

    def applies_to(self, kind: str) -> bool:
        return not self.kind_list or kind in self.kind_list

    def permission_scope(self):
        return self.location or self.authority


class PublicationLevel(models.IntegerChoices):
    """How far a person's direct dial and e-mail are published (higher = wider)."""

    INTERNAL = 1, _("intern")
    PROFESSIONALS = 2, _("Fachstellen")
    PUBLIC = 3, _("öffentlich")


class PublicationConsent(models.Model):
    """A person's recorded, revocable consent to publish their direct contact data."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="publication_consents", verbose_name=_("Person"))
    level = models.PositiveSmallIntegerField(_("Veröffentlichung"), choices=PublicationLevel.choices)
    granted_at = models.DateTimeField(_("erteilt am"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("erfasst von"))
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("Widerruf erfasst von"))

    class Meta:
        verbose_name = _("Einwilligung zur Veröffentlichung")
        verbose_name_plural = _("Einwilligungen zur Veröffentlichung")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(fields=["staff"], condition=Q(revoked_at__isnull=True),
                                    name="one_active_consent_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_level_display()}"


class SecurityException(models.Model):
    """Hides a person from every directory listing, whatever they consented to."""

    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="security_exception", verbose_name=_("Person"))
    reason = models.CharField(_("Grund (intern)"), max_length=200)
    created_at = models.DateTimeField(_("seit"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("erfasst von"))

    class Meta:
        verbose_name = _("Sicherheitssperre")
        verbose_name_plural = _("Sicherheitssperren")

    def __str__(self) -> str:
        return str(self.staff)


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Ungültiges Muster: %(error)s") % {"error": exc}) from exc


def _range_bound(value: str) -> str:
    from .responsibility import _bound

    return _bound(value or "")


class ResponsibilityRule(models.Model):
    """'Who handles my case?': surname letter range and/or case-number pattern → team.

    Rules are checked in ``priority`` order; the first that matches wins.
    """

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    priority = models.PositiveIntegerField(_("Reihenfolge"), default=100)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("nur für Leistung"))
    surname_from = models.CharField(_("Nachname von"), max_length=10, blank=True,
                                    help_text=_("z. B. 'A' oder 'Sch'"))
    surname_to = models.CharField(_("Nachname bis"), max_length=10, blank=True,
                                  help_text=_("einschließlich, z. B. 'K' oder 'Schm'"))
    case_number_pattern = models.CharField(
        _("Aktenzeichen-Muster"), max_length=120, blank=True, validators=[validate_regex],
        help_text=_("Regulärer Ausdruck, z. B. '^123[0-4]' für Bedarfsgemeinschaften 12300–12349."),
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responsibility_rules",
                             verbose_name=_("zuständiges Team"))
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("zuständige Sachbearbeitung"),
        help_text=_("Leer: Team-Postkorb. Bei Abwesenheit übernimmt die Vertretung, sonst der "
                    "Team-Postkorb."),
    )

    class Meta:
        verbose_name = _("Zuständigkeitsregel")
        verbose_name_plural = _("Zuständigkeitsregeln")
        ordering = ["authority", "priority", "pk"]

    def __str__(self) -> str:
        parts = []
        if self.surname_from or self.surname_to:
            parts.append(f"{self.surname_from or 'A'}–{self.surname_to or 'Z'}")
        if self.case_number_pattern:
            parts.append(self.case_number_pattern)
        return f"{' / '.join(parts) or _('alle')} → {self.team}"

    def clean(self) -> None:
        # A rule without any criterion is the catch-all: it takes every request no earlier rule took.
        low, high = _range_bound(self.surname_from), _range_bound(self.surname_to)
        if low and high and low[: len(high)] > high:
            raise ValidationError({"surname_to": _(
                "„Nachname bis“ (%(to)s) liegt vor „Nachname von“ (%(from)s) im Alphabet. Bitte geben Sie "
                "den Bereich von vorn nach hinten an, z. B. A bis K.") % {
                "from": self.surname_from, "to": self.surname_to}})
        if self.team_id and self.authority_id and self.team.authority_id != self.authority_id:
            raise ValidationError(_("Das Team gehört zu einer anderen Behörde."))
        if self.caseworker_id and self.team_id and not self.caseworker.teams.filter(pk=self.team_id).exists():
            raise ValidationError(_("Die zuständige Person gehört nicht zu diesem Team."))

    def permission_scope(self):
        return self.authority
