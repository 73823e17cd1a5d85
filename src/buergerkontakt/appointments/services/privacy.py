"""Appointments: retention, access and erasure of the citizen's details (called by the privacy app,
``docs/privacy/loeschkonzept.md``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from buergerkontakt.core.erasure import in_batches

from ..models import Appointment

# --- privacy: retention, access and erasure (called by the privacy app, docs/privacy/loeschkonzept.md) ---
# What a booking keeps once its personal details are removed: times, services, location, status,
# quota and the staff references – everything the reports and the public promise count.
PERSONAL_BLANKS = {
    "name": "",
    "email": "",
    "phone": "",
    "case_number": "",
    "interpreter_language": "",
    "note": "",
    "person_key": "",
    "holder": "",
    "holder_browser": "",
    "wheelchair": False,
    "sign_language": False,
    "idempotency_key": None,
}
_HAS_PERSONAL_DATA = (
    ~Q(name="") | ~Q(email="") | ~Q(phone="") | ~Q(case_number="") | ~Q(note="") | ~Q(person_key="")
    | ~Q(interpreter_language="") | Q(wheelchair=True) | Q(sign_language=True)
)


def _anonymise(queryset, batch_size: int) -> int:
    return in_batches(queryset.filter(_HAS_PERSONAL_DATA),
                      lambda batch: Appointment.objects.filter(pk__in=batch).update(**PERSONAL_BLANKS),
                      batch_size=batch_size)


def purge_personal_data(before: datetime, *, batch_size: int = 500) -> int:
    """Remove the citizen's details from every appointment that started before ``before`` (in batches
    of ``batch_size``, each in its own transaction); the rows stay for the statistics. Idempotent."""
    return _anonymise(Appointment.objects.filter(start__lt=before), batch_size)


def _person_q(emails: Iterable[str], phones: Iterable[str]) -> Q:
    keys = [e.strip().lower() for e in emails if e.strip()] + [p.strip() for p in phones if p.strip()]
    if not keys:
        return Q(pk__in=[])
    query = Q(person_key__in=keys) | Q(phone__in=[p for p in keys if p.startswith("+")])
    for email in (k for k in keys if "@" in k):
        query |= Q(email__iexact=email)
    return query


def _of_person(emails, phones, authority_id: int | None):
    found = Appointment.objects.filter(_person_q(list(emails), list(phones)))
    return found if authority_id is None else found.filter(location__authority_id=authority_id)


def personal_data_of(*, emails: Iterable[str] = (), phones: Iterable[str] = (),
                     authority_id: int | None = None) -> list[dict]:
    """Art. 15: every appointment booked with one of these e-mail addresses or phone numbers (never
    matched by name: a namesake's bookings stay out), optionally of one authority only."""
    rows = []
    for appointment in (_of_person(emails, phones, authority_id)
                        .select_related("location").order_by("start", "pk")):
        rows.append({
            "code": appointment.code,
            "status": appointment.get_status_display(),
            "location": appointment.location.name,
            "start": appointment.start.isoformat(),
            "services": [service.name for service in appointment.service_list],
            "name": appointment.name,
            "email": appointment.email,
            "phone": appointment.phone,
            "case_number": appointment.case_number,
            "interpreter_language": appointment.interpreter_language,
            "wheelchair": appointment.wheelchair,
            "sign_language": appointment.sign_language,
            "note": appointment.note,
            "language": appointment.language,
            "created_at": appointment.created_at.isoformat(),
        })
    return rows


def erase_person(*, emails: Iterable[str] = (), phones: Iterable[str] = (), authority_id: int | None = None,
                 batch_size: int = 500) -> int:
    """Art. 17: remove the details of every appointment booked with these contacts; the number."""
    return _anonymise(_of_person(emails, phones, authority_id), batch_size)
