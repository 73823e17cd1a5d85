"""Appointments: service groups, schedules, materialised capacity (slots) and appointments.

Capacity is *materialised*: :class:`Slot` holds one row per time unit (``slot_minutes``) per
service group per location, with the number of parallel counters split into an online and an
internal quota and a ``*_used`` counter for each. An :class:`Appointment` occupies one unit of
capacity in each of k consecutive slots (:class:`AppointmentSlot`). The database guards the
invariant ``0 <= used <= capacity`` with check constraints; the ``services`` package is the only code
that changes the counters (see its docstring and ``docs/adr/0002-capacity-invariant.md``).
"""

from __future__ import annotations

import secrets
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Location
from buergerkontakt.directory.models import Service, Weekday

# Booking codes avoid characters that are easily confused when read out or typed: 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def generate_code() -> str:
    """A random booking code such as ``K7QX4MZP`` (31^8 ≈ 8.5 · 10^11 possibilities)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Quota(models.TextChoices):
    """Which share of a slot's counters an appointment uses."""

    ONLINE = "online", _("online")
    INTERNAL = "internal", _("intern (Servicecenter, Empfang)")


class ServiceGroup(models.Model):
    """Services that share the same counters, e.g. "Pass- und Ausweiswesen".

    The group sets the time unit and all booking rules; its schedules (per location) set the
    capacity.
    """

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="service_groups",
                                  verbose_name=_("Behörde"))
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    services = models.ManyToManyField(Service, blank=True, related_name="service_groups",
                                      verbose_name=_("Leistungen"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("Zeiteinheit (Minuten)"), default=15,
        help_text=_("Raster, in dem Termine beginnen; die Dauer eines Termins wird darauf aufgerundet."),
    )
    min_days_ahead = models.PositiveSmallIntegerField(
        _("frühestens (Tage im Voraus)"), default=1,
        help_text=_("0 = Online-Buchung noch am selben Tag möglich."),
    )
    max_days_ahead = models.PositiveSmallIntegerField(_("spätestens (Tage im Voraus)"), default=42)
    release_time = models.TimeField(
        _("Freischaltung um"), default=time(8, 0),
        help_text=_("Zu dieser Uhrzeit wird täglich der nächste Tag am Ende des Buchungsfensters "
                    "freigeschaltet."),
    )
    hold_minutes = models.PositiveSmallIntegerField(
        _("Reservierung (Minuten)"), default=10,
        help_text=_("So lange bleibt ein gewählter Termin reserviert, während das Formular "
                    "ausgefüllt wird."),
    )
    cancel_release_delay_minutes = models.PositiveSmallIntegerField(
        _("Freigabe nach Storno (Minuten)"), default=30,
        help_text=_("Stornierte Termine werden erst nach dieser Wartezeit wieder angeboten "
                    "(gegen Terminhandel durch Bots)."),
    )
    max_active_per_person = models.PositiveSmallIntegerField(
        _("aktive Termine je Person"), default=1,
        help_text=_("Höchstzahl gleichzeitig gebuchter Termine je E-Mail-Adresse bzw. Telefonnummer "
                    "in dieser Gruppe. 0 = unbegrenzt."),
    )
    require_email_confirmation = models.BooleanField(
        _("Bestätigung per E-Mail-Link"), default=False,
        help_text=_("Der Termin gilt erst als gebucht, wenn der Link in der E-Mail angeklickt wurde."),
    )
    confirm_minutes = models.PositiveSmallIntegerField(
        _("Frist für die E-Mail-Bestätigung (Minuten)"), default=30,
    )
    reminder_hours_before = models.PositiveSmallIntegerField(
        _("Erinnerung (Stunden vorher)"), default=24,
        help_text=_("So viele Stunden vor dem Termin erhalten Bürgerinnen und Bürger eine Erinnerung "
                    "per E-Mail bzw. SMS. 0 = keine Erinnerung."),
    )
    reconfirm_required = models.BooleanField(
        _("Rückbestätigung verlangen"), default=False,
        help_text=_("Die Erinnerung enthält einen Link, mit dem der Termin bestätigt werden muss; "
                    "unbestätigte Termine werden freigegeben und der Warteliste angeboten."),
    )
    reconfirm_hours_before = models.PositiveSmallIntegerField(
        _("Rückbestätigung bis (Stunden vorher)"), default=12,
        help_text=_("Bis so viele Stunden vor dem Termin muss die Rückbestätigung vorliegen."),
    )
    waitlist_offer_minutes = models.PositiveSmallIntegerField(
        _("Angebot an die Warteliste gilt (Minuten)"), default=240,
        help_text=_("So lange wird ein freier Termin für eine Bedarfsmeldung reserviert, bevor er "
                    "der nächsten Person angeboten wird."),
    )

    class Meta:
        verbose_name = _("Leistungsgruppe")
        verbose_name_plural = _("Leistungsgruppen")
        ordering = ["authority__name", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=240),
                                   name="servicegroup_slot_minutes_range"),
            models.CheckConstraint(condition=Q(max_days_ahead__gte=F("min_days_ahead")),
                                   name="servicegroup_window_order"),
            models.CheckConstraint(condition=Q(hold_minutes__gte=1), name="servicegroup_hold_min_1"),
            models.CheckConstraint(condition=Q(confirm_minutes__gte=1),
                                   name="servicegroup_confirm_min_1"),
            models.CheckConstraint(condition=Q(waitlist_offer_minutes__gte=1),
                                   name="servicegroup_offer_min_1"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.max_days_ahead is not None and self.min_days_ahead is not None \
                and self.max_days_ahead < self.min_days_ahead:
            raise ValidationError(_("Das Buchungsfenster endet vor seinem Beginn."))
        if self.slot_minutes is not None and not 5 <= self.slot_minutes <= 240:
            raise ValidationError(_("Die Zeiteinheit muss zwischen 5 und 240 Minuten liegen."))
        reminder, deadline = self.reminder_hours_before or 0, self.reconfirm_hours_before or 0
        if self.reconfirm_required and reminder <= deadline:
            raise ValidationError(_("Die Erinnerung muss vor der Frist für die Rückbestätigung "
                                    "verschickt werden."))


class Schedule(models.Model):
    """When a group is served at a location, with how many counters.

    Either weekly (``weekday``, 0 = Monday, within ``valid_from``/``valid_until``) or for one
    ``date`` (an extra Saturday, an election Sunday). Date-specific schedules *replace* the weekly
    ones on their day and apply even when the location is otherwise closed. Overlapping schedules
    on the same day add up their counters.
    """

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="schedules",
                              verbose_name=_("Leistungsgruppe"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="appointment_schedules",
                                 verbose_name=_("Standort"))
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices, null=True,
                                               blank=True)
    date = models.DateField(_("Datum (Sondertag)"), null=True, blank=True)
    start = models.TimeField(_("von"))
    end = models.TimeField(_("bis"))
    counters = models.PositiveSmallIntegerField(_("parallele Schalter"), default=1)
    online_quota = models.PositiveSmallIntegerField(
        _("davon online buchbar"), default=1,
        help_text=_("Die übrigen Schalter bleiben für Servicecenter und Empfang (internes Kontingent)."),
    )
    same_day_only = models.BooleanField(
        _("nur am selben Tag buchbar"), default=False,
        help_text=_("Spontanfenster, z. B. 08:00–10:00 Uhr, das erst am Tag selbst angeboten wird."),
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)

    class Meta:
        verbose_name = _("Sprechzeit")
        verbose_name_plural = _("Sprechzeiten")
        ordering = ["group", "location", "date", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="schedule_start_before_end"),
            models.CheckConstraint(
                condition=Q(online_quota__gte=0) & Q(online_quota__lte=F("counters")),
                name="schedule_online_quota_within_counters",
            ),
            models.CheckConstraint(condition=Q(counters__gte=1), name="schedule_counters_min_1"),
            models.CheckConstraint(
                condition=(Q(weekday__isnull=False, date__isnull=True)
                           | Q(weekday__isnull=True, date__isnull=False)),
                name="schedule_weekday_xor_date",
            ),
            models.CheckConstraint(condition=Q(weekday__isnull=True) | Q(weekday__lte=6),
                                   name="schedule_weekday_range"),
        ]
        indexes = [models.Index(fields=["group", "location"], name="schedule_group_location")]

    def __str__(self) -> str:
        when = f"{self.date:%d.%m.%Y}" if self.date else self.get_weekday_display()
        return f"{self.group} – {self.location}: {when} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if (self.weekday is None) == (self.date is None):
            raise ValidationError(_("Bitte genau einen Wochentag oder ein Datum angeben."))
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))
        if self.counters is not None and self.online_quota is not None \
                and self.online_quota > self.counters:
            raise ValidationError(_("Es können nicht mehr Schalter online buchbar sein, als es gibt."))
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValidationError(_("„gültig bis“ liegt vor „gültig ab“."))
        if self.group_id and self.location_id:
            if self.location.authority_id != self.group.authority_id:
                raise ValidationError(_("Der Standort gehört zu einer anderen Behörde."))
            unit = self.group.slot_minutes
            for moment in (self.start, self.end):
                if moment is None:
                    continue
                if moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % unit:
                    raise ValidationError(
                        _("Beginn und Ende müssen im Zeitraster der Leistungsgruppe liegen "
                          "(%(minutes)d Minuten).") % {"minutes": unit})
            self._check_opening_hours()

    def _check_opening_hours(self) -> None:
        """A weekly schedule lies within the location's published opening hours of its weekday (when
        the location publishes weekly hours; dated schedules are extra days and may lie outside)."""
        from buergerkontakt.directory.models import HoursKind, HoursRule

        if self.weekday is None or self.start is None or self.end is None:
            return
        rules = HoursRule.objects.filter(location_id=self.location_id, team__isnull=True,
                                         kind=HoursKind.OPENING)
        if not rules.exists():
            return
        day_name = Weekday(self.weekday).label
        windows = [(r.start, r.end) for r in rules.filter(weekday=self.weekday)]
        if not windows:
            raise ValidationError(
                _("Der Standort ist laut Öffnungszeiten am %(day)s geschlossen. Bitte legen Sie zuerst "
                  "Öffnungszeiten für diesen Tag an oder wählen Sie einen anderen Wochentag.")
                % {"day": day_name})
        if not any(start <= self.start and self.end <= end for start, end in windows):
            hours = ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in sorted(windows))
            raise ValidationError(
                _("Die Sprechzeit %(start)s–%(end)s liegt außerhalb der Öffnungszeiten am %(day)s "
                  "(%(hours)s Uhr). Außerhalb der Öffnungszeiten werden keine Termine angeboten.")
                % {"start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}", "day": day_name,
                   "hours": hours})

    def applies_weekly(self, day) -> bool:
        return (
            self.weekday == day.weekday()
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )


class Slot(models.Model):
    """One time unit of capacity for one group at one location (materialised from schedules).

    ``online_*`` is what citizens can book themselves, ``internal_*`` what the phone centre and
    reception book. ``*_used`` counts the appointment units currently holding capacity here.
    """

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="slots",
                              verbose_name=_("Leistungsgruppe"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="appointment_slots",
                                 verbose_name=_("Standort"))
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"))
    online_capacity = models.PositiveSmallIntegerField(_("Kapazität online"), default=0)
    internal_capacity = models.PositiveSmallIntegerField(_("Kapazität intern"), default=0)
    online_used = models.PositiveSmallIntegerField(_("belegt online"), default=0)
    internal_used = models.PositiveSmallIntegerField(_("belegt intern"), default=0)
    same_day_only = models.BooleanField(_("nur am selben Tag buchbar"), default=False)

    class Meta:
        verbose_name = _("Zeiteinheit")
        verbose_name_plural = _("Zeiteinheiten")
        ordering = ["group", "location", "start"]
        constraints = [
            # The unique constraint's index (group, location, start) serves the per-location
            # availability query and free_starts(); the index below serves "all locations".
            models.UniqueConstraint(fields=["group", "location", "start"], name="slot_unique_unit"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="slot_start_before_end"),
            models.CheckConstraint(
                condition=Q(online_used__gte=0) & Q(online_used__lte=F("online_capacity")),
                name="slot_online_used_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(internal_used__gte=0) & Q(internal_used__lte=F("internal_capacity")),
                name="slot_internal_used_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["group", "start"], name="slot_group_start")]

    def __str__(self) -> str:
        return f"{self.group} – {self.location} {self.start:%Y-%m-%d %H:%M}"

    def capacity(self, quota: str) -> int:
        return self.online_capacity if quota == Quota.ONLINE else self.internal_capacity

    def used(self, quota: str) -> int:
        return self.online_used if quota == Quota.ONLINE else self.internal_used

    def free(self, quota: str) -> int:
        return self.capacity(quota) - self.used(quota)


class Appointment(models.Model):
    """A booking of k consecutive slot units by a citizen (online) or by staff (internal).

    Capacity is held from the hold until ``capacity_released`` becomes true: when a hold or a
    pending e-mail confirmation expires, or ``capacity_release_at`` after a cancellation.
    """

    class Status(models.TextChoices):
        HELD = "held", _("reserviert")
        PENDING_CONFIRMATION = "pending_confirmation", _("wartet auf Bestätigung")
        CONFIRMED = "confirmed", _("gebucht")
        CHECKED_IN = "checked_in", _("eingecheckt")
        COMPLETED = "completed", _("erledigt")
        NO_SHOW = "no_show", _("nicht erschienen")
        CANCELLED = "cancelled", _("storniert")
        EXPIRED = "expired", _("verfallen")

    code = models.CharField(_("Buchungscode"), max_length=CODE_LENGTH, unique=True, default=generate_code,
                            editable=False)
    status = models.CharField(_("Status"), max_length=24, choices=Status.choices, default=Status.HELD)
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="appointments",
                              verbose_name=_("Leistungsgruppe"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments",
                                 verbose_name=_("Standort"))
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"))
    quota = models.CharField(_("Kontingent"), max_length=10, choices=Quota.choices, default=Quota.ONLINE)
    services = models.ManyToManyField(Service, through="AppointmentService", related_name="+",
                                      verbose_name=_("Leistungen"))
    slots = models.ManyToManyField(Slot, through="AppointmentSlot", related_name="appointments",
                                   verbose_name=_("Zeiteinheiten"))

    # Citizen details (all optional while the slot is only held).
    name = models.CharField(_("Name"), max_length=200, blank=True)
    email = models.EmailField(_("E-Mail"), max_length=254, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    case_number = models.CharField(_("Aktenzeichen / Kundennummer"), max_length=60, blank=True)
    interpreter_language = models.CharField(_("Dolmetscher für Sprache"), max_length=60, blank=True)
    wheelchair = models.BooleanField(_("rollstuhlgerechter Zugang"), default=False)
    sign_language = models.BooleanField(_("Gebärdensprache"), default=False)
    note = models.TextField(_("Hinweis"), max_length=1000, blank=True)
    person_key = models.CharField(
        _("Personenschlüssel"), max_length=254, blank=True, editable=False,
        help_text=_("E-Mail-Adresse (klein geschrieben) oder Telefonnummer im E.164-Format."),
    )

    hold_expires_at = models.DateTimeField(_("reserviert bis"), null=True, blank=True)
    # Who holds an online time, as keyed hashes (never the address itself): the client's address
    # and the browser's random cookie. Caps the concurrent holds per client (holdguard.py).
    holder = models.CharField(max_length=32, blank=True, default="", editable=False)
    holder_browser = models.CharField(max_length=32, blank=True, default="", editable=False)
    capacity_release_at = models.DateTimeField(_("Kapazität frei ab"), null=True, blank=True)
    capacity_released = models.BooleanField(_("Kapazität freigegeben"), default=False)
    idempotency_key = models.CharField(_("Idempotenzschlüssel"), max_length=100, unique=True, null=True,
                                       blank=True, editable=False)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("gebucht von (Mitarbeiter:in)"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="appointments_served",
                              verbose_name=_("zuständige Mitarbeiterin / zuständiger Mitarbeiter"))
    language = models.CharField(_("Sprache der Nachrichten"), max_length=8, choices=settings.LANGUAGES,
                                default="de")
    reminder_sent_at = models.DateTimeField(_("Erinnerung verschickt am"), null=True, blank=True)
    reconfirmed_at = models.DateTimeField(_("rückbestätigt am"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("bestätigt am"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("storniert am"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("eingecheckt am"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    # A rescheduled booking is a new row; for the citizen it is one appointment that moves: the old
    # row points to its successor, and the calendar event keeps the first booking's UID.
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to",
        editable=False, verbose_name=_("verschoben von"))
    calendar_uid = models.CharField(_("Kalender-UID"), max_length=CODE_LENGTH, blank=True, editable=False,
                                    help_text=_("Buchungscode des ersten Termins, wenn verschoben."))
    calendar_sequence = models.PositiveSmallIntegerField(_("Kalender-Version"), default=0, editable=False)

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(condition=Q(quota__in=Quota.values), name="appointment_quota_valid"),
        ]
        indexes = [
            models.Index(fields=["location", "start"], name="appointment_location_start"),
            models.Index(fields=["group", "person_key"], name="appointment_group_person"),
            # release_due_capacity(): the few rows that still hold capacity and may become due.
            models.Index(fields=["hold_expires_at"], condition=Q(capacity_released=False),
                         name="appointment_hold_due"),
            models.Index(fields=["capacity_release_at"], condition=Q(capacity_released=False),
                         name="appointment_release_due"),
            # holdguard.py: the open holds of one client / one browser.
            models.Index(fields=["holder", "hold_expires_at"], condition=~Q(holder=""),
                         name="appointment_holder"),
            models.Index(fields=["holder_browser", "hold_expires_at"], condition=~Q(holder_browser=""),
                         name="appointment_holder_browser"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_status_display()})"

    @property
    def calendar_code(self) -> str:
        """The booking code that names the calendar event (the first booking's, across moves)."""
        return self.calendar_uid or self.code

    def current(self) -> Appointment:
        """This appointment, or where it was moved to (following every move)."""
        appointment, seen = self, {self.pk}
        while appointment.status == self.Status.CANCELLED:
            successor = Appointment.objects.filter(rescheduled_from=appointment).first()
            if successor is None or successor.pk in seen:
                break
            appointment = successor
            seen.add(successor.pk)
        return appointment

    @property
    def service_list(self) -> list[Service]:
        """The booked services in the order they were chosen."""
        known = getattr(self, "_chosen_services", None)
        if known is not None:
            return list(known)
        return [row.service for row in self.service_rows.select_related("service").order_by("position")]

    def remember_services(self, services: list[Service]) -> None:
        """The services were just stored for this instance (``hold_slot``): ``service_list`` needs no
        query. They never change afterwards; a rescheduled booking is a new appointment."""
        self._chosen_services = tuple(services)


class AppointmentService(models.Model):
    """One service of an appointment, in order (position 0 first)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="service_rows")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("Leistung im Termin")
        verbose_name_plural = _("Leistungen im Termin")
        ordering = ["appointment", "position"]
        constraints = [models.UniqueConstraint(fields=["appointment", "position"],
                                               name="appointment_service_unique_position")]

    def __str__(self) -> str:
        return f"{self.appointment_id} #{self.position}: {self.service_id}"


class AppointmentSlot(models.Model):
    """One slot unit occupied by an appointment (kept after release, for the record)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="units")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="units")

    class Meta:
        verbose_name = _("belegte Zeiteinheit")
        verbose_name_plural = _("belegte Zeiteinheiten")
        constraints = [models.UniqueConstraint(fields=["appointment", "slot"],
                                               name="appointment_slot_unique")]

    def __str__(self) -> str:
        return f"{self.appointment_id} → {self.slot_id}"
