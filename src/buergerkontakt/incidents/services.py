"""The incident register's public write API.

Every function runs in one transaction, writes its log line (:class:`LogEntry`, no plaintext
personal data) in the same transaction and sends messages after commit through
``notifications.notify`` (ids only). Permission checks that belong to the rule itself (four eyes,
who may approve access) are made here; pages check roles before calling.

* :func:`submit_report` – an incident report by any staff member (optionally from an alarm).
* :func:`mark_reviewed` – a register keeper has read the report.
* :func:`create_entry` / :func:`approve_entry` / :func:`reject_entry` – a register entry, only for
  level ≥ 2 with a criminal complaint, active after a *second* keeper's approval.
* :func:`correct_entry`, :func:`record_outcome` (acquittal/dropped → deleted), :func:`delete_entry`.
* :func:`request_access` / :func:`decide_access` / :func:`revoke_access` – time-limited lookups.
* :func:`lookup` – the minimal answer, logged; :func:`hint_for_object` – the same for an appointment
  or callback ticket (logged at most once per user, object and hour).
* :func:`log_inspection`, :func:`export_person` – the DPO's reasoned inspection and Art. 15 export.
* :func:`purge_expired` – the daily retention job.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.core import ratelimit
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Authority, Location, Role, Room, User
from buergerkontakt.core.permissions import has_role

from . import crypto, letters, notifications
from .models import (
    AccessGrant,
    Entry,
    EntryRevision,
    IncidentType,
    Level,
    LogEntry,
    Measure,
    Report,
    SubjectLetter,
)

log = logging.getLogger(__name__)
Action = LogEntry.Action

LIMITS = {
    "narrative": 10_000,
    "text": 2_000,
    "name": 200,
    "case_number": 60,
    "file_number": 60,
    "place": 120,
    "purpose": 300,
    "reason": 2_000,
    "measures_note": 300,
    "grant_reason": 500,
}


class IncidentError(ServiceError):
    """A request the register refuses, with a German message."""

    field: str | None = None  # the form field the message belongs to (None: the whole form)


class PurposeError(IncidentError):
    field = "purpose"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _clean(
    value: Any, limit_key: str, *, label: str = "", required: bool = False, multiline: bool = False
) -> str:
    text = str(value or "").strip() if multiline else " ".join(str(value or "").split())
    if required and not text:
        raise IncidentError(_("Bitte geben Sie %(label)s an.") % {"label": label})
    if len(text) > LIMITS[limit_key]:
        raise IncidentError(
            _("Bitte geben Sie höchstens %(limit)d Zeichen an.") % {"limit": LIMITS[limit_key]}
        )
    return text


SEALED_ACTIONS = frozenset(a.value for a in (Action.LOOKUP, Action.HINT_APPOINTMENT, Action.HINT_CALLBACK))


def _log(action: str, *, user: User | None, authority_id: int | None, **fields) -> LogEntry:
    if action in SEALED_ACTIONS:
        # purpose, level and reference only encrypted; the clear reference a keyed hash
        reference = fields.pop("object_ref", "")
        sealed = {"purpose": fields.pop("purpose", ""), "level": fields.pop("level", None)}
        if reference:
            sealed["reference"] = reference
            fields["object_ref"] = crypto.reference_hash(reference)
        fields["sealed"] = json.dumps(sealed, ensure_ascii=False)
    return LogEntry.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user else "",
        authority_id=authority_id,
        **fields,
    )


# --- reports ---------------------------------------------------------------------------------------
@transaction.atomic
def submit_report(
    user: User,
    *,
    location: Location,
    occurred_at: datetime,
    level: int,
    types: list[str],
    narrative: str,
    room: Room | None = None,
    place: str = "",
    staff_involved=(),
    staff_involved_text: str = "",
    witnesses: str = "",
    injuries: str = "",
    person_name: str = "",
    person_birth_date: date | None = None,
    person_case_number: str = "",
    house_ban: bool = False,
    criminal_complaint: bool = False,
    complaint_file_number: str = "",
    accident_report: bool = False,
    aftercare_offered: bool = False,
    aftercare_note: str = "",
    alarm=None,
    now: datetime | None = None,
) -> Report:
    moment = _now(now)
    if user.authority_id is None or location.authority_id != user.authority_id:
        raise IncidentError(_("Sie können nur Vorfälle an Standorten Ihrer Behörde melden."), 403)
    if room is not None and room.floor.location_id != location.pk:
        raise IncidentError(_("Der Raum gehört nicht zum gewählten Standort."))
    if occurred_at > moment + timedelta(minutes=5):
        raise IncidentError(_("Der Zeitpunkt liegt in der Zukunft."))
    if level not in Level.values:
        raise IncidentError(_("Bitte wählen Sie eine Stufe von 0 bis 3."))
    types = [t for t in dict.fromkeys(types or []) if t in IncidentType.values]
    if not types:
        raise IncidentError(_("Bitte wählen Sie mindestens eine Art des Vorfalls."))
    file_number = _clean(complaint_file_number, "file_number")
    if criminal_complaint and not file_number:
        raise IncidentError(_("Bitte geben Sie das Aktenzeichen der Strafanzeige an."))
    name = _clean(person_name, "name")
    case_number = _clean(person_case_number, "case_number")
    report = Report.objects.create(
        authority_id=location.authority_id,
        location=location,
        room=room,
        place=_clean(place, "place"),
        occurred_at=occurred_at,
        level=level,
        types=types,
        narrative=_clean(narrative, "narrative", label=_("was passiert ist"), required=True, multiline=True),
        staff_involved_text=_clean(staff_involved_text, "text", multiline=True),
        witnesses=_clean(witnesses, "text", multiline=True),
        injuries=_clean(injuries, "text", multiline=True),
        person_name=name,
        person_birth_date=crypto.encrypt_date(person_birth_date),
        person_case_number=case_number,
        person_hash=crypto.person_hash(name, person_birth_date),
        name_hash=crypto.name_hash(name),
        case_hash=crypto.case_hash(case_number),
        house_ban=house_ban,
        criminal_complaint=criminal_complaint,
        complaint_file_number=file_number if criminal_complaint else "",
        accident_report=accident_report,
        aftercare_offered=aftercare_offered,
        aftercare_note=_clean(aftercare_note, "text", multiline=True),
        alarm=alarm,
        reported_by=user,
        created_at=moment,
    )
    involved = [u for u in staff_involved if u.authority_id == user.authority_id]
    if involved:
        report.staff_involved.set(involved)
    _log(
        Action.REPORT_CREATED,
        user=user,
        authority_id=report.authority_id,
        report_id=report.pk,
        level=level,
        at=moment,
    )
    notifications.notify("report_created", report.pk)
    return report


@transaction.atomic
def mark_reviewed(report: Report, by: User, now: datetime | None = None) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Report.Status.REVIEWED:
        report.status, report.reviewed_by, report.reviewed_at = Report.Status.REVIEWED, by, _now(now)
        report.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        _log(
            Action.REPORT_REVIEWED,
            user=by,
            authority_id=report.authority_id,
            report_id=report.pk,
            level=report.level,
        )
    return report


# --- register entries ------------------------------------------------------------------------------
def _measures(values) -> list[str]:
    return [m for m in dict.fromkeys(values or []) if m in Measure.values]


def _keeper(user: User, authority: Authority | int) -> None:
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    if not has_role(user, Role.REGISTER_KEEPER, obj=Authority(pk=authority_id)):
        raise IncidentError(
            _("Nur die Zentrale Stelle dieser Behörde darf Gefährdungshinweise bearbeiten."), 403
        )


@transaction.atomic
def create_entry(
    by: User,
    *,
    authority: Authority,
    name: str,
    birth_date: date | None,
    level: int,
    complaint_file_number: str,
    reason: str,
    case_number: str = "",
    measures=(),
    measures_note: str = "",
    review_on: date | None = None,
    reports=(),
    now: datetime | None = None,
) -> Entry:
    moment = _now(now)
    _keeper(by, authority)
    if level not in (2, 3):
        raise IncidentError(_("Ein Gefährdungshinweis ist nur ab Stufe 2 zulässig."))
    file_number = _clean(complaint_file_number, "file_number")
    if not file_number:
        raise IncidentError(
            _(
                "Ein Gefährdungshinweis setzt eine erstattete Strafanzeige voraus: Bitte "
                "geben Sie deren Aktenzeichen an."
            )
        )
    name = _clean(name, "name", label=_("den Namen"), required=True)
    if birth_date is None:
        raise IncidentError(_("Bitte geben Sie das Geburtsdatum an."))
    if birth_date >= timezone.localtime(moment).date():
        raise IncidentError(_("Das Geburtsdatum muss in der Vergangenheit liegen."))
    today = timezone.localtime(moment).date()
    review_on = review_on or today + timedelta(days=settings.INCIDENT_ENTRY_REVIEW_DAYS)
    if review_on <= today:
        raise IncidentError(_("Das Überprüfungsdatum muss in der Zukunft liegen."))
    measures = _measures(measures)
    note = _clean(measures_note, "measures_note")
    if not measures and not note:
        raise IncidentError(_("Bitte empfehlen Sie mindestens eine Maßnahme."))
    case_number = _clean(case_number, "case_number")
    entry = Entry.objects.create(
        authority=authority,
        level=level,
        name=name,
        birth_date_value=crypto.encrypt_date(birth_date),
        case_number=case_number,
        complaint_file_number=file_number,
        reason=_clean(reason, "reason", label=_("eine Begründung"), required=True, multiline=True),
        person_hash=crypto.person_hash(name, birth_date),
        name_hash=crypto.name_hash(name),
        case_hash=crypto.case_hash(case_number),
        measures=measures,
        measures_note=note,
        review_on=review_on,
        created_by=by,
        created_at=moment,
        expires_at=moment + timedelta(days=settings.INCIDENT_ENTRY_RETENTION_DAYS),
    )
    source = [r for r in reports if r.authority_id == authority.pk]
    if source:
        entry.reports.set(source)
    _log(
        Action.ENTRY_CREATED,
        user=by,
        authority_id=authority.pk,
        entry_id=entry.pk,
        level=level,
        person_hash=entry.person_hash,
        case_hash=entry.case_hash,
        at=moment,
    )
    notifications.notify("entry_pending", entry.pk)
    return entry


def _locked(entry: Entry | int) -> Entry:
    pk = entry.pk if isinstance(entry, Entry) else entry
    found = Entry.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise IncidentError(_("Diesen Gefährdungshinweis gibt es nicht mehr."), 404)
    return found


@transaction.atomic
def approve_entry(entry: Entry | int, by: User, now: datetime | None = None) -> Entry:
    """The second keeper's approval (four eyes): never the creator, and after a correction of
    identity or level never the keeper who made it. The first approval starts the retention
    period; approving a correction does not extend it."""
    moment = _now(now)
    entry = _locked(entry)
    _keeper(by, entry.authority_id)
    if by.pk == (entry.changed_by_id or entry.created_by_id):
        raise IncidentError(
            _(
                "Vier-Augen-Prinzip: Ein Gefährdungshinweis muss von einer zweiten Person "
                "der Zentralen Stelle freigegeben werden, nicht von der Person, die ihn angelegt "
                "oder Person bzw. Stufe geändert hat."
            ),
            403,
        )
    if entry.status != Entry.Status.PENDING:
        raise IncidentError(_("Dieser Gefährdungshinweis ist bereits freigegeben."), 409)
    entry.status, entry.approved_by, entry.approved_at = Entry.Status.ACTIVE, by, moment
    first_activation = not entry.revisions.filter(was_active=True).exists()
    if first_activation:
        entry.expires_at = moment + timedelta(days=settings.INCIDENT_ENTRY_RETENTION_DAYS)
    entry.save(update_fields=["status", "approved_by", "approved_at", "expires_at"])
    if first_activation:
        # the data subject is informed in writing (Art. 14 GDPR): the letter waits for a keeper
        letters.create_for(entry, moment)
    _log(
        Action.ENTRY_APPROVED,
        user=by,
        authority_id=entry.authority_id,
        entry_id=entry.pk,
        level=entry.level,
        person_hash=entry.person_hash,
        case_hash=entry.case_hash,
        at=moment,
    )
    return entry


DELETION_REASONS = {
    "rejected": gettext_lazy("Freigabe abgelehnt"),
    "acquitted": gettext_lazy("Freispruch"),
    "dropped": gettext_lazy("Verfahren eingestellt"),
    "expired": gettext_lazy("Speicherfrist abgelaufen"),
    "pending_expired": gettext_lazy("nicht rechtzeitig freigegeben"),
    "request": gettext_lazy("Löschung auf Antrag (Art. 17 DSGVO)"),
    "review": gettext_lazy("bei Überprüfung nicht mehr erforderlich"),
}


def _delete_entry(entry: Entry, by: User | None, reason: str, now: datetime | None = None) -> None:
    """Delete the entry with all its personal data; a log line without personal data remains."""
    _log(
        Action.ENTRY_DELETED,
        user=by,
        authority_id=entry.authority_id,
        entry_id=entry.pk,
        level=entry.level,
        note=reason,
        at=_now(now),
    )
    entry.delete()


@transaction.atomic
def reject_entry(entry: Entry | int, by: User) -> None:
    entry = _locked(entry)
    _keeper(by, entry.authority_id)
    if entry.status != Entry.Status.PENDING:
        raise IncidentError(_("Nur wartende Gefährdungshinweise können abgelehnt werden."), 409)
    if by.pk == (entry.changed_by_id or entry.created_by_id):
        raise IncidentError(_("Vier-Augen-Prinzip: Die Entscheidung trifft eine zweite Person."), 403)
    _delete_entry(entry, by, "rejected")


@transaction.atomic
def delete_entry(entry: Entry | int, by: User, reason: str) -> None:
    """Deletion by a keeper (review) or the DPO (request under Art. 17)."""
    entry = _locked(entry)
    if reason not in DELETION_REASONS:
        raise IncidentError(_("Bitte wählen Sie einen Löschgrund."))
    if not (
        has_role(by, Role.REGISTER_KEEPER, obj=entry.authority) or has_role(by, Role.DPO, obj=entry.authority)
    ):
        raise IncidentError(_("Sie dürfen diesen Gefährdungshinweis nicht löschen."), 403)
    _delete_entry(entry, by, reason)


@transaction.atomic
def record_outcome(entry: Entry | int, outcome: str, by: User) -> Entry | None:
    """The criminal proceedings ended: acquittal or dropped → the entry is deleted (returns None)."""
    entry = _locked(entry)
    _keeper(by, entry.authority_id)
    if outcome not in Entry.Proceedings.values:
        raise IncidentError(_("Bitte wählen Sie den Ausgang des Verfahrens."))
    _log(
        Action.ENTRY_OUTCOME,
        user=by,
        authority_id=entry.authority_id,
        entry_id=entry.pk,
        level=entry.level,
        note=outcome,
    )
    if outcome in (Entry.Proceedings.ACQUITTED, Entry.Proceedings.DROPPED):
        _delete_entry(entry, by, outcome)
        return None
    entry.proceedings = outcome
    entry.save(update_fields=["proceedings"])
    return entry


@transaction.atomic
def correct_entry(
    entry: Entry | int,
    by: User,
    *,
    name: str,
    birth_date: date | None,
    case_number: str,
    level: int,
    measures=(),
    measures_note: str = "",
    review_on: date | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Entry:
    """Correction (Art. 16): identifiers, level, measures, review date. Logged without the values.

    Four eyes: a change to the identity (name, date of birth, case number) or the level sends the
    entry back to "wartet auf Freigabe" – it answers no lookup until a keeper other than the one
    who changed it approves it. The previous values stay encrypted in the entry's history."""
    moment = _now(now)
    entry = _locked(entry)
    _keeper(by, entry.authority_id)
    if level not in (2, 3):
        raise IncidentError(_("Ein Gefährdungshinweis ist nur ab Stufe 2 zulässig."))
    name = _clean(name, "name", label=_("den Namen"), required=True)
    if birth_date is None:
        raise IncidentError(_("Bitte geben Sie das Geburtsdatum an."))
    case_number = _clean(case_number, "case_number")
    measures, measures_note = _measures(measures), _clean(measures_note, "measures_note")
    if not measures and not measures_note:
        raise IncidentError(_("Bitte empfehlen Sie mindestens eine Maßnahme."))
    if review_on is not None and review_on <= timezone.localtime(moment).date():
        raise IncidentError(_("Das Überprüfungsdatum muss in der Zukunft liegen."))
    changed = [
        label
        for label, old, new in (
            ("name", entry.name, name),
            ("birth_date", entry.birth_date, birth_date),
            ("case_number", entry.case_number, case_number),
            ("level", entry.level, level),
            ("measures", (entry.measures, entry.measures_note), (measures, measures_note)),
            ("review_on", entry.review_on, review_on or entry.review_on),
        )
        if old != new
    ]
    if not changed:
        return entry
    needs_approval = bool(set(changed) & IDENTITY_FIELDS)
    EntryRevision.objects.create(
        entry=entry,
        changed_by=by,
        changed_by_name=by.get_username(),
        changed_at=moment,
        was_active=entry.status == Entry.Status.ACTIVE,
        previous=json.dumps(_revision_values(entry), ensure_ascii=False),
    )
    entry.name, entry.birth_date_value, entry.case_number = name, crypto.encrypt_date(birth_date), case_number
    entry.person_hash, entry.name_hash = crypto.person_hash(name, birth_date), crypto.name_hash(name)
    entry.case_hash, entry.level = crypto.case_hash(case_number), level
    entry.measures, entry.measures_note = measures, measures_note
    entry.review_on = review_on or entry.review_on
    if needs_approval:
        entry.status, entry.approved_by, entry.approved_at = Entry.Status.PENDING, None, None
        entry.changed_by, entry.changed_at = by, moment
    entry.save()
    suffix = " – erneute Freigabe erforderlich" if needs_approval else ""
    _log(
        Action.ENTRY_CORRECTED,
        user=by,
        authority_id=entry.authority_id,
        entry_id=entry.pk,
        level=level,
        note=(", ".join(changed) + suffix + (f" – {_clean(note, 'purpose')}" if note else ""))[:200],
        at=moment,
    )
    if needs_approval:
        notifications.notify("entry_pending", entry.pk)
    return entry


IDENTITY_FIELDS = {"name", "birth_date", "case_number", "level"}
"""A correction of any of these needs a second keeper's approval again (four eyes)."""


def _revision_values(entry: Entry) -> dict:
    return {
        "status": str(entry.get_status_display()),
        "name": entry.name,
        "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
        "case_number": entry.case_number,
        "level": entry.level,
        "measures": list(entry.measures),
        "measures_note": entry.measures_note,
        "review_on": entry.review_on.isoformat(),
        "approved_by": entry.approved_by.get_username() if entry.approved_by else "",
        "approved_at": _iso(entry.approved_at),
    }


# --- access ----------------------------------------------------------------------------------------
def can_decide_access(user: User, grant: AccessGrant) -> bool:
    """Team lead of one of the requester's teams, or an administrator of their authority."""
    if user.pk == grant.user_id:
        return False
    if has_role(user, Role.ADMIN, obj=Authority(pk=grant.authority_id)):
        return True
    return any(has_role(user, Role.TEAMLEAD, obj=team) for team in grant.user.teams.all())


@transaction.atomic
def request_access(user: User, *, reason: str, until: date, now: datetime | None = None) -> AccessGrant:
    moment = _now(now)
    today = timezone.localtime(moment).date()
    if user.authority_id is None:
        raise IncidentError(_("Registerzugang gibt es nur für Mitarbeitende einer Behörde."), 403)
    reason = _clean(reason, "grant_reason", label=_("eine Begründung"), required=True)
    _check_access_end(until, today)
    if AccessGrant.objects.filter(user=user, status=AccessGrant.Status.REQUESTED).exists():
        raise IncidentError(_("Sie haben bereits einen offenen Antrag."), 409)
    grant = AccessGrant.objects.create(
        user=user, authority_id=user.authority_id, reason=reason, requested_until=until, requested_at=moment
    )
    _log(
        Action.ACCESS_REQUESTED,
        user=user,
        authority_id=user.authority_id,
        note=f"grant:{grant.pk}",
        at=moment,
    )
    notifications.notify("access_requested", grant.pk)
    return grant


def _check_access_end(until: date | None, today: date) -> None:
    """Register access ends in the future and within ``INCIDENT_ACCESS_MAX_DAYS``."""
    if until is None or until <= today:
        raise IncidentError(_("Bitte wählen Sie ein Datum in der Zukunft."))
    if until > today + timedelta(days=settings.INCIDENT_ACCESS_MAX_DAYS):
        raise IncidentError(
            _("Registerzugang gibt es für höchstens %(days)d Tage.")
            % {"days": settings.INCIDENT_ACCESS_MAX_DAYS}
        )


@transaction.atomic
def decide_access(
    grant: AccessGrant | int,
    by: User,
    *,
    approve: bool,
    valid_until: date | None = None,
    now: datetime | None = None,
) -> AccessGrant:
    moment = _now(now)
    today = timezone.localtime(moment).date()
    pk = grant.pk if isinstance(grant, AccessGrant) else grant
    grant = for_update(AccessGrant.objects.select_related("user")).get(pk=pk)
    if not can_decide_access(by, grant):
        raise IncidentError(
            _("Über diesen Antrag entscheidet die Teamleitung der antragstellenden Person."), 403
        )
    if grant.status != AccessGrant.Status.REQUESTED:
        raise IncidentError(_("Über diesen Antrag ist bereits entschieden."), 409)
    if approve:
        valid_until = valid_until or grant.requested_until
        _check_access_end(valid_until, today)
        grant.status, grant.valid_until = AccessGrant.Status.APPROVED, valid_until
    else:
        grant.status = AccessGrant.Status.REJECTED
    grant.decided_by, grant.decided_at = by, moment
    grant.save()
    _log(
        Action.ACCESS_DECIDED,
        user=by,
        authority_id=grant.authority_id,
        note=f"grant:{grant.pk} {grant.status}",
        at=moment,
    )
    notifications.notify("access_decided", grant.pk)
    return grant


@transaction.atomic
def revoke_access(grant: AccessGrant, by: User) -> AccessGrant:
    grant = for_update(AccessGrant.objects.select_related("user")).get(pk=grant.pk)
    if not can_decide_access(by, grant):
        raise IncidentError(_("Sie dürfen diesen Zugang nicht widerrufen."), 403)
    grant.status, grant.decided_by, grant.decided_at = AccessGrant.Status.REVOKED, by, timezone.now()
    grant.save()
    _log(Action.ACCESS_DECIDED, user=by, authority_id=grant.authority_id, note=f"grant:{grant.pk} revoked")
    return grant


# --- lookups and hints -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Hint:
    """The only answer a lookup gives: whether a hint exists, its level, the recommended measures."""

    found: bool
    level: int | None = None
    measures: tuple[str, ...] = field(default_factory=tuple)
    by_name_only: bool = False

    @property
    def text(self) -> str:
        if not self.found:
            return _("kein Hinweis")
        return _("Hinweis vorhanden – Stufe %(level)d – empfohlene Maßnahmen: %(measures)s") % {
            "level": self.level,
            "measures": ", ".join(self.measures) or "–",
        }


@dataclass(frozen=True)
class Subject:
    person_hash: str = ""
    name_hash: str = ""
    case_hash: str = ""

    @classmethod
    def of(cls, *, name: str = "", birth_date: date | None = None, case_number: str = "") -> Subject:
        return cls(
            crypto.person_hash(name, birth_date), crypto.name_hash(name), crypto.case_hash(case_number)
        )


def matching_entries(
    authority_id: int, subject: Subject, *, name_only: bool = False, now: datetime | None = None
):
    condition = Q(pk__in=[])
    if subject.person_hash:
        condition |= Q(person_hash=subject.person_hash)
    if subject.case_hash:
        condition |= Q(case_hash=subject.case_hash)
    if name_only and subject.name_hash:
        condition |= Q(name_hash=subject.name_hash)
    return Entry.objects.filter(
        condition, authority_id=authority_id, status=Entry.Status.ACTIVE, expires_at__gt=_now(now)
    )


def _hint(entries: list[Entry], subject: Subject) -> tuple[Hint, Entry | None]:
    if not entries:
        return Hint(False), None
    top = max(entries, key=lambda e: (e.level, e.pk))
    measures: list[str] = []
    for entry in sorted(entries, key=lambda e: -e.level):
        measures.extend(m for m in entry.measure_labels if m not in measures)
    strong = any(
        (subject.person_hash and e.person_hash == subject.person_hash)
        or (subject.case_hash and e.case_hash == subject.case_hash)
        for e in entries
    )
    return Hint(True, top.level, tuple(measures), by_name_only=not strong), top


# Words that say nothing about why somebody is looked up ("wildcard" purposes).
_EMPTY_PURPOSE_WORDS = frozenset(
    {
        "abfrage", "alle", "allgemein", "check", "diverse", "div", "egal", "info", "kontrolle", "pruefung",
        "routine", "sonstiges", "test", "tests", "xxx", "zweck", "abc", "asdf", "bla", "keine",
    }
)


def _references_case(purpose: str, authority_id: int | None) -> bool:
    """Whether the purpose names an appointment code or a callback ticket number of the authority."""
    from buergerkontakt.appointments.models import Appointment
    from buergerkontakt.callbacks.models import Ticket

    tokens = {t.upper() for t in re.findall(r"[A-Za-z0-9-]{5,12}", purpose)}
    if not tokens or authority_id is None:
        return False
    return (
        Appointment.objects.filter(code__in=tokens, location__authority_id=authority_id).exists()
        or Ticket.objects.filter(number__in=tokens, authority_id=authority_id).exists()
    )


def _check_purpose(purpose: str, authority_id: int | None = None) -> str:
    """A purpose names an appointment or ticket of the authority, or says in real words why: at
    least ``INCIDENT_PURPOSE_MIN_LENGTH`` characters and two different words of three or more
    letters that are not placeholders ("test", "alle", "Abfrage", "xxx" …)."""
    text = " ".join(str(purpose or "").split())
    if _references_case(text, authority_id):
        return _clean(text, "purpose")
    words = {
        crypto.normalise_name(word)
        for word in re.findall(r"[^\W\d_]{3,}", text)
    }
    meaningful = {w for w in words if w not in _EMPTY_PURPOSE_WORDS and len(set(w)) > 1}
    if len(text) < settings.INCIDENT_PURPOSE_MIN_LENGTH or len(meaningful) < 2:
        raise PurposeError(
            _(
                "Bitte nennen Sie den Zweck der Abfrage in Worten (mindestens %(n)d Zeichen) oder den "
                "Buchungscode bzw. die Ticketnummer, z. B. „Termin am 12.03. um 10 Uhr, Raum 1.10“."
            )
            % {"n": settings.INCIDENT_PURPOSE_MIN_LENGTH}
        )
    return _clean(text, "purpose")


def _throttle(user: User, moment: datetime) -> None:
    """At most ``RATE_LIMITS["register_lookup_user"]`` lookups per account and window; the first
    refusal of a window is logged and reported to the DPO (one alert per burst)."""
    limit, period = ratelimit.rule("register_lookup_user")
    if ratelimit.hit("register_lookup_user", str(user.pk), limit=limit, period_seconds=period):
        return
    # The first refusal of the window (the same counter mechanism, its own scope) raises the alert.
    if ratelimit.count("register_lookup_alert", str(user.pk), period_seconds=period) == 1:
        with transaction.atomic():
            row = _log(
                Action.LOOKUP_THROTTLED,
                user=user,
                authority_id=user.authority_id,
                note=f"mehr als {limit} Abfragen in {period} s",
                at=moment,
            )
            notifications.notify("lookup_burst", row.pk)
        log.warning("Vorfallregister: Abfragen von Konto %s gedrosselt", user.pk)
    raise IncidentError(
        _("Zu viele Abfragen in kurzer Zeit. Bitte versuchen Sie es in einigen Minuten erneut."), 429
    )


def lookup(
    user: User,
    *,
    purpose: str,
    name: str = "",
    birth_date: date | None = None,
    case_number: str = "",
    now: datetime | None = None,
) -> Hint:
    """A staff lookup before a meeting (the caller has checked the access grant); throttled per
    account (the refusal's log line and alert are committed although the lookup is refused)."""
    moment = _now(now)
    _throttle(user, moment)
    with transaction.atomic():
        return _lookup(user, purpose, name, birth_date, case_number, moment)


def _lookup(user: User, purpose: str, name: str, birth_date: date | None, case_number: str, moment) -> Hint:
    purpose = _check_purpose(purpose, user.authority_id)
    name = " ".join(str(name or "").split())
    if not ((name and birth_date) or crypto.normalise_case_number(case_number)):
        raise IncidentError(_("Bitte geben Sie Name und Geburtsdatum oder ein Aktenzeichen an."))
    if user.authority_id is None:
        raise IncidentError(_("Abfragen gibt es nur für Mitarbeitende einer Behörde."), 403)
    subject = Subject.of(name=name if birth_date else "", birth_date=birth_date, case_number=case_number)
    entries = list(matching_entries(user.authority_id, subject, now=moment))
    hint, top = _hint(entries, subject)
    _log(
        Action.LOOKUP,
        user=user,
        authority_id=user.authority_id,
        person_hash=subject.person_hash,
        name_hash=subject.name_hash,
        case_hash=subject.case_hash,
        purpose=purpose,
        result=LogEntry.Result.HINT if hint.found else LogEntry.Result.NO_HINT,
        level=hint.level,
        entry_id=top.pk if top else None,
        at=moment,
    )
    return hint


def hint_for_object(
    user: User,
    *,
    authority_id: int,
    action: str,
    object_ref: str,
    purpose: str,
    name: str = "",
    birth_date: date | None = None,
    case_number: str = "",
    now: datetime | None = None,
) -> Hint | None:
    """The hint on an appointment or callback ticket; None when nothing matches (nothing to show).

    A match is logged like a lookup, at most once per user, object and hour (pages are reloaded)."""
    moment = _now(now)
    subject = Subject.of(name=name, birth_date=birth_date, case_number=case_number)
    entries = list(
        matching_entries(authority_id, subject, name_only=settings.INCIDENT_HINT_NAME_ONLY, now=moment)
    )
    if not entries:
        return None
    hint, top = _hint(entries, subject)
    recent = LogEntry.objects.filter(
        user=user,
        action=action,
        object_ref=crypto.reference_hash(object_ref[:40]),
        entry_id=top.pk,
        at__gte=moment - timedelta(hours=1),
    ).exists()
    if not recent:
        with transaction.atomic():
            _log(
                action,
                user=user,
                authority_id=authority_id,
                person_hash=subject.person_hash,
                name_hash=subject.name_hash,
                case_hash=subject.case_hash,
                purpose=purpose[:300],
                result=LogEntry.Result.HINT,
                level=hint.level,
                entry_id=top.pk,
                object_ref=object_ref[:40],
                note="name_only" if hint.by_name_only else "",
                at=moment,
            )
    return hint


# --- data protection -------------------------------------------------------------------------------
@transaction.atomic
def log_inspection(user: User, report: Report, reason: str) -> LogEntry:
    """The DPO reads a report's narrative, stating why (e.g. a complaint, an Art. 15 request)."""
    if not has_role(user, Role.DPO, obj=report.location):
        raise IncidentError(_("Einsicht mit Begründung ist dem Datenschutz vorbehalten."), 403)
    text = " ".join(str(reason or "").split())
    if len(text) < 20:
        raise IncidentError(_("Bitte begründen Sie die Einsicht (mindestens 20 Zeichen)."))
    return _log(
        Action.INSPECTION,
        user=user,
        authority_id=report.authority_id,
        report_id=report.pk,
        purpose=text[:300],
        person_hash=report.person_hash,
        case_hash=report.case_hash,
    )


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _entry_data(entry: Entry) -> dict:
    return {
        "reference": entry.reference,
        "status": entry.get_status_display(),
        "level": entry.level,
        "name": entry.name,
        "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
        "case_number": entry.case_number,
        "complaint_file_number": entry.complaint_file_number,
        "reason": entry.reason,
        "recommended_measures": entry.measure_labels,
        "proceedings": entry.get_proceedings_display(),
        "review_on": entry.review_on.isoformat(),
        "created_at": _iso(entry.created_at),
        "approved_at": _iso(entry.approved_at),
        "expires_at": _iso(entry.expires_at),
        "reports": [r.reference for r in entry.reports.all()],
        "history": [
            {
                "changed_at": _iso(revision.changed_at),
                "changed_by": revision.changed_by_name,
                "previous": json.loads(revision.previous),
            }
            for revision in entry.revisions.all()
        ],
    }


def _report_data(report: Report) -> dict:
    return {
        "reference": report.reference,
        "occurred_at": _iso(report.occurred_at),
        "location": report.location.name,
        "room": str(report.room.number) if report.room else report.place,
        "level": report.level,
        "types": report.type_labels,
        "narrative": report.narrative,
        "person_name": report.person_name,
        "person_birth_date": report.birth_date.isoformat() if report.birth_date else None,
        "person_case_number": report.person_case_number,
        "house_ban": report.house_ban,
        "criminal_complaint": report.criminal_complaint,
        "complaint_file_number": report.complaint_file_number,
        "created_at": _iso(report.created_at),
    }


def _log_data(row: LogEntry) -> dict:
    return {
        "at": _iso(row.at),
        "action": row.get_action_display(),
        "by": row.username,
        "purpose": row.shown_purpose,
        "result": row.get_result_display() if row.result else "",
        "level": row.shown_level,
        "reference": row.shown_reference,
    }


def _subject_q(subject: Subject) -> Q:
    condition = Q(person_hash=subject.person_hash)
    if subject.case_hash:
        condition |= Q(case_hash=subject.case_hash)
    return condition


def entries_for_subject(authority: Authority, subject: Subject):
    return Entry.objects.filter(_subject_q(subject), authority=authority)


@transaction.atomic
def export_person(
    user: User,
    authority: Authority,
    *,
    name: str,
    birth_date: date | None,
    case_number: str = "",
    request_note: str = "",
) -> dict:
    """Everything the register holds about a person and every lookup about them (Art. 15 DSGVO).

    Matched by the keyed identity only – name + date of birth, or the case number – never by the
    name alone: a namesake's lookups and reports stay out. A hint shown on a booking that matched
    the person's entry only by name is listed without its purpose and reference (the booking may be
    a namesake's, Art. 15(4)). The export contains narratives, so it needs a stated reason, logged
    as an inspection of each report given out."""
    if not has_role(user, Role.DPO, obj=authority):
        raise IncidentError(_("Auskünfte nach Art. 15 erteilt der Datenschutz."), 403)
    name = " ".join(str(name or "").split())
    if not name or birth_date is None:
        raise IncidentError(_("Bitte geben Sie Name und Geburtsdatum der Person an."))
    reason = " ".join(str(request_note or "").split())
    if len(reason) < 20:
        raise IncidentError(_("Bitte nennen Sie den Vorgang (mindestens 20 Zeichen)."))
    reason = _clean(reason, "purpose")
    subject = Subject.of(name=name, birth_date=birth_date, case_number=case_number)
    person_q = _subject_q(subject)
    entries = list(entries_for_subject(authority, subject).prefetch_related("reports", "revisions"))
    reports = list(Report.objects.filter(person_q, authority=authority).select_related("location", "room"))
    # the person's entries, also deleted ones (their creation/approval was logged with the hash)
    entry_ids = {e.pk for e in entries} | set(
        LogEntry.objects.filter(
            person_q, authority=authority, action__in=[Action.ENTRY_CREATED, Action.ENTRY_APPROVED]
        ).values_list("entry_id", flat=True)
    )
    hint_actions = [Action.HINT_APPOINTMENT, Action.HINT_CALLBACK]
    logs = LogEntry.objects.filter(
        person_q | Q(action__in=hint_actions, entry_id__in=entry_ids),
        authority=authority,
        action__in=[a.value for a in (Action.LOOKUP, Action.HINT_APPOINTMENT, Action.HINT_CALLBACK)],
    )
    data = {
        "authority": authority.name,
        "generated_at": _iso(timezone.now()),
        "person": {"name": name, "birth_date": birth_date.isoformat(), "case_number": case_number},
        "entries": [_entry_data(e) for e in entries],
        "reports": [_report_data(r) for r in reports],
        "lookups": [_export_log_data(row, subject) for row in logs.order_by("at", "pk")],
    }
    for report in reports:
        _log(
            Action.INSPECTION,
            user=user,
            authority_id=authority.pk,
            report_id=report.pk,
            purpose=reason,
            note="Auskunft (Art. 15)",
        )
    _log(
        Action.EXPORT,
        user=user,
        authority_id=authority.pk,
        person_hash=subject.person_hash,
        case_hash=subject.case_hash,
        purpose=reason,
        note=f"{len(data['entries'])} entries, {len(data['reports'])} reports, "
        f"{len(data['lookups'])} lookups",
    )
    return data


def _export_log_data(row: LogEntry, subject: Subject) -> dict:
    data = _log_data(row)
    strong = (row.person_hash and row.person_hash == subject.person_hash) or (
        row.case_hash and row.case_hash == subject.case_hash
    )
    if not strong:
        data["purpose"] = str(
            _(
                "Hinweis angezeigt (Übereinstimmung nur im Namen; Bezug nicht ausgegeben, "
                "Art. 15 Abs. 4 DSGVO)"
            )
        )
        data["reference"] = ""
    return data


# --- Art. 14 letters -------------------------------------------------------------------------------
@transaction.atomic
def decide_letter(letter: SubjectLetter | int, by: User, *, sent: bool, exception: str = "", reason: str = "",
                  now: datetime | None = None) -> SubjectLetter:
    """A keeper records that the letter was sent, or that it is not sent because of one of the
    exceptions the authority documented (with a reason of at least 20 characters)."""
    pk = letter.pk if isinstance(letter, SubjectLetter) else letter
    letter = SubjectLetter.objects.select_for_update().select_related("entry").filter(pk=pk).first()
    if letter is None:
        raise IncidentError(_("Dieses Schreiben gibt es nicht mehr."), 404)
    _keeper(by, letter.entry.authority_id)
    if letter.status != SubjectLetter.Status.PENDING:
        raise IncidentError(_("Dieses Schreiben ist bereits erledigt."), 409)
    if sent:
        letter.status = SubjectLetter.Status.SENT
    else:
        if exception not in letters.exception_choices(letter.entry.authority_id):
            raise IncidentError(_("Bitte wählen Sie eine der dokumentierten Ausnahmen Ihrer Behörde."))
        if len(reason.strip()) < 20:
            raise IncidentError(_("Bitte begründen Sie die Ausnahme (mindestens 20 Zeichen)."))
        letter.status, letter.exception, letter.exception_reason = (
            SubjectLetter.Status.EXEMPT, exception[:300], reason.strip())
    letter.decided_at, letter.decided_by = _now(now), by
    letter.save()
    _log(Action.LETTER, user=by, authority_id=letter.entry.authority_id, entry_id=letter.entry_id,
         note=letter.status, at=letter.decided_at)
    return letter


# --- retention -------------------------------------------------------------------------------------
@dataclass
class PurgeResult:
    entries: int = 0
    reports: int = 0
    logs: int = 0


def purge_expired(now: datetime | None = None) -> PurgeResult:
    """Delete expired entries, pending entries nobody approved, old reports and old log lines.
    Idempotent; each deletion leaves a log line without personal data."""
    moment = _now(now)
    result = PurgeResult()
    pending_cutoff = moment - timedelta(days=settings.INCIDENT_PENDING_DAYS)
    due = Entry.objects.filter(
        Q(expires_at__lte=moment)
        | Q(status=Entry.Status.PENDING, changed_at__isnull=True, created_at__lte=pending_cutoff)
        | Q(status=Entry.Status.PENDING, changed_at__lte=pending_cutoff)
    )
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            entry = Entry.objects.select_for_update().filter(pk=pk).first()
            if entry is None:
                continue
            reason = "expired" if entry.expires_at <= moment else "pending_expired"
            _delete_entry(entry, None, reason, now=moment)
            result.entries += 1
    report_cutoff = moment - timedelta(days=settings.INCIDENT_REPORT_RETENTION_DAYS)
    for pk, authority_id, level in list(
        Report.objects.filter(occurred_at__lte=report_cutoff).values_list("pk", "authority_id", "level")
    ):
        with transaction.atomic():
            deleted, _detail = Report.objects.filter(pk=pk).delete()
            if deleted:
                _log(
                    Action.REPORT_DELETED,
                    user=None,
                    authority_id=authority_id,
                    report_id=pk,
                    level=level,
                    note="expired",
                    at=moment,
                )
                result.reports += 1
    log_cutoff = moment - timedelta(days=settings.INCIDENT_LOG_RETENTION_DAYS)
    result.logs, _detail = LogEntry.objects.filter(at__lte=log_cutoff).delete()
    # a hint shown on an appointment or ticket is logged no longer than a hint itself is kept
    hint_cutoff = moment - timedelta(
        days=min(settings.INCIDENT_LOG_RETENTION_DAYS, settings.INCIDENT_ENTRY_RETENTION_DAYS)
    )
    hints, _detail = LogEntry.objects.filter(
        at__lte=hint_cutoff, action__in=[Action.HINT_APPOINTMENT, Action.HINT_CALLBACK]
    ).delete()
    result.logs += hints
    if result.entries or result.reports or result.logs:
        log.info(
            "Vorfallregister: %d Hinweise, %d Meldungen, %d Protokollzeilen gelöscht (Frist)",
            result.entries,
            result.reports,
            result.logs,
        )
    return result
