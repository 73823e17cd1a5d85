"""The organisation tree and the people in it.

Authority (Behörde) → Location (Standort, with address) → Floor → Room; teams belong to an
authority and sit at a home location; staff members are users with a workstation room, direct
dial, team memberships and a deputy. Roles are assigned with a scope (authority, location or team).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import phones

BUNDESLAENDER = [
    ("BW", "Baden-Württemberg"), ("BY", "Bayern"), ("BE", "Berlin"), ("BB", "Brandenburg"),
    ("HB", "Bremen"), ("HH", "Hamburg"), ("HE", "Hessen"), ("MV", "Mecklenburg-Vorpommern"),
    ("NI", "Niedersachsen"), ("NW", "Nordrhein-Westfalen"), ("RP", "Rheinland-Pfalz"),
    ("SL", "Saarland"), ("SN", "Sachsen"), ("ST", "Sachsen-Anhalt"),
    ("SH", "Schleswig-Holstein"), ("TH", "Thüringen"),
]


class Authority(models.Model):
    class Kind(models.TextChoices):
        JOBCENTER = "jobcenter", _("Jobcenter")
        BUERGERBUERO = "buergerbuero", _("Bürgerbüro / Bürgeramt")
        SOZIALAMT = "sozialamt", _("Sozialamt")
        AUSLAENDERBEHOERDE = "auslaenderbehoerde", _("Ausländerbehörde")
        WOHNUNGSAMT = "wohnungsamt", _("Wohnungsamt")
        JUGENDAMT = "jugendamt", _("Jugendamt")
        OTHER = "other", _("Sonstige Behörde")

    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    bundesland = models.CharField(
        _("Bundesland"), max_length=2, choices=BUNDESLAENDER, blank=True,
        help_text=_("Für Feiertage. Leer: Voreinstellung der Installation."),
    )
    phone = models.CharField(_("Zentrale Rufnummer"), max_length=40, blank=True)
    email = models.EmailField(_("Zentrale E-Mail"), blank=True)
    website = models.URLField(_("Website"), blank=True)

    class Meta:
        verbose_name = _("Behörde")
        verbose_name_plural = _("Behörden")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def holiday_region(self) -> str:
        return self.bundesland or settings.DEFAULT_BUNDESLAND


class ContactChannels(models.Model):
    """Which ways in a location or team offers (SPEC §1 'channels')."""

    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    contact_form_url = models.URLField(_("Kontaktformular (Adresse)"), blank=True)
    offers_phone = models.BooleanField(_("telefonisch erreichbar"), default=True)
    offers_email = models.BooleanField(_("per E-Mail erreichbar"), default=True)
    offers_contact_form = models.BooleanField(_("Kontaktformular"), default=False)
    offers_online_callback = models.BooleanField(_("Online-Rückrufwunsch"), default=False)
    offers_online_booking = models.BooleanField(_("Online-Terminbuchung"), default=False)

    class Meta:
        abstract = True


class VisitMode(models.TextChoices):
    APPOINTMENT_ONLY = "appointment_only", _("Vorsprache nur mit Termin")
    WALK_IN = "walk_in", _("Vorsprache ohne Termin zu festen Zeiten")
    MIXED = "mixed", _("Mit Termin, ohne Termin zu festen Zeiten")
    NONE = "none", _("Keine persönliche Vorsprache nötig")


class Location(ContactChannels):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="locations",
                                  verbose_name=_("Behörde"))
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200)
    postcode = models.CharField(_("PLZ"), max_length=5)
    city = models.CharField(_("Ort"), max_length=100)
    bundesland = models.CharField(_("Bundesland"), max_length=2, choices=BUNDESLAENDER, blank=True)
    latitude = models.DecimalField(_("Breitengrad"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("Längengrad"), max_digits=9, decimal_places=6, null=True, blank=True)
    visit_mode = models.CharField(_("Vorsprache"), max_length=20, choices=VisitMode.choices,
                                  default=VisitMode.APPOINTMENT_ONLY)
    how_to_book = models.TextField(_("So vereinbaren Sie einen Termin"), blank=True)
    emergency_rule = models.TextField(
        _("Notfälle"), blank=True,
        help_text=_("Was gilt bei Notfällen ohne Termin (z. B. kein Geld, drohende Räumung)?"),
    )
    accessibility = models.TextField(_("Barrierefreiheit"), blank=True)
    directions = models.TextField(_("Anfahrt"), blank=True)
    is_public = models.BooleanField(_("öffentlich angezeigt"), default=True)

    class Meta:
        verbose_name = _("Standort")
        verbose_name_plural = _("Standorte")
        ordering = ["authority__name", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:location", kwargs={"slug": self.slug})

    @property
    def holiday_region(self) -> str:
        return self.bundesland or self.authority.holiday_region

    @property
    def address_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


class Floor(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="floors",
                                 verbose_name=_("Standort"))
    name = models.CharField(_("Bezeichnung"), max_length=80)
    level = models.SmallIntegerField(_("Ebene"), default=0)

    class Meta:
        verbose_name = _("Etage")
        verbose_name_plural = _("Etagen")
        ordering = ["location", "level"]
        constraints = [models.UniqueConstraint(fields=["location", "level"], name="floor_unique_level")]

    def __str__(self) -> str:
        return f"{self.location} – {self.name}"


class Room(models.Model):
    class Kind(models.TextChoices):
        OFFICE = "office", _("Büro")
        COUNTER = "counter", _("Schalter / Theke")
        RECEPTION = "reception", _("Empfang")
        WAITING = "waiting", _("Wartebereich")
        SECURITY = "security", _("Sicherheitsdienst")
        MEETING = "meeting", _("Besprechungsraum")

    floor = models.ForeignKey(Floor, on_delete=models.CASCADE, related_name="rooms",
                              verbose_name=_("Etage"))
    number = models.CharField(_("Raumnummer"), max_length=20)
    name = models.CharField(_("Bezeichnung"), max_length=100, blank=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.OFFICE)
    neighbours = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("Nachbarräume"),
        help_text=_("Wer bei einem Alarm aus diesem Raum zuerst benachrichtigt wird."),
    )

    class Meta:
        verbose_name = _("Raum")
        verbose_name_plural = _("Räume")
        ordering = ["floor", "number"]
        constraints = [models.UniqueConstraint(fields=["floor", "number"], name="room_unique_number")]

    def __str__(self) -> str:
        label = f"{self.number} {self.name}".strip()
        return f"{label} ({self.floor.name}, {self.floor.location.name})"

    @property
    def location(self) -> Location:
        return self.floor.location


class Team(ContactChannels):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="teams",
                                  verbose_name=_("Behörde"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="teams",
                                 verbose_name=_("Standort"))
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    description = models.TextField(_("Aufgaben"), blank=True)
    visit_mode = models.CharField(_("Vorsprache"), max_length=20, choices=VisitMode.choices,
                                  blank=True, help_text=_("Leer: wie der Standort."))
    is_public = models.BooleanField(_("öffentlich angezeigt"), default=True)

    class Meta:
        verbose_name = _("Team")
        verbose_name_plural = _("Teams")
        ordering = ["authority__name", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_visit_mode(self) -> str:
        return self.visit_mode or self.location.visit_mode


class User(AbstractUser):
    """A staff member (or an external professional with an account). Citizens have no account."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="staff", verbose_name=_("Behörde"))
    job_title = models.CharField(_("Funktion"), max_length=120, blank=True)
    phone = models.CharField(_("Durchwahl"), max_length=40, blank=True)
    alarm_mobile = models.CharField(
        _("Mobilnummer für Alarm-SMS"), max_length=30, blank=True, validators=[phones.validate_mobile],
        help_text=_("Für den Sicherheitsdienst: an diese Nummer geht die Alarm-SMS, wenn am PC niemand "
                    "antwortet (nicht die Durchwahl)."),
    )
    workstation_room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="staff", verbose_name=_("Arbeitsplatz (Raum)"))
    deputy = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="deputy_for", verbose_name=_("Vertretung"))
    teams = models.ManyToManyField(Team, blank=True, related_name="members",
                                   verbose_name=_("Teams"))
    absent_until = models.DateField(
        _("abwesend bis einschließlich"), null=True, blank=True,
        help_text=_("Während der Abwesenheit wird auf das Teamtelefon bzw. die Vertretung verwiesen."),
    )

    class Meta:
        verbose_name = _("Mitarbeiter:in")
        verbose_name_plural = _("Mitarbeitende")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.alarm_mobile:
            self.alarm_mobile = phones.sms_number(self.alarm_mobile) or self.alarm_mobile

    def save(self, *args, **kwargs) -> None:
        if self.alarm_mobile:  # one stored form (E.164), also when saved without a form
            self.alarm_mobile = phones.sms_number(self.alarm_mobile) or self.alarm_mobile
        super().save(*args, **kwargs)

    def is_absent_on(self, day) -> bool:
        return self.absent_until is not None and day <= self.absent_until


class Role(models.TextChoices):
    AGENT = "agent", _("Servicecenter / Empfang")
    CASEWORKER = "caseworker", _("Sachbearbeitung")
    TEAMLEAD = "teamlead", _("Teamleitung")
    SECURITY = "security", _("Sicherheitsdienst")
    REGISTER_KEEPER = "register_keeper", _("Zentrale Stelle (Gefährdungsregister)")
    DPO = "dpo", _("Datenschutz")
    ADMIN = "admin", _("Administration")
    PROFESSIONAL = "professional", _("Fachstelle (Beratungsstelle, Anwaltschaft)")


class RoleAssignment(models.Model):
    """A role held by a user within a scope: a whole authority, one location, or one team."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="role_assignments", verbose_name=_("Person"))
    role = models.CharField(_("Rolle"), max_length=30, choices=Role.choices)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("Behörde"),
                                  help_text=_("Leer nur für externe Fachstellen."))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("nur Standort"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("nur Team"))

    class Meta:
        verbose_name = _("Rollenzuweisung")
        verbose_name_plural = _("Rollenzuweisungen")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "authority", "location", "team"],
                                    name="role_assignment_unique"),
            models.CheckConstraint(
                condition=Q(role="professional") | Q(authority__isnull=False),
                name="role_assignment_staff_needs_authority",
            ),
        ]

    def __str__(self) -> str:
        scope = self.team or self.location or self.authority or _("extern")
        return f"{self.user} – {self.get_role_display()} ({scope})"


class RoleRequest(models.Model):
    """A request to grant a register or data-protection role (four eyes): an administrator asks,
    the DPO of the authority (or the operator) decides – never the requester, never the person
    concerned. Changes only through ``core.roles``."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("beantragt")
        APPROVED = "approved", _("genehmigt")
        REJECTED = "rejected", _("abgelehnt")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("Person"))
    role = models.CharField(_("Rolle"), max_length=30, choices=Role.choices)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices,
                              default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+", verbose_name=_("beantragt von"))
    requested_at = models.DateTimeField(_("beantragt am"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("entschieden von"))
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Rollenantrag (Register/Datenschutz)")
        verbose_name_plural = _("Rollenanträge (Register/Datenschutz)")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["register_keeper", "dpo"]),
                                   name="role_request_sensitive_roles"),
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")) | Q(decided_by__isnull=True),
                                   name="role_request_four_eyes"),
            models.CheckConstraint(condition=~Q(decided_by=F("user")) | Q(decided_by__isnull=True),
                                   name="role_request_not_for_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} ({self.get_status_display()})"


class ApiKey(models.Model):
    """A partner system's key (portal, telephony): scoped to one authority and to named parts of the
    API, revocable, stored only as a SHA-256 digest (the key is shown once, when it is created)."""

    class Scope(models.TextChoices):
        CALLBACKS = "callbacks", _("Rückruftickets anlegen (Telefonie, Portale)")
        TELEPHONY = "telephony", _("Anrufereignisse melden (Telefonanlage, CTI)")

    name = models.CharField(
        _("Bezeichnung"), max_length=120, help_text=_("z. B. „Telefonanlage Hauptstelle“")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("Behörde")
    )
    scopes = models.JSONField(_("Berechtigungen"), default=list)
    prefix = models.CharField(_("Schlüsselanfang"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    expires_at = models.DateTimeField(_("gültig bis"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("zuletzt benutzt"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API-Schlüssel")
        verbose_name_plural = _("API-Schlüssel")
        ordering = ["authority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class TaskWorkerLease(models.Model):
    """A running task worker's heartbeat (core/taskworker.py): a task whose worker has not beaten
    within the lease is taken to be orphaned (worker killed) and runs again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    heartbeat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("Lease eines Aufgaben-Workers")
        verbose_name_plural = _("Leases der Aufgaben-Worker")

    def __str__(self) -> str:
        return self.worker_id


class SentMessage(models.Model):
    """One record per message a task sends (core/outbox.py): a task that runs again after its
    worker was killed sends nothing twice. Only a key, never an address or content."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Versandnachweis")
        verbose_name_plural = _("Versandnachweise")

    def __str__(self) -> str:
        return self.key
