"""Appointments: the citizen's details as a booking (or a waitlist entry) takes them."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ..exceptions import BookingError

FIELD_LIMITS = {"name": 200, "email": 254, "phone": 40, "case_number": 60, "interpreter_language": 60,
                "note": 1000}


# --- writes: citizen details and confirmation --------------------------------------------------------
def normalise_phone(raw: str) -> str:
    """A German or international phone number in E.164, or :class:`BookingError`."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BookingError(_("Bitte geben Sie eine gültige Telefonnummer an."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised_details(*, name: str, email: str, phone: str, case_number: str, interpreter_language: str,
                       note: str, phone_label: str, error: type[Exception]) -> dict[str, str]:
    """A person's details as a booking or a waitlist entry takes them: whitespace normalised, e-mail
    lower-cased, lengths within ``FIELD_LIMITS``, a name given (else ``error`` with a German text)."""
    details = {
        "name": " ".join(str(name or "").split()),
        "email": str(email or "").strip().lower(),
        "phone": str(phone or "").strip(),
        "case_number": str(case_number or "").strip(),
        "interpreter_language": str(interpreter_language or "").strip(),
        "note": str(note or "").strip(),
    }
    labels = {"name": _("Name"), "email": _("E-Mail"), "phone": phone_label,
              "case_number": _("Aktenzeichen"), "interpreter_language": _("Dolmetscher für Sprache"),
              "note": _("Hinweis")}
    for field, limit in FIELD_LIMITS.items():
        if len(details[field]) > limit:
            raise error(_("Die Angabe „%(field)s“ ist zu lang (höchstens %(max)d Zeichen).")
                        % {"field": labels[field], "max": limit})
    if not details["name"]:
        raise error(_("Bitte geben Sie Ihren Namen an."))
    return details


def _clean_details(*, name: str, email: str, phone: str, case_number: str, interpreter_language: str,
                   wheelchair: bool, sign_language: bool, note: str) -> dict:
    details = normalised_details(name=name, email=email, phone=phone, case_number=case_number,
                                 interpreter_language=interpreter_language, note=note,
                                 phone_label=_("Telefon"), error=BookingError)
    if details["email"]:
        try:
            validate_email(details["email"])
        except ValidationError:
            raise BookingError(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from None
    details["phone"] = normalise_phone(details["phone"])
    details["wheelchair"] = bool(wheelchair)
    details["sign_language"] = bool(sign_language)
    details["person_key"] = details["email"] or details["phone"]
    return details
