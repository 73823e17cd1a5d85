"""Callback tickets (Rückruftickets) of the phone centre.

A :class:`Ticket` is created by an agent (or online by the citizen, or by telephony through the
API), routed to a team and optionally a case worker, and carries a deadline on the team's
business calendar. Every call attempt is an :class:`Attempt`; pausing the clock is a
:class:`Pause` with a reason; everything that happens is a :class:`TicketEvent` (the history that
staff and – filtered – the citizen see). Calls solved at first contact leave only a
:class:`FirstContact` row without personal data, so the first-contact rate can be measured.

Rows change only through ``services.py``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Team
from buergerkontakt.directory.models import ResponsibilityRule, Service

NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 7
NUMBER_PREFIX = "R"


def generate_number() -> str:
    """A random ticket number such as ``R-K7QX4MZ`` (31^7 ≈ 2.7 · 10^10 possibilities)."""
    return f"{NUMBER_PREFIX}-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("dringend")
    EMERGENCY = "emergency", _("existenzsichernd")


# Sort order of urgencies (most urgent first) for the worklist.
URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


class Channel(models.TextChoices):
    PHONE = "phone", _("Telefonzentrale")
    ONLINE = "online", _("online")
    API = "api", _("Schnittstelle")


class Outcome(models.TextChoices):
    REACHED_SOLVED = "reached_solved", _("erreicht – gelöst")
    REACHED_FOLLOWUP = "reached_followup", _("erreicht – Folgetermin")
    NOT_REACHED = "not_reached", _("nicht erreicht")
    VOICEMAIL = "voicemail", _("Mailbox")
    WRONG_NUMBER = "wrong_number", _("falsche Nummer")


FAILED_OUTCOMES = (Outcome.NOT_REACHED, Outcome.VOICEMAIL)
REACHED_OUTCOMES = (Outcome.REACHED_SOLVED, Outcome.REACHED_FOLLOWUP)


class CallbackPolicy(models.Model):
    """Deadlines, escalation and attempts of one authority (defaults apply without a row)."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="callback_policy",
                                     verbose_name=_("Behörde"))
    normal_working_days = models.PositiveSmallIntegerField(
        _("Frist normal (Arbeitstage)"), default=2, validators=[MaxValueValidator(30)],
        help_text=_("Ende des n-ten Arbeitstags nach dem Anruf."))
    urgent_working_days = models.PositiveSmallIntegerField(
        _("Frist dringend (Arbeitstage)"), default=0, validators=[MaxValueValidator(10)],
        help_text=_("0 = am selben Arbeitstag."))
    urgent_min_minutes = models.PositiveSmallIntegerField(
        _("dringend: mindestens verbleibende Arbeitszeit (Minuten)"), default=60,
        validators=[MaxValueValidator(480)],
        help_text=_("Bleibt am Tag weniger Arbeitszeit, gilt das Ende des nächsten Arbeitstags."))
    emergency_working_minutes = models.PositiveSmallIntegerField(
        _("Frist existenzsichernd (Arbeitsminuten)"), default=120,
        validators=[MinValueValidator(15), MaxValueValidator(2400)])
    warn_share_percent = models.PositiveSmallIntegerField(
        _("Vorwarnung an die Teamleitung bei (% der Frist)"), default=75,
        validators=[MinValueValidator(10), MaxValueValidator(99)])
    max_attempts = models.PositiveSmallIntegerField(
        _("Anrufversuche höchstens"), default=3, validators=[MinValueValidator(2), MaxValueValidator(10)],
        help_text=_("Mindestens zwei; nach dem letzten erfolglosen Versuch folgt eine schriftliche "
                    "Nachricht."))
    retry_gap_minutes = models.PositiveSmallIntegerField(
        _("Abstand zwischen Versuchen (Minuten)"), default=120,
        validators=[MinValueValidator(15), MaxValueValidator(1440)],
        help_text=_("Der nächste Versuch liegt mindestens so weit entfernt und zu einer anderen Tageszeit."))

    class Meta:
        verbose_name = _("Rückruf-Einstellungen")
        verbose_name_plural = _("Rückruf-Einstellungen")
        constraints = [
            models.CheckConstraint(condition=Q(max_attempts__gte=2), name="callback_policy_two_attempts"),
            models.CheckConstraint(condition=Q(warn_share_percent__gte=10, warn_share_percent__lte=99),
                                   name="callback_policy_warn_share"),
            models.CheckConstraint(condition=Q(emergency_working_minutes__gte=15),
                                   name="callback_policy_emergency_min"),
        ]

    def __str__(self) -> str:
        return str(self.authority)

    def permission_scope(self):
        return self.authority

    @classmethod
    def for_authority(cls, authority: Authority | int) -> CallbackPolicy:
        """The authority's policy, or an unsaved one with the defaults."""
        authority_id = authority.pk if isinstance(authority, Authority) else authority
        return cls.objects.filter(authority_id=authority_id).first() or cls(authority_id=authority_id)


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        SOLVED = "solved", _("erledigt")
        UNREACHABLE = "unreachable", _("nicht erreicht – schriftlich informiert")

    number = models.CharField(_("Ticketnummer"), max_length=12, unique=True, default=generate_number)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("Behörde"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="callback_tickets",
                             verbose_name=_("zuständiges Team"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="callback_tickets", verbose_name=_("zuständig"),
                                 help_text=_("Leer: Team-Postkorb."))
    rule = models.ForeignKey(ResponsibilityRule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("Zuständigkeitsregel"))
    routing_note = models.CharField(_("Zuordnung"), max_length=200, blank=True)
    channel = models.CharField(_("Eingang"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("angelegt von"))
    created_at = models.DateTimeField(_("angelegt am"), default=timezone.now)

    # The caller (personal data: never logged, never in task arguments).
    caller_name = models.CharField(_("Name"), max_length=200)
    phone = models.CharField(_("Rückrufnummer"), max_length=20, help_text=_("E.164, z. B. +4969123456"))
    email = models.EmailField(_("E-Mail-Adresse"), max_length=254, blank=True)
    case_number = models.CharField(_("Aktenzeichen / Kundennummer"), max_length=40, blank=True)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("Leistung"))
    topic = models.CharField(_("Anliegen"), max_length=200)
    note = models.TextField(_("Notiz"), max_length=2000, blank=True)
    urgency = models.CharField(_("Dringlichkeit"), max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    language = models.CharField(_("Sprache"), max_length=8, default="de")

    # Preferred times: day parts, optionally one concrete window (online requests).
    prefers_morning = models.BooleanField(_("vormittags"), default=True)
    prefers_afternoon = models.BooleanField(_("nachmittags"), default=True)
    window_start = models.DateTimeField(_("Wunschzeitfenster ab"), null=True, blank=True)
    window_end = models.DateTimeField(_("Wunschzeitfenster bis"), null=True, blank=True)

    # The clock.
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("Frist"), null=True, blank=True,
                                  help_text=_("Leer, solange die Frist angehalten ist."))
    warn_at = models.DateTimeField(_("Vorwarnung ab"), null=True, blank=True)
    paused_since = models.DateTimeField(_("angehalten seit"), null=True, blank=True)
    warned_at = models.DateTimeField(_("Vorwarnung gesendet"), null=True, blank=True)
    breached_at = models.DateTimeField(_("Frist überschritten gemeldet"), null=True, blank=True)

    # Attempts.
    attempts_made = models.PositiveSmallIntegerField(_("Anrufversuche"), default=0)
    next_attempt_at = models.DateTimeField(_("nächster Versuch ab"), null=True, blank=True)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    notice_text = models.TextField(_("Schriftliche Nachricht"), blank=True)
    appointment_code = models.CharField(_("Termin (Buchungscode)"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("Rückrufticket")
        verbose_name_plural = _("Rückruftickets")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["team", "status", "due_at"], name="callback_team_status_due"),
            models.Index(fields=["status", "warn_at"], name="callback_status_warn"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True, window_end__isnull=True)
                | Q(window_start__isnull=False, window_end__isnull=False,
                    window_start__lt=models.F("window_end")),
                name="callback_window_complete"),
            models.CheckConstraint(condition=Q(prefers_morning=True) | Q(prefers_afternoon=True),
                                   name="callback_some_daypart"),
            models.CheckConstraint(condition=Q(status="open") | Q(closed_at__isnull=False),
                                   name="callback_closed_has_time"),
        ]

    def __str__(self) -> str:
        return self.number

    def permission_scope(self):
        return self.team

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def clean(self) -> None:
        if self.team_id and self.authority_id and self.team.authority_id != self.authority_id:
            raise ValidationError(_("Das Team gehört zu einer anderen Behörde."))


class Attempt(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attempts",
                               verbose_name=_("Ticket"))
    number = models.PositiveSmallIntegerField(_("Versuch Nr."))
    at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("durch"))
    outcome = models.CharField(_("Ergebnis"), max_length=20, choices=Outcome.choices)
    note = models.CharField(_("Notiz"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("nächster Versuch ab"), null=True, blank=True)

    class Meta:
        verbose_name = _("Anrufversuch")
        verbose_name_plural = _("Anrufversuche")
        ordering = ["ticket", "number"]
        constraints = [models.UniqueConstraint(fields=["ticket", "number"], name="callback_attempt_number")]

    def __str__(self) -> str:
        return f"{self.ticket} #{self.number}: {self.get_outcome_display()}"


class Pause(models.Model):
    """The ticket's clock stood still from ``started_at`` to ``ended_at`` (audited, with reason)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses",
                               verbose_name=_("Ticket"))
    started_at = models.DateTimeField(_("angehalten am"))
    ended_at = models.DateTimeField(_("fortgesetzt am"), null=True, blank=True)
    reason = models.CharField(_("Grund"), max_length=300)
    resume_reason = models.CharField(_("Grund der Fortsetzung"), max_length=300, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("angehalten von"))
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("fortgesetzt von"))

    class Meta:
        verbose_name = _("Fristunterbrechung")
        verbose_name_plural = _("Fristunterbrechungen")
        ordering = ["ticket", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(ended_at__isnull=True),
                                    name="callback_one_open_pause"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gte=models.F("started_at")),
                                   name="callback_pause_order"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket}: {self.reason}"


class TicketEvent(models.Model):
    """One line of the ticket's history."""

    class Kind(models.TextChoices):
        CREATED = "created", _("angelegt")
        ATTEMPT = "attempt", _("Anrufversuch")
        PAUSED = "paused", _("Frist angehalten")
        RESUMED = "resumed", _("Frist fortgesetzt")
        REASSIGNED = "reassigned", _("neu zugeordnet")
        WARNED = "warned", _("Vorwarnung an die Teamleitung")
        BREACHED = "breached", _("Frist überschritten")
        NOTICE = "notice", _("schriftlich informiert")
        APPOINTMENT = "appointment", _("in einen Termin umgewandelt")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("Ticket"))
    at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now)
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("durch"))
    text = models.CharField(_("Text"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Ticketverlauf")
        verbose_name_plural = _("Ticketverlauf")
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_kind_display()}"


class FirstContact(models.Model):
    """A call the agent solved at once ("Direkt gelöst"): no ticket, no personal data."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("Servicecenter"))
    at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("Leistung"))
    topic = models.CharField(_("Anliegen"), max_length=200, blank=True)
    urgency = models.CharField(_("Dringlichkeit"), max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)

    class Meta:
        verbose_name = _("Direkt gelöster Anruf")
        verbose_name_plural = _("Direkt gelöste Anrufe")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.topic}"

    def permission_scope(self):
        return self.authority
