"""Waitlist (Bedarfsmeldung): a citizen's registered need, and the offers made to it.

An :class:`Entry` says what the citizen wants (services, locations – none chosen means all –, a date
range, mornings and/or afternoons, an optional deadline). The matcher in ``services.py`` offers
free capacity to active entries in order (deadline first, then registration time). An
:class:`Offer` is a HELD appointment (online quota) reserved for one entry until ``expires_at``;
the database guarantees at most one open offer per entry.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.appointments.models import Appointment, generate_code
from buergerkontakt.core.models import Authority, Location
from buergerkontakt.directory.models import Service

MORNING_ENDS_HOUR = 12  # starts before 12:00 (local time) are "vormittags"


class Entry(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("wartet")
        BOOKED = "booked", _("Termin gebucht")
        WITHDRAWN = "withdrawn", _("zurückgezogen")
        EXPIRED = "expired", _("abgelaufen")

    code = models.CharField(_("Kennung"), max_length=8, unique=True, default=generate_code, editable=False)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="waitlist_entries",
                                  verbose_name=_("Behörde"))
    services = models.ManyToManyField(Service, related_name="+", verbose_name=_("Leistungen"))
    locations = models.ManyToManyField(Location, blank=True, related_name="+", verbose_name=_("Standorte"),
                                       help_text=_("Keine Auswahl: alle Standorte."))
    date_from = models.DateField(_("frühestens am"))
    date_until = models.DateField(_("spätestens am"))
    mornings = models.BooleanField(_("vormittags"), default=True)
    afternoons = models.BooleanField(_("nachmittags"), default=True)
    deadline = models.DateField(_("Frist"), null=True, blank=True,
                                help_text=_("z. B. Ablauf eines Ausweises oder Aufenthaltstitels"))

    name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("E-Mail"), max_length=254)
    phone = models.CharField(_("Mobilnummer"), max_length=40, blank=True)
    case_number = models.CharField(_("Aktenzeichen / Kundennummer"), max_length=60, blank=True)
    interpreter_language = models.CharField(_("Dolmetscher für Sprache"), max_length=60, blank=True)
    wheelchair = models.BooleanField(_("rollstuhlgerechter Zugang"), default=False)
    sign_language = models.BooleanField(_("Gebärdensprache"), default=False)
    note = models.TextField(_("Hinweis"), max_length=1000, blank=True)
    language = models.CharField(_("Sprache der Nachrichten"), max_length=8, choices=settings.LANGUAGES,
                                default="de")

    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("gebuchter Termin"))
    created_at = models.DateTimeField(_("gemeldet am"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Bedarfsmeldung")
        verbose_name_plural = _("Bedarfsmeldungen")
        # The matching order: deadline first (entries without one last), then registration time.
        ordering = [F("deadline").asc(nulls_last=True), "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(date_from__lte=F("date_until")),
                                   name="waitlist_entry_range_order"),
            models.CheckConstraint(condition=Q(mornings=True) | Q(afternoons=True),
                                   name="waitlist_entry_time_of_day"),
        ]
        indexes = [models.Index(fields=["status", "date_from"], name="waitlist_entry_status_from")]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_status_display()})"

    @property
    def last_day(self) -> date:
        """The last day an offer may fall on: the date range, cut at the deadline."""
        if self.deadline is not None and self.deadline < self.date_until:
            return self.deadline
        return self.date_until

    def service_ids(self) -> list[int]:
        return sorted(self.services.values_list("pk", flat=True))

    def times_of_day_display(self) -> str:
        if self.mornings and self.afternoons:
            return str(_("vormittags und nachmittags"))
        return str(_("vormittags") if self.mornings else _("nachmittags"))


class Offer(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        ACCEPTED = "accepted", _("angenommen")
        DECLINED = "declined", _("abgelehnt")
        EXPIRED = "expired", _("verfallen")
        WITHDRAWN = "withdrawn", _("zurückgezogen")

    code = models.CharField(_("Kennung"), max_length=8, unique=True, default=generate_code, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="offers",
                              verbose_name=_("Bedarfsmeldung"))
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="waitlist_offer",
                                       verbose_name=_("reservierter Termin"))
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField(_("gilt bis"))
    created_at = models.DateTimeField(_("angeboten am"), auto_now_add=True)
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    # An offer made in the quiet hours is texted when they end (the e-mail goes at once).
    sms_due_at = models.DateTimeField(_("SMS fällig ab"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("SMS verschickt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Terminangebot")
        verbose_name_plural = _("Terminangebote")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Never two open offers for the same need at once.
            models.UniqueConstraint(fields=["entry"], condition=Q(status="open"),
                                    name="waitlist_one_open_offer_per_entry"),
        ]
        indexes = [models.Index(fields=["expires_at"], condition=Q(status="open"),
                                name="waitlist_offer_open_due")]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_status_display()})"
