"""Walk-in queue: queues per location, numbered tickets, the desks that call them, screens.

A ticket's life: WAITING → CALLED (shown on the display; may be called again) → SERVING → DONE.
From CALLED it can become MISSED (nobody came after N calls); WAITING or MISSED tickets can be
cancelled; a SERVING ticket can be handed over to another queue or room and is WAITING again.
"""

from __future__ import annotations

import ipaddress
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Location, Room
from buergerkontakt.directory.models import Service


class Queue(models.Model):
    """A line of tickets at one location, for a set of services, with its own number prefix."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="queues",
                                 verbose_name=_("Standort"))
    name = models.CharField(_("Name"), max_length=120)
    prefix = models.CharField(_("Buchstabe"), max_length=3,
                              help_text=_("Steht vor der Nummer, z. B. „A“ für A-042."))
    services = models.ManyToManyField(Service, blank=True, related_name="queues",
                                      verbose_name=_("Leistungen"))
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=10)
    is_active = models.BooleanField(_("aktiv"), default=True)
    walk_in = models.BooleanField(_("Wartenummern ohne Termin"), default=True,
                                  help_text=_("Empfang und Kiosk dürfen Nummern ohne Termin ausgeben."))
    walk_in_cutoff_minutes = models.PositiveSmallIntegerField(
        _("Annahmeschluss (Minuten vor Ende der Vorsprachezeit)"), default=0,
        help_text=_("Nummern ohne Termin gibt es nur in den Zeiten „Vorsprache ohne Termin“ des "
                    "Standorts, bis so viele Minuten vor deren Ende. Ohne solche Zeiten: jederzeit."))
    missed_after_calls = models.PositiveSmallIntegerField(
        _("„nicht erschienen“ nach Aufrufen"), default=3,
        help_text=_("Erst nach so vielen unbeantworteten Aufrufen kann eine Nummer als nicht erschienen "
                    "markiert werden."))
    checkin_early_minutes = models.PositiveSmallIntegerField(
        _("Check-in frühestens (Minuten vor dem Termin)"), default=60)
    checkin_late_minutes = models.PositiveSmallIntegerField(
        _("Check-in spätestens (Minuten nach Terminbeginn)"), default=15)
    appointment_lead_minutes = models.PositiveSmallIntegerField(
        _("Termine vorziehen (Minuten vor Beginn)"), default=5,
        help_text=_("Eingecheckte Termine kommen so viele Minuten vor ihrer Uhrzeit vor allen "
                    "Wartenden ohne Termin an die Reihe."))
    soon_when_ahead = models.PositiveSmallIntegerField(
        _("„gleich dran“ ab Wartenden davor"), default=2)
    default_service_minutes = models.PositiveSmallIntegerField(
        _("angenommene Bedienzeit (Minuten)"), default=10,
        help_text=_("Für die Wartezeitschätzung, solange es noch keine gemessenen Zeiten gibt."))

    class Meta:
        verbose_name = _("Warteschlange")
        verbose_name_plural = _("Warteschlangen")
        ordering = ["location", "position", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["location", "prefix"], name="queue_prefix_unique_per_location"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} – {self.name} ({self.location})"

    def permission_scope(self):
        return self.location


class DailyNumber(models.Model):
    """The last number given out per queue and day (numbers restart at 1 every day)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "day"], name="daily_number_unique")]

    def __str__(self) -> str:
        return f"{self.queue.prefix} {self.day}: {self.last}"


def new_ticket_secret() -> str:
    return secrets.token_urlsafe(12)


class Ticket(models.Model):
    class Kind(models.TextChoices):
        WALK_IN = "walk_in", _("ohne Termin")
        APPOINTMENT = "appointment", _("mit Termin")
        EMERGENCY = "emergency", _("Notfall")

    class Status(models.TextChoices):
        WAITING = "waiting", _("wartet")
        CALLED = "called", _("aufgerufen")
        SERVING = "serving", _("in Bearbeitung")
        DONE = "done", _("erledigt")
        MISSED = "missed", _("nicht erschienen")
        CANCELLED = "cancelled", _("storniert")

    ACTIVE = (Status.CALLED, Status.SERVING)
    OPEN = (Status.WAITING, Status.CALLED, Status.SERVING)

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets",
                              verbose_name=_("Warteschlange"))
    # The queue that gave out the number: a ticket handed over to another queue keeps its number.
    origin = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("Nummer aus Warteschlange"))
    prefix = models.CharField(_("Buchstabe"), max_length=3)
    day = models.DateField(_("Tag"))
    number = models.PositiveIntegerField(_("Nummer"))
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.WALK_IN)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.WAITING)
    emergency_reason = models.CharField(_("Grund des Notfalls"), max_length=200, blank=True)
    appointment = models.OneToOneField("appointments.Appointment", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="ticket", verbose_name=_("Termin"))
    appointment_start = models.DateTimeField(_("Terminbeginn"), null=True, blank=True)
    reserved_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("nur aufrufbar von"),
        help_text=_("Termine mit fester Ansprechperson und Weiterleitungen an eine Person."))
    reserved_room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("weitergeleitet an Raum"))
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)
    queued_at = models.DateTimeField(_("eingereiht um"))
    issued_at = models.DateTimeField(_("ausgegeben um"))
    called_at = models.DateTimeField(_("zuerst aufgerufen um"), null=True, blank=True)
    last_called_at = models.DateTimeField(_("zuletzt aufgerufen um"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("Aufrufe"), default=0)
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("aufgerufen in Raum"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("bearbeitet von"))
    started_at = models.DateTimeField(_("Beginn der Bedienung"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Ende"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("Wartezeit (Sekunden)"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("Bedienzeit (Sekunden)"), null=True, blank=True)
    handovers = models.PositiveSmallIntegerField(_("Weiterleitungen"), default=0)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", verbose_name=_("ausgegeben von"))

    class Meta:
        verbose_name = _("Wartenummer")
        verbose_name_plural = _("Wartenummern")
        ordering = ["day", "queue", "number"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "day", "number"], name="ticket_number_unique_per_day"),
            # One staff member has at most one ticket called or in service at a time.
            models.UniqueConstraint(fields=["handler"], condition=Q(status__in=["called", "serving"]),
                                    name="ticket_one_active_per_handler"),
            models.CheckConstraint(condition=~Q(kind="emergency") | ~Q(emergency_reason=""),
                                   name="ticket_emergency_has_reason"),
        ]
        indexes = [models.Index(fields=["queue", "status", "day"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.prefix}-{self.number:03d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def permission_scope(self):
        return self.queue.location


class CallEvent(models.Model):
    """Everything that happened to a ticket, in order (display history, statistics, audit)."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("ausgegeben")
        CHECKED_IN = "checked_in", _("eingecheckt")
        CALLED = "called", _("aufgerufen")
        RECALLED = "recalled", _("erneut aufgerufen")
        STARTED = "started", _("Bedienung begonnen")
        FINISHED = "finished", _("abgeschlossen")
        MISSED = "missed", _("nicht erschienen")
        HANDED_OVER = "handed_over", _("weitergeleitet")
        REQUEUED = "requeued", _("wieder eingereiht")
        EMERGENCY = "emergency", _("als Notfall eingestuft")
        CANCELLED = "cancelled", _("storniert")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("Ereignis")
        verbose_name_plural = _("Ereignisse")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_kind_display()} {self.at:%H:%M}"


class Desk(models.Model):
    """Where a staff member calls from and which queues they serve (their last choice is kept)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desks")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", verbose_name=_("Raum"))
    queues = models.ManyToManyField(Queue, related_name="desks", verbose_name=_("Warteschlangen"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Arbeitsplatz (Aufruf)")
        verbose_name_plural = _("Arbeitsplätze (Aufruf)")
        constraints = [models.UniqueConstraint(fields=["user", "location"], name="desk_unique_per_location")]

    def __str__(self) -> str:
        return f"{self.user} – {self.room}"


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    parts = [part.strip() for part in (text or "").split(",")]
    return [ipaddress.ip_network(part, strict=False) for part in parts if part]


def validate_networks(text: str) -> None:
    try:
        parse_networks(text)
    except ValueError:
        raise ValidationError(
            _("Bitte geben Sie IP-Adressen oder Netze an, z. B. 10.20.0.0/16, 192.168.5.12."), code="invalid",
        ) from None


def new_screen_key() -> str:
    return secrets.token_urlsafe(18)


GRID_MIN, GRID_MAX = 2, 8  # cells of a call display's grid


class Screen(models.Model):
    """A device without a staff login: the waiting-room display or a self-service kiosk.

    It is identified by a secret key in its URL; a display shows ticket numbers and rooms only.
    """

    class Kind(models.TextChoices):
        DISPLAY = "display", _("Aufrufanzeige")
        KIOSK = "kiosk", _("Kiosk (Selbstbedienung)")

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="screens",
                                 verbose_name=_("Standort"))
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices, default=Kind.DISPLAY)
    name = models.CharField(_("Bezeichnung"), max_length=120)
    key = models.CharField(_("Schlüssel"), max_length=40, unique=True, default=new_screen_key,
                           help_text=_("Teil der Adresse des Geräts; neu vergeben sperrt die alte Adresse."))
    is_active = models.BooleanField(_("aktiv"), default=True)
    repeat_seconds = models.PositiveSmallIntegerField(
        _("Aufruf wiederholen nach (Sekunden)"), default=20,
        help_text=_("0 = nicht wiederholen. Die Anzeige wiederholt Gong und Hervorhebung einmal."))
    recent_count = models.PositiveSmallIntegerField(_("letzte Aufrufe anzeigen"), default=6)
    allowed_networks = models.CharField(
        _("Erlaubte Netze"), max_length=500, blank=True, validators=[validate_networks],
        help_text=_("IP-Adressbereiche, aus denen das Gerät die Adresse öffnen darf, durch Kommas getrennt, "
                    "z. B. 10.20.0.0/16, 192.168.5.12. Leer: von überall (nicht empfohlen)."))
    last_seen_at = models.DateTimeField(
        _("zuletzt verbunden"), null=True, blank=True, editable=False,
        help_text=_("Wann das Gerät seine Adresse zuletzt geöffnet hat (leer: noch nie)."))

    class Meta:
        verbose_name = _("Anzeige / Kiosk")
        verbose_name_plural = _("Anzeigen und Kiosks")

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"

    def permission_scope(self):
        return self.location

    @property
    def grid_size(self) -> int:
        """How many cells the display's fixed grid has (two columns on a TV: 2 to 8 calls at once)."""
        return min(max(self.recent_count, GRID_MIN), GRID_MAX)

    def admits(self, address: str) -> bool:
        """Whether a request from ``address`` may use this screen (its allowed networks)."""
        networks = parse_networks(self.allowed_networks)
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)
