"""Art. 13 notices, one per processing: the shipped text (German, translated like every page) with
the periods of the deletion concept filled in, and the authority's own text where it wrote one
(admin: "Datenschutzhinweise")."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Authority

from .models import PrivacyNotice, Processing


def _shipped(processing: str) -> dict:
    days = {
        Processing.BOOKING: settings.PRIVACY_APPOINTMENT_DAYS,
        Processing.WAITLIST: settings.PRIVACY_WAITLIST_DAYS,
        Processing.CALLBACKS: settings.PRIVACY_CALLBACK_DAYS,
        Processing.WALKIN: settings.PRIVACY_WALKIN_DAYS,
    }[processing]
    purposes = {
        Processing.BOOKING: _(
            "Wir verarbeiten Ihren Namen, Ihre Kontaktdaten, ein Aktenzeichen und Ihre "
            "Angaben zu Unterstützungsbedarf, um Ihren Termin zu vergeben, Sie zu erinnern "
            "und Sie bei Änderungen zu benachrichtigen."
        ),
        Processing.WAITLIST: _(
            "Wir verarbeiten Ihren Namen, Ihre Kontaktdaten und Ihre Wunschzeiten, um Ihnen "
            "einen frei werdenden Termin anzubieten."
        ),
        Processing.CALLBACKS: _(
            "Wir verarbeiten Ihren Namen, Ihre Telefonnummer, Ihr Anliegen und die "
            "Rückrufversuche, um Sie fristgerecht zurückzurufen."
        ),
        Processing.WALKIN: _(
            "Eine Wartenummer enthält keinen Namen und keine Kontaktdaten. Bei einem Notfall "
            "notieren wir den Grund, damit Sie vorgezogen werden können."
        ),
    }[processing]
    storage = {
        Processing.BOOKING: _(
            "Ihre persönlichen Angaben löschen wir %(days)s Tage nach dem Termintag."
        ),
        Processing.WAITLIST: _(
            "Ihre persönlichen Angaben löschen wir %(days)s Tage nach Ablauf, Buchung oder "
            "Rücknahme Ihrer Bedarfsmeldung."
        ),
        Processing.CALLBACKS: _(
            "Ihre Angaben löschen wir %(days)s Tage nach Abschluss des Rückrufs."
        ),
        Processing.WALKIN: _(
            "Den Grund eines Notfalls löschen wir %(days)s Tage nach dem Tag der Ausgabe."
        ),
    }[processing] % {"days": days}
    return {
        "purposes": purposes,
        "legal_basis": _(
            "Rechtsgrundlage ist Art. 6 Abs. 1 lit. e DSGVO in Verbindung mit den "
            "Vorschriften über die Aufgaben der Behörde; Angaben zu Unterstützungsbedarf "
            "geben Sie freiwillig (Art. 9 Abs. 2 lit. a DSGVO)."
        ),
        "recipients": _(
            "Die Daten sehen nur die zuständigen Beschäftigten der Behörde. Nachrichten "
            "versenden wir über den E-Mail-Server und den SMS-Dienst der Behörde. Eine "
            "Übermittlung in Drittländer findet nicht statt."
        ),
        "storage": storage + " " + _("Was danach bleibt, ist anonym und dient nur der Statistik."),
        "rights": _(
            "Sie haben das Recht auf Auskunft (Art. 15), Berichtigung (Art. 16), Löschung "
            "(Art. 17), Einschränkung (Art. 18) und Widerspruch (Art. 21 DSGVO). Auskunft und "
            "Löschung können Sie ohne Konto online beantragen. Sie können sich bei der "
            "zuständigen Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO)."
        ),
    }


def notice(processing: str, authority: Authority | None, language: str) -> dict:
    """The page's content: the shipped sections and, per authority (one or all that wrote one),
    its controller, DPO contact and further text in the page's language (German as fallback)."""
    rows = PrivacyNotice.objects.filter(processing=processing).select_related("authority")
    if authority is not None:
        rows = rows.filter(authority=authority)
    chosen: dict[int, PrivacyNotice] = {}
    for row in rows.order_by("authority__name", "pk"):
        if row.language == language or (row.language == "de" and row.authority_id not in chosen):
            chosen[row.authority_id] = row
    return {
        "processing": processing,
        "processing_label": Processing(processing).label,
        "sections": _shipped(processing),
        "authority_notices": list(chosen.values()),
        "authority": authority,
    }
