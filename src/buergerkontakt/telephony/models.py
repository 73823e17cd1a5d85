"""The caller log of the telephone system (CTI).

A :class:`Call` is one call session of the PBX, identified per authority by the PBX's ``callId``.
Its events (``newCall``, ``answer``, ``hangup``) may arrive twice or out of order; each fills only
what it knows and never overwrites what a later event established (``services.record_event``).
:class:`Extension` maps what the PBX says about an agent (extension, SIP peer, user name) to a
staff member; :class:`Line` maps a dialled number or queue to the team it serves (service levels
per team, routing of missed calls).

The external party's number is personal data: never logged in full, erased after the retention
period (``services.purge_calls_before``) while the call's times stay for the statistics.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Team


class Direction(models.TextChoices):
    IN = "in", _("eingehend")
    OUT = "out", _("ausgehend")


class Provider(models.TextChoices):
    GENERIC = "generic", _("CTI (generisch, Zammad-kompatibel)")
    SIPGATE = "sipgate", _("sipgate.io")
    PLACETEL = "placetel", _("Placetel")
    PLATFORM = "platform", _("Klick-zum-Anruf")


class Outcome(models.TextChoices):
    """How a call ended, in the platform's words (each vendor's causes map onto these)."""

    ANSWERED = "answered", _("angenommen")
    ABANDONED = "abandoned", _("aufgelegt vor Annahme")
    MISSED = "missed", _("nicht angenommen")
    VOICEMAIL = "voicemail", _("Mailbox")
    BUSY = "busy", _("besetzt")
    FAILED = "failed", _("nicht erreichbar")
    FORWARDED = "forwarded", _("weitergeleitet")
    BLOCKED = "blocked", _("gesperrt")


# Inbound calls nobody answered: the missed-call list and the service levels.
UNANSWERED = (Outcome.ABANDONED, Outcome.MISSED, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.FAILED)


class Extension(models.Model):
    """What the PBX calls a staff member: an extension ("42"), a SIP peer, a login or a name."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="phone_extensions", verbose_name=_("Person"))
    identifier = models.CharField(
        _("Kennung in der Telefonanlage"), max_length=200,
        help_text=_("Nebenstelle, SIP-Teilnehmer (z. B. 7777abc@fpbx.de), sipgate-Benutzer-ID oder Name, "
                    "wie die Telefonanlage ihn meldet."))
    dial_from = models.BooleanField(_("für Klick-zum-Anruf verwenden"), default=True)

    class Meta:
        verbose_name = _("Nebenstelle")
        verbose_name_plural = _("Nebenstellen")
        ordering = ["authority", "identifier"]
        constraints = [models.UniqueConstraint(fields=["authority", "identifier"],
                                               name="telephony_extension_unique")]

    def __str__(self) -> str:
        return f"{self.identifier} → {self.user}"


class Line(models.Model):
    """A number (or queue) of the authority and the team that answers it."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    number = models.CharField(_("Rufnummer oder Warteschlange"), max_length=40,
                              help_text=_("Angerufene Nummer im E.164-Format (+49…) oder der Name der "
                                          "Warteschlange, wie die Telefonanlage ihn meldet."))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="phone_lines",
                             verbose_name=_("Team"))

    class Meta:
        verbose_name = _("Rufnummer")
        verbose_name_plural = _("Rufnummern")
        ordering = ["authority", "number"]
        constraints = [models.UniqueConstraint(fields=["authority", "number"], name="telephony_line_unique")]

    def __str__(self) -> str:
        return f"{self.number} → {self.team}"


class Call(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    call_id = models.CharField(_("Anruf-ID der Telefonanlage"), max_length=250)
    provider = models.CharField(_("Quelle"), max_length=10, choices=Provider.choices,
                                default=Provider.GENERIC)
    direction = models.CharField(_("Richtung"), max_length=3, choices=Direction.choices,
                                 default=Direction.IN)
    # The citizen's side (personal data): E.164, or empty when withheld or erased.
    number = models.CharField(_("Rufnummer"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("Rufnummer unterdrückt"), default=False)
    line = models.CharField(_("Leitung"), max_length=40, blank=True,
                            help_text=_("Angerufene Nummer bzw. Warteschlange (eingehend)."))
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("Team"))
    started_at = models.DateTimeField(_("Beginn"), db_index=True)
    answered_at = models.DateTimeField(_("angenommen um"), null=True, blank=True)
    ended_at = models.DateTimeField(_("Ende"), null=True, blank=True)
    answered = models.BooleanField(_("angenommen"), default=False)
    # Inbound: who answered; outbound: who called.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("Mitarbeiterin / Mitarbeiter"))
    agents = models.JSONField(_("angeklingelte Personen (IDs)"), default=list, blank=True)
    duration = models.PositiveIntegerField(_("Gesprächsdauer (Sekunden)"), null=True, blank=True)
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices, blank=True)
    cause = models.CharField(_("Grund laut Telefonanlage"), max_length=40, blank=True)
    outside_hours = models.BooleanField(_("außerhalb der Telefonzeiten"), default=False)
    first_contact = models.BooleanField(_("direkt gelöst"), default=False)
    ticket_number = models.CharField(_("Rückrufticket"), max_length=12, blank=True)
    attempt_logged = models.BooleanField(_("Anrufversuch erfasst"), default=False)
    events = models.JSONField(_("empfangene Ereignisse"), default=list, blank=True)
    erased_at = models.DateTimeField(_("Rufnummer gelöscht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Anruf")
        verbose_name_plural = _("Anrufe")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "call_id"], name="telephony_call_unique"),
            models.CheckConstraint(condition=Q(answered=True) | Q(answered_at__isnull=True),
                                   name="telephony_answered_time"),
        ]
        indexes = [models.Index(fields=["authority", "number", "started_at"], name="telephony_number_time")]

    def __str__(self) -> str:
        return self.call_id

    def permission_scope(self):
        return self.team or self.authority

    @property
    def wait_seconds(self) -> float | None:
        """Seconds from the first ring to the answer (None if unknown or unanswered)."""
        if self.answered_at is None:
            return None
        return max((self.answered_at - self.started_at).total_seconds(), 0.0)

    @property
    def is_missed(self) -> bool:
        return self.direction == Direction.IN and self.ended_at is not None and self.outcome in UNANSWERED
