"""Silent alarm: registered workstations, alarms, per-recipient deliveries and the timeline.

An alarm is stored before anything is sent; each recipient's delivery row keeps three separate
facts: *delivered* (the recipient's client got it over its socket; latency measured on the server's
clock, with whether the page was visible then), *seen* (the alarm was on a visible, focused page or
the agent's window was shown) and *answered* (a person pressed "Ich komme", "Vor Ort" or "Kann
nicht"). Only a human answer counts for the escalation. Every step is a TimelineEvent, the basis of
the incident report.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Location, Room


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


class Workstation(models.Model):
    """A staff PC/browser registered to a room; identified by a device token kept in a cookie."""

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("Behörde")
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="workstations", verbose_name=_("Raum")
    )
    name = models.CharField(_("Bezeichnung"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("registriert von"),
    )
    registered_at = models.DateTimeField(_("registriert am"), auto_now_add=True)
    is_active = models.BooleanField(_("aktiv"), default=True)
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("zuletzt angemeldet"),
    )
    last_seen_at = models.DateTimeField(_("zuletzt erreichbar"), null=True, blank=True)
    connections = models.PositiveSmallIntegerField(_("offene Verbindungen"), default=0)
    offline_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    phone_extension = models.CharField(
        _("Durchwahl am Arbeitsplatz"), max_length=30, blank=True,
        help_text=_("Für den Alarm per Telefon: die Durchwahl, die die Telefonanlage als Anrufer meldet."),
    )

    class Meta:
        verbose_name = _("Arbeitsplatz (Alarm)")
        verbose_name_plural = _("Arbeitsplätze (Alarm)")
        ordering = ["room__floor__location", "room__floor__level", "room__number", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.room.number})"

    def permission_scope(self):
        return self.room


class Level(models.IntegerChoices):
    WITNESS = 1, _("Stufe 1 – verbale Aggression: Zeugen")
    SECURITY = 2, _("Stufe 2 – Bedrohung, Gewalt: Sicherheitsdienst")
    LOCKDOWN = 3, _("Stufe 3 – Waffe, Amok, Geiselnahme: Polizei")


class Alarm(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("aktiv")
        WITHDRAWN = "withdrawn", _("zurückgenommen (Fehlalarm)")
        RESOLVED = "resolved", _("beendet (Entwarnung)")

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("Standort")
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="alarms",
                             verbose_name=_("Raum"), help_text=_("Leer: Raum unbekannt (siehe Ort)."))
    place = models.CharField(
        _("Ort"), max_length=300, blank=True,
        help_text=_(
            "Wie der Ort allen Empfängern genannt wird, z. B. „Raum unbekannt – Person: …, zuletzt: …“."
        ),
    )
    workstation = models.ForeignKey(
        Workstation, on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ausgelöst von")
    )
    device = models.ForeignKey(
        "alarms.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms",
        verbose_name=_("ausgelöst über Gerät"),
    )
    press_id = models.CharField(_("Tastendruck-Kennung"), max_length=64, blank=True, editable=False)
    level = models.PositiveSmallIntegerField(_("Stufe"), choices=Level.choices, default=Level.SECURITY)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    is_drill = models.BooleanField(_("Probealarm"), default=False)
    raised_at = models.DateTimeField(_("ausgelöst um"))
    circle = models.PositiveSmallIntegerField(
        _("Kreis"), default=1, help_text=_("1 = erster Kreis, 2 = Etage, 3 = ganzes Gebäude")
    )
    escalated_at = models.DateTimeField(_("ausgeweitet um"), null=True, blank=True)
    fallback_sent_at = models.DateTimeField(_("Ersatzkanal um"), null=True, blank=True)
    ended_at = models.DateTimeField(_("beendet um"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beendet von"),
    )

    class Meta:
        verbose_name = _("Alarm")
        verbose_name_plural = _("Alarme")
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["location", "status"])]
        constraints = [
            # One alarm per press of a device (retries from an offline queue, a bouncing button).
            models.UniqueConstraint(fields=["device", "press_id"], condition=~Q(press_id=""),
                                    name="alarm_once_per_device_press"),
        ]

    def __str__(self) -> str:
        where = self.room.number if self.room else _("Raum unbekannt")
        return f"{self.get_level_display()} – {where} ({self.raised_at:%d.%m.%Y %H:%M})"

    def permission_scope(self):
        return self.location

    @property
    def where(self) -> str:
        """The place as every recipient reads it (the room, or "Raum unbekannt – Person: …")."""
        if self.place:
            return self.place
        return self.room.number if self.room else str(_("Raum unbekannt"))

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Delivery(models.Model):
    class Response(models.TextChoices):
        NONE = "", _("keine")
        COMING = "coming", _("Ich komme")
        ON_SITE = "on_site", _("Vor Ort")
        CANNOT = "cannot", _("Kann nicht")

    class Visibility(models.TextChoices):
        UNKNOWN = "", _("unbekannt")
        VISIBLE = "visible", _("sichtbar")
        HIDDEN = "hidden", _("verdeckt")

    class Role(models.TextChoices):
        NEIGHBOUR = "neighbour", _("Nachbarraum")
        SECURITY = "security", _("Sicherheitsdienst")
        LEAD = "lead", _("Teamleitung")
        MANAGEMENT = "management", _("Standortleitung")
        FLOOR = "floor", _("Etage")
        BUILDING = "building", _("Gebäude")

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, choices=Role.choices)
    circle = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    received_visibility = models.CharField(
        _("Seite beim Empfang"), max_length=8, choices=Visibility.choices, default="", blank=True
    )
    seen_at = models.DateTimeField(_("gesehen um"), null=True, blank=True)
    response = models.CharField(max_length=10, choices=Response.choices, default="", blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Zustellung")
        verbose_name_plural = _("Zustellungen")
        constraints = [models.UniqueConstraint(fields=["alarm", "user"], name="delivery_once_per_user")]

    def __str__(self) -> str:
        return f"{self.alarm_id} → {self.user_id}"


# Human answers that stop the escalation. "Kann nicht" is an answer (shown to the trigger) but asks
# for somebody else: the circle keeps widening.
HELPING = (Delivery.Response.COMING, Delivery.Response.ON_SITE)


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        RAISED = "raised", _("ausgelöst")
        SENT = "sent", _("gesendet")
        RECEIVED = "received", _("empfangen")
        SEEN = "seen", _("gesehen")
        COMING = "coming", _("„Ich komme“")
        ON_SITE = "on_site", _("„Vor Ort“")
        CANNOT = "cannot", _("„Kann nicht“")
        ESCALATED = "escalated", _("ausgeweitet")
        FALLBACK = "fallback", _("Ersatzkanal (SMS)")
        NOBODY = "nobody", _("niemand erreicht")
        WITHDRAWN = "withdrawn", _("zurückgenommen")
        RESOLVED = "resolved", _("Entwarnung")

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Zeitleiste")
        verbose_name_plural = _("Zeitleiste")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.get_kind_display()}"


ACTIVE_Q = Q(status=Alarm.Status.ACTIVE)


class Drill(models.Model):
    """A Probealarm: planned by security for a room and a time (or started at once). At its time it
    raises a real alarm marked as a drill, which every recipient sees as "PROBEALARM"; its receipt
    and response times make the drill report."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("Standort"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("Raum (simulierter Auslöser)"))
    level = models.PositiveSmallIntegerField(_("Stufe"), choices=Level.choices, default=Level.SECURITY)
    scheduled_for = models.DateTimeField(_("geplant für"))
    note = models.CharField(_("Hinweis"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("geplant von"))
    created_at = models.DateTimeField(auto_now_add=True)
    alarm = models.OneToOneField(Alarm, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="drill", verbose_name=_("Alarm"))
    cancelled_at = models.DateTimeField(_("abgesagt um"), null=True, blank=True)

    class Meta:
        verbose_name = _("Probealarm")
        verbose_name_plural = _("Probealarme")
        ordering = ["-scheduled_for"]
        indexes = [models.Index(fields=["scheduled_for"], name="drill_due",
                                condition=Q(alarm__isnull=True, cancelled_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.get_level_display()} – {self.room.number} ({self.scheduled_for:%d.%m.%Y %H:%M})"

    def permission_scope(self):
        return self.location

    @property
    def state(self) -> str:
        if self.cancelled_at:
            return "cancelled"
        if self.alarm_id is None:
            return "planned"
        return "running" if self.alarm.is_active else "done"


from .devices import Device  # noqa: E402,F401  (devices and their enrolment live together)
from .workplace import Workplace  # noqa: E402,F401  (the current-workplace model lives with its services)


class ReportPrivacy(models.Model):
    """Per authority (basis for a Dienstvereinbarung with the staff council): response and drill
    reports show staff pseudonymised ("Person 1", "Person 2" …); names only to security or
    administration of the authority, each time with a logged reason (``NamedReportAccess``)."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("Behörde"))
    pseudonymise = models.BooleanField(
        _("Berichte pseudonymisiert"), default=True,
        help_text=_("Empfang und Rückmeldungen je Person erscheinen ohne Namen; Namen nur mit Begründung."))

    class Meta:
        verbose_name = _("Datenschutz der Alarmberichte")
        verbose_name_plural = _("Datenschutz der Alarmberichte")

    def __str__(self) -> str:
        return str(self.authority)

    def permission_scope(self):
        return self.authority


class NamedReportAccess(models.Model):
    """Who saw a response report with names, when and why (for the staff council and the DPO)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(_("Begründung"), max_length=300)
    at = models.DateTimeField(_("Zeitpunkt"))

    class Meta:
        verbose_name = _("Einsicht in Namen (Alarmbericht)")
        verbose_name_plural = _("Einsichten in Namen (Alarmberichte)")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.at:%d.%m.%Y %H:%M}"
