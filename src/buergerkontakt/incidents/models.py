"""Incident reports, register entries (Gefährdungshinweise), register access and the register log.

* :class:`Report` – what a staff member reports about an incident (any staff member). The
  narrative and everything naming people is encrypted at rest; only the register keepers of the
  authority read it (the DPO only with a logged reason).
* :class:`Entry` – a hint about a *person*, separate from reports: created by a register keeper
  for level ≥ 2 with a criminal complaint filed, active only after a second keeper approved it
  (four eyes), expires automatically, deleted on acquittal or when proceedings are dropped.
  Identifiers are encrypted; matching uses keyed hashes (``crypto``).
* :class:`AccessGrant` – a staff member's time-limited permission to look people up, approved by
  their team lead (or an administrator of the authority).
* :class:`LogEntry` – the register's log: every lookup and every hint shown on an appointment or
  callback (who, when, whom as keyed hash, purpose, result), approvals, corrections, deletions,
  exports and the DPO's inspections. It holds no plaintext personal data of the person and
  survives the deletion of the entry it was about.

Rows change only through ``services.py``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority, Location, Room

from .crypto import EncryptedTextField, decrypt_date


class Level(models.IntegerChoices):
    """Aachener Modell (Gefährdungsstufen 0–3)."""

    ZERO = 0, _("Stufe 0 – kontroverse Gesprächssituation")
    ONE = 1, _("Stufe 1 – verbale Aggression")
    TWO = 2, _("Stufe 2 – Bedrohung, Nötigung, körperliche Gewalt")
    THREE = 3, _("Stufe 3 – Waffe, Amok, Geiselnahme")


LEVEL_DESCRIPTIONS = {
    0: _("Normale bis kontroverse Gesprächssituation: Unmut, laute Stimme, aber keine Grenzverletzung."),
    1: _("Verbale Aggression: Beleidigung, Beschimpfung, Schreien, Sachen werfen ohne Ziel auf Personen."),
    2: _(
        "Handgreiflichkeit oder ernste Drohung: Bedrohung, Nötigung, Sachbeschädigung, Schlagen, Festhalten."
    ),
    3: _("Bewaffneter Angriff oder Extremlage: Waffe, Amok, Geiselnahme, Bombendrohung."),
}


class IncidentType(models.TextChoices):
    INSULT = "beleidigung", _("Beleidigung")
    THREAT = "bedrohung", _("Bedrohung")
    COERCION = "noetigung", _("Nötigung")
    PROPERTY = "sachbeschaedigung", _("Sachbeschädigung")
    ASSAULT = "koerperverletzung", _("Körperverletzung")
    WEAPON = "waffe", _("Waffe")
    HARASSMENT = "belaestigung", _("sexuelle Belästigung")
    OTHER = "sonstiges", _("Sonstiges")


class Measure(models.TextChoices):
    """Recommended measures of a register entry (what a lookup answers besides the level)."""

    TWO_PERSONS = "two_persons", _("Gespräch nur zu zweit")
    SECOND_EXIT = "second_exit", _("Raum mit zweitem Ausgang")
    SECURITY = "security", _("Sicherheitsdienst informieren")
    DOOR_OPEN = "door_open", _("Tür offen lassen, Nachbarraum informieren")
    NO_SHARP_OBJECTS = "no_objects", _("keine gefährlichen Gegenstände im Raum")
    WRITTEN_ONLY = "written_only", _("Kontakt möglichst schriftlich")


def _list_labels(choices, values) -> list[str]:
    labels = dict(choices)
    return [str(labels.get(value, value)) for value in values or []]


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("eingegangen")
        REVIEWED = "reviewed", _("gesichtet")

    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="+", verbose_name=_("Behörde")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("Standort")
    )
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("Raum")
    )
    place = models.CharField(
        _("Ort im Gebäude"),
        max_length=120,
        blank=True,
        help_text=_("Wenn kein Raum passt, z. B. Flur 2. OG, Wartebereich."),
    )
    occurred_at = models.DateTimeField(_("Zeitpunkt"))
    level = models.PositiveSmallIntegerField(_("Stufe"), choices=Level.choices)
    types = models.JSONField(_("Art"), default=list)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.NEW)

    # Encrypted at rest: the narrative and everything that names people.
    narrative = EncryptedTextField(_("Was ist passiert?"))
    staff_involved_text = EncryptedTextField(_("Beteiligte Mitarbeitende"), blank=True)
    witnesses = EncryptedTextField(_("Zeuginnen und Zeugen"), blank=True)
    injuries = EncryptedTextField(_("Verletzungen"), blank=True)
    person_name = EncryptedTextField(_("Name der Person"), blank=True)
    person_birth_date = EncryptedTextField(_("Geburtsdatum der Person"), blank=True)
    person_case_number = EncryptedTextField(_("Aktenzeichen / Kundennummer"), blank=True)
    complaint_file_number = EncryptedTextField(_("Aktenzeichen der Strafanzeige"), blank=True)
    aftercare_note = EncryptedTextField(_("Nachsorge"), blank=True)
    # Keyed hashes of the person (Art. 15 requests find the report without decrypting everything).
    person_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    name_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    case_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    house_ban = models.BooleanField(_("Hausverbot erteilt"), default=False)
    criminal_complaint = models.BooleanField(_("Strafanzeige erstattet"), default=False)
    accident_report = models.BooleanField(_("Unfallanzeige erstattet"), default=False)
    aftercare_offered = models.BooleanField(_("Nachsorge angeboten"), default=False)

    staff_involved = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("beteiligte Mitarbeitende")
    )
    alarm = models.ForeignKey(
        "alarms.Alarm",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Alarm"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("gemeldet von"),
    )
    created_at = models.DateTimeField(_("gemeldet am"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gesichtet von"),
    )
    reviewed_at = models.DateTimeField(_("gesichtet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Vorfallmeldung")
        verbose_name_plural = _("Vorfallmeldungen")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=0, level__lte=3), name="incident_report_level"),
        ]
        indexes = [models.Index(fields=["location", "occurred_at"])]

    def __str__(self) -> str:
        return f"{_('Vorfallmeldung')} {self.reference}"

    @property
    def reference(self) -> str:
        return f"V-{self.pk:05d}" if self.pk else "V-neu"

    def permission_scope(self):
        return self.location

    @property
    def type_labels(self) -> list[str]:
        return _list_labels(IncidentType.choices, self.types)

    @property
    def birth_date(self) -> date | None:
        return decrypt_date(self.person_birth_date)

    @property
    def level_description(self) -> str:
        return str(LEVEL_DESCRIPTIONS[self.level])


class Entry(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf Freigabe")
        ACTIVE = "active", _("aktiv")

    class Proceedings(models.TextChoices):
        OPEN = "open", _("Verfahren läuft")
        CONVICTED = "convicted", _("verurteilt / Strafbefehl")
        ACQUITTED = "acquitted", _("Freispruch")
        DROPPED = "dropped", _("eingestellt")

    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="+", verbose_name=_("Behörde")
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    level = models.PositiveSmallIntegerField(_("Stufe"), choices=Level.choices)

    name = EncryptedTextField(_("Name"))
    birth_date_value = EncryptedTextField(_("Geburtsdatum"))
    case_number = EncryptedTextField(_("Aktenzeichen / Kundennummer"), blank=True)
    complaint_file_number = EncryptedTextField(_("Aktenzeichen der Strafanzeige"))
    reason = EncryptedTextField(_("Begründung"))
    person_hash = models.CharField(max_length=64, db_index=True, editable=False)
    name_hash = models.CharField(max_length=64, db_index=True, editable=False)
    case_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    measures = models.JSONField(_("empfohlene Maßnahmen"), default=list)
    measures_note = models.CharField(_("weitere Maßnahmen"), max_length=300, blank=True)
    reports = models.ManyToManyField(
        Report, blank=True, related_name="entries", verbose_name=_("zugrunde liegende Meldungen")
    )
    proceedings = models.CharField(
        _("Strafverfahren"), max_length=10, choices=Proceedings.choices, default=Proceedings.OPEN
    )
    review_on = models.DateField(_("Überprüfung am"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("angelegt von")
    )
    created_at = models.DateTimeField(_("angelegt am"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("freigegeben von"),
    )
    approved_at = models.DateTimeField(_("freigegeben am"), null=True, blank=True)
    # The keeper whose correction of identity or level sent the entry back to approval (four eyes:
    # then this person, not the creator, is the one who may not approve it).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )
    changed_at = models.DateTimeField(_("geändert am"), null=True, blank=True)
    expires_at = models.DateTimeField(_("läuft ab am"))

    class Meta:
        verbose_name = _("Gefährdungshinweis")
        verbose_name_plural = _("Gefährdungshinweise")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=2, level__lte=3), name="incident_entry_level_2"),
            # four eyes: the approver is never the author of the version approved – the creator,
            # or after a correction of identity or level the keeper who made it
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(changed_by__isnull=True) & ~Q(approved_by=F("created_by"))
                | Q(changed_by__isnull=False) & ~Q(approved_by=F("changed_by")),
                name="incident_entry_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", approved_by__isnull=True)
                | Q(status="active", approved_by__isnull=False, approved_at__isnull=False),
                name="incident_entry_active_approved",
            ),
        ]
        indexes = [models.Index(fields=["authority", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{_('Gefährdungshinweis')} H-{self.pk:05d}"

    @property
    def reference(self) -> str:
        return f"H-{self.pk:05d}" if self.pk else "H-neu"

    def permission_scope(self):
        return self.authority

    @property
    def birth_date(self) -> date | None:
        return decrypt_date(self.birth_date_value)

    @property
    def measure_labels(self) -> list[str]:
        labels = _list_labels(Measure.choices, self.measures)
        if self.measures_note:
            labels.append(self.measures_note)
        return labels

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at > timezone.now()

    @property
    def review_due(self) -> bool:
        return self.review_on <= timezone.localdate()


class EntryRevision(models.Model):
    """The values an entry had before a correction (Art. 16), encrypted, for the DPO's checks.

    Deleted together with the entry: a deleted hint leaves no personal data behind."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )
    changed_by_name = models.CharField(_("Benutzername"), max_length=150, blank=True)
    changed_at = models.DateTimeField(_("geändert am"), default=timezone.now)
    was_active = models.BooleanField(_("war aktiv"), default=False)
    previous = EncryptedTextField(_("bisherige Werte"))

    class Meta:
        verbose_name = _("frühere Fassung eines Gefährdungshinweises")
        verbose_name_plural = _("frühere Fassungen von Gefährdungshinweisen")
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.changed_at:%d.%m.%Y %H:%M}"


class AccessGrant(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("beantragt")
        APPROVED = "approved", _("genehmigt")
        REJECTED = "rejected", _("abgelehnt")
        REVOKED = "revoked", _("widerrufen")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="incident_grants",
        verbose_name=_("Mitarbeiter:in"),
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("Behörde")
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(_("Begründung"), max_length=500)
    requested_until = models.DateField(_("gewünscht bis"))
    requested_at = models.DateTimeField(_("beantragt am"), default=timezone.now)
    valid_until = models.DateField(_("gültig bis einschließlich"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Registerzugang")
        verbose_name_plural = _("Registerzugänge")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(valid_until__isnull=False),
                name="incident_grant_approved_until",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_status_display()}"

    def permission_scope(self):
        return self.user

    def is_valid_on(self, day: date) -> bool:
        return (
            self.status == self.Status.APPROVED and self.valid_until is not None and day <= self.valid_until
        )


class LogEntry(models.Model):
    """One line of the register's log. Never plaintext personal data of the person concerned."""

    class Action(models.TextChoices):
        LOOKUP = "lookup", _("Abfrage")
        LOOKUP_THROTTLED = "lookup_throttled", _("Abfragen gedrosselt")
        HINT_APPOINTMENT = "hint_appointment", _("Hinweis am Termin")
        HINT_CALLBACK = "hint_callback", _("Hinweis am Rückrufticket")
        REPORT_CREATED = "report_created", _("Meldung eingegangen")
        REPORT_REVIEWED = "report_reviewed", _("Meldung gesichtet")
        REPORT_DELETED = "report_deleted", _("Meldung gelöscht")
        ENTRY_CREATED = "entry_created", _("Hinweis angelegt")
        ENTRY_APPROVED = "entry_approved", _("Hinweis freigegeben")
        ENTRY_CORRECTED = "entry_corrected", _("Hinweis berichtigt")
        ENTRY_OUTCOME = "entry_outcome", _("Verfahrensausgang erfasst")
        ENTRY_DELETED = "entry_deleted", _("Hinweis gelöscht")
        ACCESS_REQUESTED = "access_requested", _("Zugang beantragt")
        ACCESS_DECIDED = "access_decided", _("Zugang entschieden")
        INSPECTION = "inspection", _("Einsicht mit Begründung")
        EXPORT = "export", _("Auskunft (Art. 15)")
        LETTER = "letter", _("Benachrichtigung (Art. 14)")

    class Result(models.TextChoices):
        NONE = "", _("–")
        HINT = "hint", _("Hinweis vorhanden")
        NO_HINT = "no_hint", _("kein Hinweis")

    at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("Behörde")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Person (Mitarbeiter:in)"),
    )
    username = models.CharField(_("Benutzername"), max_length=150, blank=True)
    action = models.CharField(_("Vorgang"), max_length=20, choices=Action.choices)
    person_hash = models.CharField(_("Person (Schlüssel-Hash)"), max_length=64, blank=True, db_index=True)
    name_hash = models.CharField(max_length=64, blank=True, db_index=True)
    case_hash = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(_("Zweck / Begründung"), max_length=300, blank=True)
    result = models.CharField(_("Ergebnis"), max_length=8, choices=Result.choices, blank=True, default="")
    level = models.PositiveSmallIntegerField(_("Stufe"), null=True, blank=True)
    entry_id = models.PositiveBigIntegerField(_("Hinweis-Nr."), null=True, blank=True)
    report_id = models.PositiveBigIntegerField(_("Meldungs-Nr."), null=True, blank=True)
    object_ref = models.CharField(
        _("Bezug"), max_length=40, blank=True, help_text=_("z. B. appointment:17 oder callback:R-K7QX4MZ")
    )
    note = models.CharField(_("Vermerk"), max_length=200, blank=True)
    # Lookups and hints: purpose, level and the appointment/ticket reference only encrypted (JSON),
    # so the log cannot be joined with appointments or tickets to rebuild the register; the
    # clear ``object_ref`` then holds a keyed hash of the reference (reloads are logged once).
    sealed = EncryptedTextField(_("verschlüsselte Angaben"), blank=True, default="")

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll des Gefährdungsregisters")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.get_action_display()}"

    @property
    def subject_ref(self) -> str:
        from .crypto import short_ref

        return short_ref(self.person_hash or self.case_hash or self.name_hash)

    @property
    def unsealed(self) -> dict:
        if not self.sealed:
            return {}
        import json

        return json.loads(self.sealed)

    @property
    def shown_purpose(self) -> str:
        return self.unsealed.get("purpose", self.purpose)

    @property
    def shown_level(self) -> int | None:
        return self.unsealed.get("level", self.level)

    @property
    def shown_reference(self) -> str:
        return self.unsealed.get("reference", "" if self.sealed else self.object_ref)


LOOKUP_ACTIONS = (LogEntry.Action.LOOKUP, LogEntry.Action.HINT_APPOINTMENT, LogEntry.Action.HINT_CALLBACK)


DEFAULT_LETTER_TEXT = "\n\n".join([
    ("Guten Tag {name},"),
    ("nach Art. 14 der Datenschutz-Grundverordnung (DSGVO) teilen wir Ihnen mit, dass {authority} seit"
     " dem {approved} einen Gefährdungshinweis (Stufe {level}) zu Ihrer Person speichert."),
    ("Zweck: Schutz unserer Beschäftigten vor Gewalt (Fürsorgepflicht). Der Hinweis wird nicht für "
     "Entscheidungen über Leistungen oder Anliegen verwendet."),
    ("Gespeicherte Daten: Name, Geburtsdatum, gegebenenfalls Aktenzeichen, das Aktenzeichen der "
     "Strafanzeige, die Gefährdungsstufe und die empfohlenen Schutzmaßnahmen: {measures}."),
    ("Empfänger: Beschäftigte, die Sie beraten, erfahren nur, dass ein Hinweis besteht, seine Stufe "
     "und die empfohlenen Maßnahmen."),
    ("Speicherdauer: Der Hinweis wird spätestens am {expires} gelöscht, sofort bei Freispruch oder "
     "Einstellung des Verfahrens."),
    ("Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung und "
     "Widerspruch sowie das Recht, sich bei der Datenschutz-Aufsichtsbehörde zu beschweren. Wenden Sie"
     " sich dazu an unseren Datenschutz."),
    "Mit freundlichen Grüßen\n{authority}",
])


class LetterTemplate(models.Model):
    """The authority's own Art. 14 letter (placeholders: {name}, {authority}, {approved}, {level},
    {measures}, {expires}) and the exceptions (Art. 14(5) GDPR) it documented."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("Behörde"))
    sender = models.TextField(_("Absender (Briefkopf)"), max_length=1000, blank=True)
    text = models.TextField(_("Text des Schreibens"), max_length=10000, default=DEFAULT_LETTER_TEXT)
    exceptions = models.TextField(
        _("dokumentierte Ausnahmen (Art. 14 Abs. 5 DSGVO)"), max_length=4000, blank=True,
        help_text=_("Wann die Benachrichtigung unterbleibt, z. B. wenn sie den Schutzzweck ernsthaft "
                    "gefährden würde; eine Zeile je Ausnahme."))
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Vorlage Benachrichtigung (Art. 14)")
        verbose_name_plural = _("Vorlagen Benachrichtigung (Art. 14)")

    def __str__(self) -> str:
        return str(self.authority)

    def exception_list(self) -> list[str]:
        return [line.strip() for line in self.exceptions.splitlines() if line.strip()]


class SubjectLetter(models.Model):
    """The written information of the person an entry is about, made when the entry becomes active;
    its text (names the person) is encrypted and deleted with the entry."""

    class Status(models.TextChoices):
        PENDING = "pending", _("zu versenden")
        SENT = "sent", _("versandt")
        EXEMPT = "exempt", _("unterbleibt (Ausnahme)")

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="letter")
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    text = EncryptedTextField(_("Text"))
    sender = models.TextField(_("Absender"), blank=True)
    created_at = models.DateTimeField(_("erstellt am"))
    decided_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("erledigt von"))
    exception = models.CharField(_("Ausnahme"), max_length=300, blank=True)
    exception_reason = EncryptedTextField(_("Begründung der Ausnahme"), blank=True)

    class Meta:
        verbose_name = _("Benachrichtigung (Art. 14)")
        verbose_name_plural = _("Benachrichtigungen (Art. 14)")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} ({self.get_status_display()})"

    def permission_scope(self):
        return self.entry.authority
