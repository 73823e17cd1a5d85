"""Bulk onboarding by CSV (issue 26, 2026-12-04): rooms (with alarm neighbours), services (with their
service group) and staff (with role, scope, team, room and mobile number) for one location.

Files are read with ``core.spreadsheet.read_rows`` (Excel's semicolons or commas, UTF-8 or
Windows-1252). An import runs in one transaction; a dry run, or any row with a mistake, rolls it all
back – so the dry run reports exactly what the import would do, with the same checks. New staff get
an invitation e-mail (``invitations.py``) when the import commits; nobody is given a password.
Column names are German (the English ones are accepted too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerkontakt.alarms.workplace import Workplace, set_current_workplace
from buergerkontakt.appointments.models import ServiceGroup
from buergerkontakt.core import phones
from buergerkontakt.core.models import Floor, Location, Role, RoleAssignment, Room, Team, User
from buergerkontakt.core.spreadsheet import UploadError, read_rows
from buergerkontakt.directory.models import Service

from . import invitations

KINDS = ("staff", "rooms", "services")
COLUMNS = {
    "rooms": ["etage", "ebene", "raum", "bezeichnung", "art", "nachbarn"],
    "services": ["name", "dauer", "online", "leistungsgruppe", "beschreibung", "mitbringen", "gebuehr"],
    "staff": ["name", "email", "rolle", "bereich", "team", "raum", "mobil"],
}
ALIASES = {
    "floor": "etage", "level": "ebene", "room": "raum", "label": "bezeichnung", "kind": "art",
    "neighbours": "nachbarn", "duration": "dauer", "group": "leistungsgruppe",
    "description": "beschreibung", "bring": "mitbringen", "fee": "gebuehr", "gebühr": "gebuehr",
    "e-mail": "email", "role": "rolle", "scope": "bereich", "mobile": "mobil",
    "mobilnummer": "mobil", "dauer (minuten)": "dauer",
}
YES = {"ja", "j", "yes", "y", "1", "x", "true", "wahr"}
NO = {"nein", "n", "no", "0", "", "false", "falsch"}
# Roles an import may give: the register and data-protection roles need a role request (four eyes),
# external professionals belong to no authority.
IMPORT_ROLES = [Role.AGENT, Role.CASEWORKER, Role.TEAMLEAD, Role.SECURITY, Role.ADMIN]
ROLE_WORDS = {"empfang": Role.AGENT, "servicecenter": Role.AGENT, "sicherheit": Role.SECURITY,
              "admin": Role.ADMIN, "administration": Role.ADMIN}


ACTION_LABELS = {"created": gettext_lazy("neu angelegt"), "updated": gettext_lazy("aktualisiert"),
                 "invited": gettext_lazy("neu angelegt, Einladung folgt per E-Mail")}


@dataclass
class RowResult:
    line: int
    label: str
    action: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, ""))


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    file_error: str = ""

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.errors) + (1 if self.file_error else 0)

    @property
    def committed(self) -> bool:
        return not self.dry_run and not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


class RowError(Exception):
    def __init__(self, *messages: str):
        super().__init__(messages)
        self.messages = list(messages)


def _normalise(row: dict[str, str]) -> dict[str, str]:
    return {ALIASES.get(key, key): value for key, value in row.items()}


def _saved(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise RowError(*exc.messages) from exc
    obj.save()


def _choice(value: str, choices, words: dict | None = None) -> str | None:
    wanted = value.strip().lower()
    for key, label in choices:
        if wanted in (str(key).lower(), str(label).lower()):
            return key
    for key, label in choices:
        if str(label).lower().startswith(wanted) and wanted:
            return key
    return (words or {}).get(wanted)


def _unique_slug(model, text: str) -> str:
    base = slugify(text)[:70] or "eintrag"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _yes(value: str, column: str) -> bool:
    if value.strip().lower() in YES:
        return True
    if value.strip().lower() in NO:
        return False
    raise RowError(_("Spalte „%(column)s“: bitte „ja“ oder „nein“.") % {"column": column})


def _room_at(location: Location, number: str) -> Room | None:
    return Room.objects.filter(floor__location=location, number__iexact=number.strip()).first()


# --- rooms -----------------------------------------------------------------------------------------
def _import_rooms(location: Location, rows: list[dict[str, str]], report: ImportReport, actor) -> None:
    neighbours: list[tuple[RowResult, Room, list[str]]] = []
    def one(result: RowResult, row: dict[str, str]) -> None:
        number = row.get("raum", "")
        if not number:
            raise RowError(_("Bitte geben Sie die Raumnummer an."))
        floor_name = row.get("etage", "") or _("Erdgeschoss")
        level_text = row.get("ebene", "")
        floor = Floor.objects.filter(location=location, name__iexact=floor_name).first()
        if floor is None:
            try:
                level = int(level_text) if level_text else (
                    (Floor.objects.filter(location=location).order_by("-level").values_list(
                        "level", flat=True).first() or -1) + 1)
            except ValueError:
                raise RowError(_("Spalte „ebene“: bitte eine ganze Zahl, z. B. 0 für das Erdgeschoss.")) \
                    from None
            if Floor.objects.filter(location=location, level=level).exists():
                raise RowError(_("Die Ebene %(level)d gibt es an diesem Standort schon unter einem anderen "
                                 "Namen.") % {"level": level})
            floor = Floor(location=location, name=floor_name, level=level)
            _saved(floor)
        kind = Room.Kind.OFFICE
        if row.get("art"):
            kind = _choice(row["art"], Room.Kind.choices)
            if kind is None:
                raise RowError(_("Unbekannte Raumart „%(kind)s“. Möglich: %(choices)s") % {
                    "kind": row["art"][:40],
                    "choices": ", ".join(str(label) for _k, label in Room.Kind.choices)})
        room = Room.objects.filter(floor=floor, number=number).first()
        result.action = "updated" if room else "created"
        room = room or Room(floor=floor, number=number)
        room.name, room.kind = row.get("bezeichnung", "") or room.name, kind
        _saved(room)
        wanted = [n for n in re.split(r"[\s,|/]+", row.get("nachbarn", "")) if n]
        neighbours.append((result, room, wanted))

    _each(rows, report, lambda r: r.get("raum", ""), one)
    for result, room, wanted in neighbours:
        for number in wanted:
            other = _room_at(location, number)
            if other is None:
                result.errors.append(_("Nachbarraum „%(room)s“ gibt es an diesem Standort nicht.")
                                     % {"room": number[:20]})
            elif other.pk == room.pk:
                result.errors.append(_("Ein Raum kann nicht sein eigener Nachbar sein."))
            else:
                room.neighbours.add(other)


# --- services --------------------------------------------------------------------------------------
def _import_services(location: Location, rows: list[dict[str, str]], report: ImportReport, actor) -> None:
    authority = location.authority
    def one(result: RowResult, row: dict[str, str]) -> None:
        name = row.get("name", "")
        if not name:
            raise RowError(_("Bitte geben Sie den Namen der Leistung an."))
        try:
            minutes = int(row.get("dauer", "") or 15)
        except ValueError:
            raise RowError(_("Spalte „dauer“: bitte die Dauer in Minuten, z. B. 15.")) from None
        service = Service.objects.filter(authority=authority, name__iexact=name).first()
        result.action = "updated" if service else "created"
        service = service or Service(authority=authority, name=name, slug=_unique_slug(Service, name))
        service.duration_minutes = minutes
        service.online_bookable = _yes(row.get("online", "ja"), "online")
        for column, attribute in (("beschreibung", "description"), ("mitbringen", "what_to_bring"),
                                  ("gebuehr", "fee")):
            if row.get(column):
                setattr(service, attribute, row[column].replace(" | ", "\n"))
        _saved(service)
        service.locations.add(location)
        group_name = row.get("leistungsgruppe", "")
        if group_name:
            group = ServiceGroup.objects.filter(authority=authority, name__iexact=group_name).first()
            if group is None:
                group = ServiceGroup(authority=authority, name=group_name,
                                     slug=_unique_slug(ServiceGroup, group_name))
                _saved(group)
            group.services.add(service)

    _each(rows, report, lambda r: r.get("name", ""), one)


# --- staff -----------------------------------------------------------------------------------------
def _set_mobile(user: User, value: str) -> None:
    number = phones.sms_number(value) if value else ""
    if value and not number:
        raise RowError(_("„%(number)s“ ist keine Mobilnummer für SMS (z. B. 0151 23456789).")
                       % {"number": value[:30]})
    user.alarm_mobile = number


def _import_staff(location: Location, rows: list[dict[str, str]], report: ImportReport, actor) -> None:
    authority = location.authority
    def one(result: RowResult, row: dict[str, str]) -> None:
        name, email = row.get("name", ""), row.get("email", "").lower()
        problems = []
        if not name:
            problems.append(_("Bitte geben Sie den Namen an."))
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
        role = _choice(row.get("rolle", ""), [(r.value, r.label) for r in IMPORT_ROLES], ROLE_WORDS) \
            if row.get("rolle") else None
        if row.get("rolle") and role is None:
            problems.append(_("Rolle „%(role)s“ kann nicht importiert werden. Möglich: %(choices)s. Zentrale "
                              "Stelle und Datenschutz nur über einen Rollenantrag.") % {
                "role": row["rolle"][:40], "choices": ", ".join(str(r.label) for r in IMPORT_ROLES)})
        team = None
        if row.get("team"):
            team = Team.objects.filter(authority=authority).filter(name__iexact=row["team"]).first() \
                or Team.objects.filter(authority=authority, slug=row["team"].lower()).first()
            if team is None:
                problems.append(_("Team „%(team)s“ gibt es in dieser Behörde nicht. Bitte legen Sie es "
                                  "zuerst "
                                  "an.") % {"team": row["team"][:60]})
        scope = (row.get("bereich", "") or "standort").strip().lower()
        if scope not in ("behörde", "behoerde", "standort", "team"):
            problems.append(_("Spalte „bereich“: bitte „Behörde“, „Standort“ oder „Team“."))
        elif scope == "team" and team is None:
            problems.append(_("Für den Bereich „Team“ geben Sie bitte das Team an."))
        room = None
        if row.get("raum"):
            room = _room_at(location, row["raum"])
            if room is None:
                problems.append(_("Raum „%(room)s“ gibt es an diesem Standort nicht. Importieren Sie zuerst "
                                  "die Räume.") % {"room": row["raum"][:20]})
        if problems:
            raise RowError(*problems)
        user = User.objects.filter(username__iexact=email).first() or \
            User.objects.filter(email__iexact=email).first()
        if user is not None and user.authority_id not in (None, authority.pk):
            raise RowError(_("Diese E-Mail-Adresse gehört zu einem Konto einer anderen Behörde."))
        if user is not None and actor is not None and user.pk == actor.pk:
            raise RowError(_("Ihr eigenes Konto können Sie nicht importieren."))
        if user is not None and user.is_superuser:
            raise RowError(_("Betreiberkonten werden nicht importiert."))
        created = user is None
        result.action = "created" if created else "updated"
        if created:
            user = User(username=email, email=email, authority=authority)
            user.set_unusable_password()
        first, _sep, last = name.rpartition(" ")
        user.first_name, user.last_name = (first, last) if first else ("", name)
        user.email = email
        if room is not None:
            user.workstation_room = room
        _set_mobile(user, row.get("mobil", ""))
        _saved(user)
        if team is not None:
            user.teams.add(team)
        if role:
            RoleAssignment.objects.get_or_create(
                user=user, role=role, authority=authority,
                location=location if scope == "standort" else None,
                team=team if scope == "team" else None)
        if room is not None:
            set_current_workplace(user, room=room, source=Workplace.Source.ADMIN)
        if created:
            invitations.invite(user)
            result.action = "invited"

    _each(rows, report, lambda r: r.get("email", "") or r.get("name", ""), one)


def _each(rows, report: ImportReport, label: Callable[[dict], str],
          one: Callable[[RowResult, dict[str, str]], None]) -> None:
    """Run ``one`` for every row and record a row's mistakes instead of stopping at the first one;
    each row runs in a savepoint, so a failed row leaves nothing half-written."""
    for line, raw in enumerate(rows, start=2):
        row = _normalise(raw)
        result = RowResult(line, label(row)[:80])
        report.rows.append(result)
        try:
            with transaction.atomic():
                one(result, row)
        except RowError as exc:
            result.errors.extend(exc.messages)


IMPORTERS = {"rooms": _import_rooms, "services": _import_services, "staff": _import_staff}


class _DryRun(Exception):
    pass


def run_import(location: Location, kind: str, data: bytes, *, dry_run: bool, actor=None) -> ImportReport:
    """Import one CSV file; nothing is kept when ``dry_run`` or when any row has a mistake."""
    if kind not in IMPORTERS:
        raise ValueError(kind)
    report = ImportReport(kind, dry_run)
    try:
        rows = read_rows(data)
    except UploadError as exc:
        report.file_error = str(exc)
        return report
    unknown = sorted({key for row in rows[:1] for key in _normalise(row)} - set(COLUMNS[kind]))
    if unknown:
        report.file_error = _("Unbekannte Spalten: %(columns)s. Erwartet: %(expected)s") % {
            "columns": ", ".join(unknown)[:200], "expected": ";".join(COLUMNS[kind])}
        return report
    try:
        with transaction.atomic():
            IMPORTERS[kind](location, rows, report, actor)
            if report.dry_run or report.errors:
                raise _DryRun
    except _DryRun:
        pass
    return report


def template_csv(kind: str) -> tuple[list[str], list[list[str]]]:
    """Header and example rows of a kind's CSV template (download from the import page)."""
    examples = {
        "rooms": [["Erdgeschoss", "0", "E.01", "Empfang", "Empfang", "E.02"],
                  ["Erdgeschoss", "0", "E.02", "Schalter 1", "Schalter / Theke", "E.01 E.03"]],
        "services": [["Personalausweis beantragen", "20", "ja", "Pass- und Ausweiswesen",
                      "", "Lichtbild | alter Ausweis", "37,00 €"]],
        "staff": [["Erika Mustermann", "erika.mustermann@example.org", "Sachbearbeitung", "Standort",
                   "", "E.02", ""]],
    }
    return COLUMNS[kind], examples[kind]
