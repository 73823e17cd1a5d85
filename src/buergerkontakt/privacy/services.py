"""The privacy app's public write API (docs/privacy/loeschkonzept.md):

* :func:`apply_retention` – the deletion concept, run daily by ``tasks.apply_retention_task``: each
  category's period is turned into a Berlin-day cutoff and handed to the purge function of the app
  that owns the data (its ``services``), which works in batches. What stays is anonymous and still
  counts in every statistic.
* :func:`submit_request`, :func:`verify_request` – a citizen's Art. 15 / Art. 17 request without an
  account, verified through a signed link sent to the contact it names.
* :func:`personal_data` – everything stored with that contact (never matched by name alone, so a
  namesake's data stays out); :func:`export_json` / ``pdf.export_pdf`` hand it out.
* :func:`complete_request`, :func:`refuse_request` – the DPO answers within a month; completing an
  erasure removes the person everywhere, mail and SMS files included.

Logs name request codes and counts, never a name, address or number.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerkontakt.alarms import services as alarms
from buergerkontakt.appointments import services as appointments
from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.models import Authority, Role, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.incidents.models import Report
from buergerkontakt.notifications import pipeline
from buergerkontakt.notifications import services as messages
from buergerkontakt.notifications.sms import mask
from buergerkontakt.telephony import services as telephony
from buergerkontakt.waitlist import services as waitlist
from buergerkontakt.walkin import services as walkin

from . import links, retention
from .models import RightsRequest

log = logging.getLogger(__name__)


class PrivacyError(ServiceError):
    """A request that cannot be carried out, with a German message."""


# --- retention -----------------------------------------------------------------------------------
def _batch() -> int:
    return settings.PRIVACY_BATCH_SIZE


def _purge_requests(now: datetime) -> int:
    category = retention.BY_KEY["requests"]
    done = RightsRequest.objects.filter(
        status__in=[RightsRequest.Status.DONE, RightsRequest.Status.REFUSED],
        completed_at__lt=retention.cutoff(category, now),
    ).delete()[0]
    # a request nobody confirmed is forgotten when its link has expired
    stale = now - timedelta(days=settings.PRIVACY_LINK_DAYS + 1)
    return done + RightsRequest.objects.filter(status=RightsRequest.Status.UNVERIFIED,
                                               created_at__lt=stale).delete()[0]


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every category's period once (idempotent: a second run the same day changes nothing).
    Returns the number of rows or files changed per category."""
    now = now or timezone.now()
    cut = {category.key: retention.cutoff(category, now) for category in retention.CATEGORIES}
    keep_alarms = set(Report.objects.filter(alarm__isnull=False).values_list("alarm_id", flat=True))
    result = {
        "appointments": appointments.purge_personal_data(cut["appointments"], batch_size=_batch()),
        "walkin": walkin.purge_personal_data(retention.cutoff_day(retention.BY_KEY["walkin"], now),
                                             batch_size=_batch()),
        "callbacks": callbacks.purge_personal_data(cut["callbacks"], batch_size=_batch()),
        "waitlist": waitlist.purge_personal_data(cut["waitlist"], batch_size=_batch()),
        "messages": messages.purge_files_before(cut["messages"]),
        "calls": telephony.purge_calls_before(cut["calls"]),
        "alarms": alarms.pseudonymise_before(cut["alarms"], keep_alarm_ids=keep_alarms, batch_size=_batch()),
        "requests": _purge_requests(now),
    }
    if any(result.values()):
        log.info("Löschkonzept angewandt: %s", ", ".join(f"{key} {count}" for key, count in result.items()))
    return result


# --- citizens' requests --------------------------------------------------------------------------
def normalise_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "DE")
    except phonenumbers.NumberParseException:
        raise PrivacyError(_("Bitte geben Sie eine gültige Mobilnummer an, z. B. 0151 2345678.")) from None
    if not phonenumbers.is_valid_number(number):
        raise PrivacyError(_("Bitte geben Sie eine gültige Mobilnummer an, z. B. 0151 2345678."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _mask_email(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"[:60]


def submit_request(authority: Authority, kind: str, *, email: str = "", phone: str = "",
                   language: str = "de", now: datetime | None = None) -> RightsRequest:
    """Record the request and send the confirmation link to the contact it names (one of e-mail
    address or mobile number). Nothing tells the requester whether data exist."""
    now = now or timezone.now()
    if kind not in RightsRequest.Kind.values:
        raise PrivacyError(_("Bitte wählen Sie, ob Sie Auskunft oder Löschung beantragen."))
    email = (email or "").strip().lower()
    phone = normalise_phone(phone)
    if bool(email) == bool(phone):
        raise PrivacyError(_("Bitte geben Sie entweder Ihre E-Mail-Adresse oder Ihre Mobilnummer an – "
                             "die, mit der Sie gebucht oder sich gemeldet haben."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise PrivacyError(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from None
    request = RightsRequest.objects.create(
        authority=authority, kind=kind, email=email, phone=phone, language=language[:2] or "de",
        contact_masked=_mask_email(email) if email else mask(phone), created_at=now)
    pipeline.notify(TOPIC, "confirm", request.pk)
    log.info("Betroffenenanfrage %s (%s) gestellt", request.code, kind)
    return request


def _confirmation(pk: int, kind: str, params: dict) -> list[pipeline.Message] | None:
    """The confirmation link, to the contact the request names (notification pipeline builder)."""
    request = RightsRequest.objects.filter(pk=pk).first()
    if request is None:
        return None
    with translation.override(request.language):
        context = {"request": request, "url": links.url(request), "authority": request.authority,
                   "expires": links._expires(request)}
        if request.email:
            return [pipeline.Message(to=[request.email],
                                     subject=str(_("Bitte bestätigen Sie Ihre Datenschutz-Anfrage")),
                                     body=render_to_string("privacy/mail/confirm.txt", context))]
        return [pipeline.Message(sms_to=request.phone,
                                 sms_text=render_to_string("privacy/mail/confirm.sms", context).strip())]


TOPIC = "privacy-request"
pipeline.register(TOPIC, ("confirm",), _confirmation)


def due_on(verified_at: datetime):
    """One month after the request was confirmed (Art. 12(3) GDPR), Berlin days; the same day of the
    next month, or its last day."""
    return retention.plus_months(retention.local_today(verified_at), 1)


@transaction.atomic
def verify_request(code: str, token: str, now: datetime | None = None) -> RightsRequest:
    """The requester opened the link and confirmed: the request enters the DPO's queue."""
    now = now or timezone.now()
    request = links.check_token(code, token, now=now)
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == RightsRequest.Status.UNVERIFIED:
        request.status, request.verified_at, request.due_on = RightsRequest.Status.OPEN, now, due_on(now)
        request.save(update_fields=["status", "verified_at", "due_on"])
        log.info("Betroffenenanfrage %s bestätigt", request.code)
    return request


def _contacts(request: RightsRequest) -> tuple[list[str], list[str]]:
    return ([request.email] if request.email else []), ([request.phone] if request.phone else [])


TIME_KEYS = frozenset({"start", "created_at", "closed_at", "written_at", "at"})


def _local_times(value):
    """ISO times of the apps' rows in Berlin time to the minute (what the citizen saw)."""
    if isinstance(value, list):
        return [_local_times(item) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key in TIME_KEYS and isinstance(item, str) and "T" in item:
                with contextlib.suppress(ValueError):
                    item = timezone.localtime(datetime.fromisoformat(item)).isoformat(timespec="minutes")
            result[key] = _local_times(item)
        return result
    return value


def personal_data(request: RightsRequest) -> dict:
    """Everything stored with the request's (verified) contact at its authority."""
    if request.status == RightsRequest.Status.UNVERIFIED:
        raise PrivacyError(_("Bitte bestätigen Sie Ihre Anfrage zuerst über den Link."), 403)
    emails, phones = _contacts(request)
    scope = {"emails": emails, "phones": phones, "authority_id": request.authority_id}
    return {
        "request": {"code": request.code, "kind": request.kind, "authority": request.authority.name,
                    "contact": request.email or request.phone,
                    "created_at": request.created_at.isoformat()},
        "appointments": _local_times(appointments.personal_data_of(**scope)),
        "waitlist": _local_times(waitlist.personal_data_of(**scope)),
        "callbacks": _local_times(callbacks.personal_data_of(**scope)),
        "messages": _local_times(messages.messages_mentioning(emails + phones)),
        "not_included": [
            _("Wartenummern ohne Termin speichern keinen Namen und keine Kontaktdaten."),
            _("Einträge im Gefährdungsregister beauskunftet der Datenschutz gesondert (Art. 15 mit "
              "Prüfung nach Art. 15 Abs. 4 DSGVO)."),
        ],
    }


def export_json(request: RightsRequest) -> str:
    return json.dumps(personal_data(request), ensure_ascii=False, indent=2, default=str)


def _dpo(user: User, request: RightsRequest) -> None:
    if not (user.is_superuser or has_role(user, Role.DPO, obj=request.authority)):
        raise PrivacyError(_("Nur der Datenschutz dieser Behörde bearbeitet Betroffenenanfragen."), 403)


def erase(request: RightsRequest) -> dict[str, int]:
    """Art. 17: remove the person (the request's contact) everywhere at the authority, incl. the
    mail and SMS files. Counts per place."""
    emails, phones = _contacts(request)
    scope = {"emails": emails, "phones": phones, "authority_id": request.authority_id}
    return {
        "appointments": appointments.erase_person(**scope),
        "waitlist": waitlist.erase_person(**scope),
        "callbacks": callbacks.erase_person(**scope),
        "messages": messages.erase_messages_mentioning(emails + phones),
    }


@transaction.atomic
def complete_request(request: RightsRequest | int, by: User, *, answer: str = "",
                     now: datetime | None = None) -> RightsRequest:
    """The DPO answers: an access request is marked as given out; an erasure request is carried out
    now. Afterwards only the masked contact remains on the request (accountability)."""
    now = now or timezone.now()
    pk = request.pk if isinstance(request, RightsRequest) else request
    request = RightsRequest.objects.select_for_update().get(pk=pk)
    _dpo(by, request)
    if request.status != RightsRequest.Status.OPEN:
        raise PrivacyError(_("Diese Anfrage ist nicht offen."), 409)
    if request.kind == RightsRequest.Kind.ERASURE:
        request.result = erase(request)
        request.email = request.phone = ""
    request.status, request.completed_at, request.completed_by = RightsRequest.Status.DONE, now, by
    request.answer = answer.strip()[:2000]
    request.save()
    log.info("Betroffenenanfrage %s erledigt (Konto %s): %s", request.code, by.pk, request.result or "-")
    return request


@transaction.atomic
def refuse_request(request: RightsRequest | int, by: User, *, answer: str,
                   now: datetime | None = None) -> RightsRequest:
    """The DPO refuses (e.g. a statutory retention period, Art. 17(3)); a reason is required."""
    pk = request.pk if isinstance(request, RightsRequest) else request
    request = RightsRequest.objects.select_for_update().get(pk=pk)
    _dpo(by, request)
    if request.status != RightsRequest.Status.OPEN:
        raise PrivacyError(_("Diese Anfrage ist nicht offen."), 409)
    if len(answer.strip()) < 20:
        raise PrivacyError(_("Bitte begründen Sie die Ablehnung (mindestens 20 Zeichen)."))
    request.status, request.completed_by = RightsRequest.Status.REFUSED, by
    request.completed_at = now or timezone.now()
    request.answer = answer.strip()[:2000]
    request.email = request.phone = ""
    request.save()
    log.info("Betroffenenanfrage %s abgelehnt (Konto %s)", request.code, by.pk)
    return request
