"""Citizens' access and erasure requests (Art. 15 / 17 GDPR) and the authorities' privacy notices
(Art. 13) – docs/privacy/loeschkonzept.md."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.models import Authority

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class RightsRequest(models.Model):
    """A request of a citizen without an account, verified through a signed link sent to the
    e-mail address or phone number it names; only data stored with that contact is concerned."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Auskunft (Art. 15 DSGVO)")
        ERASURE = "erasure", _("Löschung (Art. 17 DSGVO)")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("noch nicht bestätigt")
        OPEN = "open", _("offen")
        DONE = "done", _("erledigt")
        REFUSED = "refused", _("abgelehnt")

    code = models.CharField(_("Kennung"), max_length=10, unique=True, default=generate_code, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    email = models.EmailField(_("E-Mail-Adresse"), max_length=254, blank=True)
    phone = models.CharField(_("Mobilnummer"), max_length=20, blank=True)
    contact_masked = models.CharField(_("Kontakt (gekürzt)"), max_length=60, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    created_at = models.DateTimeField(_("gestellt am"))
    verified_at = models.DateTimeField(_("bestätigt am"), null=True, blank=True)
    due_on = models.DateField(_("zu beantworten bis"), null=True, blank=True)
    completed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+", verbose_name=_("abgeschlossen von"))
    answer = models.TextField(_("Antwort / Begründung"), blank=True, max_length=2000)
    result = models.JSONField(_("Ergebnis (Anzahlen)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Betroffenenanfrage")
        verbose_name_plural = _("Betroffenenanfragen")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | ~Q(status__in=["unverified", "open"]),
                name="privacy_request_has_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_kind_display()})"

    def permission_scope(self):
        return self.authority


class Processing(models.TextChoices):
    BOOKING = "termine", _("Terminbuchung")
    WAITLIST = "warteliste", _("Warteliste (Bedarfsmeldung)")
    CALLBACKS = "rueckruf", _("Rückrufwunsch")
    WALKIN = "wartenummer", _("Wartenummern ohne Termin")


class PrivacyNotice(models.Model):
    """An authority's own text of the Art. 13 notice for one processing and language; without a row
    the shipped text is shown."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    processing = models.CharField(_("Verarbeitung"), max_length=20, choices=Processing.choices)
    language = models.CharField(_("Sprache"), max_length=8, choices=settings.LANGUAGES, default="de")
    controller = models.TextField(_("Verantwortliche Stelle (Anschrift)"), max_length=1000)
    dpo_contact = models.TextField(_("Kontakt des Datenschutzbeauftragten"), max_length=1000)
    text = models.TextField(_("Weitere Hinweise"), max_length=10000, blank=True,
                            help_text=_("Ergänzt oder ersetzt die mitgelieferten Abschnitte (Absätze durch "
                                        "Leerzeilen trennen)."))
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Datenschutzhinweis")
        verbose_name_plural = _("Datenschutzhinweise")
        constraints = [models.UniqueConstraint(fields=["authority", "processing", "language"],
                                               name="privacy_notice_unique")]

    def __str__(self) -> str:
        return f"{self.authority} – {self.get_processing_display()} ({self.language})"

    def permission_scope(self):
        return self.authority
