"""Reads of the reports: who may see which part of the organisation, and every KPI section.

A section is computed from real rows of the other apps (appointments, walk-in, callbacks, alarms,
the incident register through its statistics function) for a :class:`ReportScope` and a
:class:`~.kpis.Period`, and returns :class:`~.kpis.Table` objects (text equivalent of the charts
and the CSV downloads) plus the charts drawn from those same tables.

Scope (deny by default): team leads see what their role assignment covers – one team (its
callbacks; the appointments, walk-in queue and alarms of the team's location, which belong to the
building and not to a team), a location, or the whole authority; administrators their authority.
Everybody else sees nothing (the views answer 403).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Min, Q
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Location, Role, Team, User
from buergerkontakt.core.permissions import assignments
from buergerkontakt.incidents.models import Level
from buergerkontakt.incidents.stats import monthly_summary

from . import charts, kpis
from .kpis import Column, Period, Table

REPORT_ROLES = (Role.TEAMLEAD, Role.ADMIN)


# --- scope ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportScope:
    """What a viewer may see: whole authorities, locations and teams (ids)."""

    authority_ids: frozenset[int] = frozenset()
    location_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.authority_ids or self.location_ids or self.team_ids)


def scope_for(user) -> ReportScope:
    authorities: set[int] = set()
    locations: set[int] = set()
    teams: set[int] = set()
    for assignment in assignments(user):
        if assignment.role not in REPORT_ROLES or not assignment.authority_id:
            continue
        if assignment.team_id is not None:
            teams.add(assignment.team_id)
            locations.add(assignment.team.location_id)
        elif assignment.location_id is not None:
            locations.add(assignment.location_id)
            teams.update(Team.objects.filter(location_id=assignment.location_id).values_list("pk", flat=True))
        else:
            authorities.add(assignment.authority_id)
    if authorities:
        locations.update(Location.objects.filter(authority_id__in=authorities).values_list("pk", flat=True))
        teams.update(Team.objects.filter(authority_id__in=authorities).values_list("pk", flat=True))
    return ReportScope(frozenset(authorities), frozenset(locations), frozenset(teams))


def narrow(scope: ReportScope, location: Location | None = None, team: Team | None = None) -> ReportScope:
    """The part of ``scope`` a filter chose (the caller has checked that it lies inside)."""
    if team is not None:
        return ReportScope(frozenset(), frozenset({team.location_id}), frozenset({team.pk}))
    if location is not None:
        teams = frozenset(
            Team.objects.filter(pk__in=scope.team_ids, location=location).values_list("pk", flat=True)
        )
        return ReportScope(frozenset(), frozenset({location.pk}), teams)
    return scope


def visible_locations(scope: ReportScope):
    return Location.objects.filter(pk__in=scope.location_ids).select_related("authority").order_by("name")


def visible_teams(scope: ReportScope):
    return Team.objects.filter(pk__in=scope.team_ids).select_related("location").order_by("name")


# --- sections ---------------------------------------------------------------------------------
@dataclass
class Tile:
    label: str
    value: str
    hint: str = ""


@dataclass
class Chart:
    svg: SafeString
    table_key: str


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    empty_text: str = ""

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _bucket_rows(period: Period) -> tuple[str, dict[date, dict]]:
    granularity = period.granularity
    rows = {key: {"bucket": key, "label": kpis.bucket_label(key, granularity)} for key in period.buckets()}
    return granularity, rows


def _bucket_column(granularity: str) -> Column:
    label = {"day": _("Tag"), "week": _("Woche"), "month": _("Monat")}[granularity]
    return Column("label", label)


def _fmt(value, kind: str) -> str:
    return kpis.format_value(value, kind)


# appointments -----------------------------------------------------------------------------------
def appointments_section(scope: ReportScope, period: Period, now: datetime) -> Section:
    from buergerkontakt.appointments.models import Appointment

    status = Appointment.Status
    booked_states = (status.CONFIRMED, status.CHECKED_IN, status.COMPLETED, status.NO_SHOW, status.CANCELLED)
    granularity, rows = _bucket_rows(period)
    for row in rows.values():
        row.update(booked=0, cancelled=0, no_show=0, attended=0)
    found = Appointment.objects.filter(
        location_id__in=scope.location_ids,
        start__gte=period.start,
        start__lt=period.end,
        status__in=booked_states,
    )
    for start, state in found.values_list("start", "status"):
        row = rows[kpis.bucket_of(kpis.local_date(start), granularity)]
        row["booked"] += 1
        if state == status.CANCELLED:
            row["cancelled"] += 1
        elif state == status.NO_SHOW:
            row["no_show"] += 1
        elif state in (status.COMPLETED, status.CHECKED_IN):
            row["attended"] += 1
    for row in rows.values():
        row["no_show_rate"] = kpis.rate(row["no_show"], row["no_show"] + row["attended"])
    table = Table(
        "termine",
        _("Termine nach Termintag"),
        [
            _bucket_column(granularity),
            Column("booked", _("gebucht"), "int"),
            Column("cancelled", _("storniert"), "int"),
            Column("attended", _("wahrgenommen"), "int"),
            Column("no_show", _("nicht erschienen"), "int"),
            Column("no_show_rate", _("Nichterscheinensquote"), "percent"),
        ],
        list(rows.values()),
        note=_(
            "Gebucht zählt jeden bestätigten Termin des Tages, auch später stornierte. Die "
            "Nichterscheinensquote bezieht sich auf Termine mit erfasstem Ergebnis "
            "(wahrgenommen oder nicht erschienen)."
        ),
    )
    totals = {k: sum(r[k] for r in rows.values()) for k in ("booked", "cancelled", "no_show", "attended")}
    labels = table.values("label")
    section = Section("termine", _("Termine"), tables=[table])
    section.tiles = [
        Tile(_("Termine gebucht"), _fmt(totals["booked"], "int")),
        Tile(
            _("storniert"),
            _fmt(totals["cancelled"], "int"),
            _("%(rate)s der gebuchten")
            % {"rate": _fmt(kpis.rate(totals["cancelled"], totals["booked"]), "percent")},
        ),
        Tile(
            _("Nichterscheinensquote"),
            _fmt(kpis.rate(totals["no_show"], totals["no_show"] + totals["attended"]), "percent"),
        ),
    ]
    section.charts = [
        Chart(
            charts.bar_chart(
                _("Termine je %(unit)s") % {"unit": _bucket_column(granularity).label},
                labels,
                [
                    charts.Series(_("gebucht"), table.values("booked")),
                    charts.Series(_("storniert"), table.values("cancelled")),
                    charts.Series(_("nicht erschienen"), table.values("no_show")),
                ],
                unit=_("Termine"),
            ),
            "termine",
        )
    ]
    next_free = next_free_table(scope.location_ids, now)
    section.tables.append(next_free)
    if next_free.rows:
        section.charts.append(
            Chart(
                charts.bar_chart(
                    _("Tage bis zum nächsten freien Online-Termin"),
                    [f"{r['service']} ({r['location_short']})" for r in next_free.rows],
                    [charts.Series(_("Tage"), [r["days"] for r in next_free.rows])],
                    unit=_("Tage"),
                ),
                "termine-naechster-freier",
            )
        )
    return section


def bookable_pairs(location_ids) -> list[tuple]:
    """(service, location) pairs bookable online at the given locations, sorted by name."""
    from buergerkontakt.appointments.models import Schedule

    pairs: dict[tuple[int, int], tuple] = {}
    schedules = (
        Schedule.objects.filter(location_id__in=location_ids)
        .select_related("location")
        .prefetch_related("group__services")
    )
    for schedule in schedules:
        for service in schedule.group.services.all():
            if service.online_bookable and service.is_public:
                pairs.setdefault((service.pk, schedule.location_id), (service, schedule.location))
    return sorted(pairs.values(), key=lambda pair: (pair[0].name, pair[1].name))


def next_free_days(service_id: int, location_id: int, now: datetime) -> date | None:
    """The day of the next free online start time for one service at one location."""
    from buergerkontakt.appointments import services as booking
    from buergerkontakt.appointments.exceptions import BookingError

    today = kpis.local_date(now)
    try:
        found = booking.availability(
            [service_id], today, settings.REPORTS_SLOT_HORIZON_DAYS, location=location_id, now=now
        )
    except BookingError:
        return None
    return min((item.day for item in found), default=None)


def next_free_table(location_ids, now: datetime) -> Table:
    today = kpis.local_date(now)
    rows = []
    for service, location in bookable_pairs(location_ids):
        day = next_free_days(service.pk, location.pk, now)
        rows.append(
            {
                "service": service.name,
                "location": location.name,
                "location_short": location.name.split()[-1],
                "day": day,
                "days": (day - today).days if day else None,
            }
        )
    return Table(
        "termine-naechster-freier",
        _("Nächster freier Online-Termin je Leistung (Stand heute)"),
        [
            Column("service", _("Leistung")),
            Column("location", _("Standort")),
            Column("day", _("nächster freier Termin"), "date"),
            Column("days", _("in Tagen"), "days"),
        ],
        rows,
        note=_("Ohne Wert: in den nächsten %(days)d Tagen ist online kein Termin frei.")
        % {"days": settings.REPORTS_SLOT_HORIZON_DAYS},
        empty_text=_("An den gewählten Standorten gibt es keine online buchbaren Leistungen."),
    )


# walk-in --------------------------------------------------------------------------------------
def walkin_section(scope: ReportScope, period: Period) -> Section:
    from buergerkontakt.walkin.models import Ticket

    granularity, rows = _bucket_rows(period)
    waits: dict[date, list[int]] = defaultdict(list)
    serves: dict[date, list[int]] = defaultdict(list)
    queue_rows: dict[str, dict] = {}
    counts: Counter = Counter()
    found = Ticket.objects.filter(
        queue__location_id__in=scope.location_ids, day__gte=period.first, day__lte=period.last
    )
    all_waits: list[int] = []
    all_serves: list[int] = []
    for day, state, wait, serve, queue_name, location_name in found.values_list(
        "day", "status", "wait_seconds", "service_seconds", "queue__name", "queue__location__name"
    ):
        key = kpis.bucket_of(day, granularity)
        counts[(key, "issued")] += 1
        counts[(key, state)] += 1
        queue = queue_rows.setdefault(
            f"{location_name}|{queue_name}",
            {"location": location_name, "queue": queue_name, "issued": 0, "missed": 0, "w": [], "s": []},
        )
        queue["issued"] += 1
        if state == Ticket.Status.MISSED:
            queue["missed"] += 1
        if wait is not None:
            waits[key].append(wait)
            queue["w"].append(wait)
            all_waits.append(wait)
        if serve is not None:
            serves[key].append(serve)
            queue["s"].append(serve)
            all_serves.append(serve)
    for key, row in rows.items():
        row.update(
            issued=counts[(key, "issued")],
            done=counts[(key, Ticket.Status.DONE)],
            missed=counts[(key, Ticket.Status.MISSED)],
            wait_median=kpis.minutes(kpis.median(waits[key])),
            wait_p90=kpis.minutes(kpis.p90(waits[key])),
            service_median=kpis.minutes(kpis.median(serves[key])),
            service_p90=kpis.minutes(kpis.p90(serves[key])),
        )
    time_columns = [
        Column("wait_median", _("Wartezeit Median (Min.)"), "minutes"),
        Column("wait_p90", _("Wartezeit p90 (Min.)"), "minutes"),
        Column("service_median", _("Bedienzeit Median (Min.)"), "minutes"),
        Column("service_p90", _("Bedienzeit p90 (Min.)"), "minutes"),
    ]
    table = Table(
        "wartezeiten",
        _("Wartenummern: Warte- und Bedienzeiten"),
        [
            _bucket_column(granularity),
            Column("issued", _("Nummern"), "int"),
            Column("done", _("bedient"), "int"),
            Column("missed", _("nicht erschienen"), "int"),
            *time_columns,
        ],
        list(rows.values()),
        note=_(
            "Wartezeit: vom Einreihen bis zum ersten Aufruf; Bedienzeit: vom Beginn bis zum Abschluss. "
            "p90: 90 % der Kundinnen und Kunden warteten höchstens so lange."
        ),
    )
    per_queue = []
    for item in sorted(queue_rows.values(), key=lambda q: (q["location"], q["queue"])):
        per_queue.append(
            {
                "location": item["location"],
                "queue": item["queue"],
                "issued": item["issued"],
                "missed": item["missed"],
                "wait_median": kpis.minutes(kpis.median(item["w"])),
                "wait_p90": kpis.minutes(kpis.p90(item["w"])),
                "service_median": kpis.minutes(kpis.median(item["s"])),
                "service_p90": kpis.minutes(kpis.p90(item["s"])),
            }
        )
    queues = Table(
        "wartezeiten-schlangen",
        _("Warte- und Bedienzeiten je Warteschlange"),
        [
            Column("location", _("Standort")),
            Column("queue", _("Warteschlange")),
            Column("issued", _("Nummern"), "int"),
            Column("missed", _("nicht erschienen"), "int"),
            *time_columns,
        ],
        per_queue,
        empty_text=_("Im Zeitraum wurden keine Wartenummern ausgegeben."),
    )
    labels = table.values("label")
    section = Section("wartezeiten", _("Vorsprache ohne Termin (Wartenummern)"), tables=[table, queues])
    section.tiles = [
        Tile(_("Wartenummern"), _fmt(len(found), "int")),
        Tile(
            _("Wartezeit Median"),
            _fmt(kpis.minutes(kpis.median(all_waits)), "minutes") + " " + _("Min."),
            _("p90: %(p90)s Min.") % {"p90": _fmt(kpis.minutes(kpis.p90(all_waits)), "minutes")},
        ),
        Tile(
            _("Bedienzeit Median"),
            _fmt(kpis.minutes(kpis.median(all_serves)), "minutes") + " " + _("Min."),
            _("p90: %(p90)s Min.") % {"p90": _fmt(kpis.minutes(kpis.p90(all_serves)), "minutes")},
        ),
    ]
    section.charts = [
        Chart(
            charts.line_chart(
                _("Wartezeit in Minuten (Median und p90)"),
                labels,
                [
                    charts.Series(_("Median"), table.values("wait_median")),
                    charts.Series(_("p90"), table.values("wait_p90")),
                ],
                unit=_("Min."),
            ),
            "wartezeiten",
        )
    ]
    return section


# callbacks ------------------------------------------------------------------------------------
def _phone_agents(scope: ReportScope):
    return User.objects.filter(teams__in=scope.team_ids).values("pk")


def callbacks_section(scope: ReportScope, period: Period, now: datetime) -> Section:
    from buergerkontakt.callbacks.models import Ticket, Urgency

    granularity, rows = _bucket_rows(period)
    for row in rows.values():
        row.update(tickets=0, met=0, breached=0, pending=0)
    urgency_rows = {
        value: {"urgency": label, "tickets": 0, "met": 0, "breached": 0, "pending": 0}
        for value, label in Urgency.choices
    }
    attempts: Counter = Counter()
    attempts_total = 0
    found = Ticket.objects.filter(
        team_id__in=scope.team_ids, created_at__gte=period.start, created_at__lt=period.end
    ).annotate(first_attempt=Min("attempts__at"))
    for created, due, first, made, state, urgency in found.values_list(
        "created_at", "due_at", "first_attempt", "attempts_made", "status", "urgency"
    ):
        outcome = kpis.deadline_outcome(due, first, now)
        row = rows[kpis.bucket_of(kpis.local_date(created), granularity)]
        for target in (row, urgency_rows[urgency]):
            target["tickets"] += 1
            target[outcome] += 1
        if state != Ticket.Status.OPEN:
            attempts[min(made, 4)] += 1
            attempts_total += made
    for target in [*rows.values(), *urgency_rows.values()]:
        target["compliance"] = kpis.rate(target["met"], target["met"] + target["breached"])
    count_columns = [
        Column("tickets", _("Tickets"), "int"),
        Column("met", _("fristgerecht"), "int"),
        Column("breached", _("Frist überschritten"), "int"),
        Column("pending", _("Frist läuft noch"), "int"),
        Column("compliance", _("Fristtreue"), "percent"),
    ]
    table = Table(
        "rueckrufe",
        _("Rückrufe: Fristtreue nach Eingangstag"),
        [_bucket_column(granularity), *count_columns],
        list(rows.values()),
        note=_(
            "Fristgerecht: der erste Anrufversuch lag vor Ablauf der Frist (auch wenn niemand erreicht "
            "wurde). Tickets mit laufender oder angehaltener Frist zählen noch nicht mit."
        ),
    )
    by_urgency = Table(
        "rueckrufe-dringlichkeit",
        _("Rückrufe nach Dringlichkeit"),
        [Column("urgency", _("Dringlichkeit")), *count_columns],
        list(urgency_rows.values()),
    )
    closed = sum(attempts.values())
    attempt_rows = [
        {"attempts": label, "tickets": attempts[n], "share": kpis.rate(attempts[n], closed)}
        for n, label in ((0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, _("4 und mehr")))
    ]
    mean = attempts_total / closed if closed else None
    attempt_table = Table(
        "rueckrufe-versuche",
        _("Anrufversuche je abgeschlossenem Ticket"),
        [
            Column("attempts", _("Versuche")),
            Column("tickets", _("Tickets"), "int"),
            Column("share", _("Anteil"), "percent"),
        ],
        attempt_rows,
        note=_("Abgeschlossen: erledigt oder nach dem letzten Versuch schriftlich informiert."),
    )
    met = sum(r["met"] for r in rows.values())
    breached = sum(r["breached"] for r in rows.values())
    section = Section("rueckrufe", _("Rückrufe"), tables=[table, by_urgency, attempt_table])
    section.tiles = [
        Tile(_("Rückruftickets"), _fmt(sum(r["tickets"] for r in rows.values()), "int")),
        Tile(
            _("Rückrufe innerhalb der Frist"),
            _fmt(kpis.rate(met, met + breached), "percent"),
            _("%(met)d von %(all)d mit Ergebnis") % {"met": met, "all": met + breached},
        ),
        Tile(_("Versuche je Ticket"), _fmt(mean, "number"), _("Mittelwert abgeschlossener Tickets")),
    ]
    labels = table.values("label")
    section.charts = [
        Chart(
            charts.line_chart(
                _("Fristtreue der Rückrufe in Prozent"),
                labels,
                [charts.Series(_("Fristtreue"), table.values("compliance"))],
                unit="%",
                top=100,
            ),
            "rueckrufe",
        ),
        Chart(
            charts.bar_chart(
                _("Anrufversuche je abgeschlossenem Ticket"),
                attempt_table.values("attempts"),
                [charts.Series(_("Tickets"), attempt_table.values("tickets"))],
                unit=_("Tickets"),
            ),
            "rueckrufe-versuche",
        ),
    ]
    section.tables.append(first_contact_table(scope, period, rows_template=_bucket_rows(period)))
    fc = section.tables[-1]
    fc_total = sum(r["first_contact"] for r in fc.rows)
    tickets_total = sum(r["phone_tickets"] for r in fc.rows)
    section.tiles.append(
        Tile(
            _("Erstkontaktquote"),
            _fmt(kpis.rate(fc_total, fc_total + tickets_total), "percent"),
            _("%(fc)d direkt gelöst, %(t)d Rückruftickets") % {"fc": fc_total, "t": tickets_total},
        )
    )
    section.charts.append(
        Chart(
            charts.line_chart(
                _("Erstkontaktquote der Telefonzentrale in Prozent"),
                fc.values("label"),
                [charts.Series(_("Erstkontaktquote"), fc.values("rate"))],
                unit="%",
                top=100,
            ),
            "erstkontakt",
        )
    )
    return section


def first_contact_table(scope: ReportScope, period: Period, rows_template) -> Table:
    """Calls solved at first contact vs. calls that became a callback ticket, per bucket.

    Both are counted by the agent who took the call: the whole authority for authority-wide
    viewers, otherwise the agents who are members of the teams in scope (e.g. the service centre).
    """
    from buergerkontakt.callbacks.models import Channel, FirstContact, Ticket

    granularity, rows = rows_template
    for row in rows.values():
        row.update(first_contact=0, phone_tickets=0)
    agents = Q(agent_id__in=_phone_agents(scope))
    creators = Q(created_by_id__in=_phone_agents(scope))
    if scope.authority_ids:
        agents |= Q(authority_id__in=scope.authority_ids)
        creators |= Q(authority_id__in=scope.authority_ids)
    for at in FirstContact.objects.filter(agents, at__gte=period.start, at__lt=period.end).values_list(
        "at", flat=True
    ):
        rows[kpis.bucket_of(kpis.local_date(at), granularity)]["first_contact"] += 1
    phone = Ticket.objects.filter(
        creators, channel=Channel.PHONE, created_at__gte=period.start, created_at__lt=period.end
    )
    for at in phone.values_list("created_at", flat=True):
        rows[kpis.bucket_of(kpis.local_date(at), granularity)]["phone_tickets"] += 1
    for row in rows.values():
        row["rate"] = kpis.rate(row["first_contact"], row["first_contact"] + row["phone_tickets"])
    return Table(
        "erstkontakt",
        _("Telefonzentrale: Erstkontaktquote"),
        [
            _bucket_column(granularity),
            Column("first_contact", _("direkt gelöst"), "int"),
            Column("phone_tickets", _("Rückrufticket angelegt"), "int"),
            Column("rate", _("Erstkontaktquote"), "percent"),
        ],
        list(rows.values()),
        note=_(
            "Anrufe, die das Servicecenter sofort gelöst hat, im Verhältnis zu allen erfassten Anrufen "
            "(direkt gelöst und Rückruftickets)."
        ),
    )


# alarms ---------------------------------------------------------------------------------------
def alarms_section(scope: ReportScope, period: Period) -> Section:
    from buergerkontakt.alarms.models import Alarm, Delivery

    kinds = {False: _("Echtalarme"), True: _("Probealarme")}
    alarms = Alarm.objects.filter(
        location_id__in=scope.location_ids, raised_at__gte=period.start, raised_at__lt=period.end
    )
    alarm_counts = Counter(alarms.values_list("is_drill", flat=True))
    data = {drill: {"sent": 0, "received": 0, "latency": [], "responses": []} for drill in kinds}
    for drill, sent_at, received_at, latency, responded_at in Delivery.objects.filter(
        alarm__in=alarms
    ).values_list("alarm__is_drill", "sent_at", "received_at", "latency_ms", "responded_at"):
        item = data[drill]
        item["sent"] += 1
        if received_at is not None:
            item["received"] += 1
            if latency is not None:
                item["latency"].append(latency)
        if responded_at is not None:
            item["responses"].append((responded_at - sent_at).total_seconds())
    rows = []
    for drill, label in kinds.items():
        item = data[drill]
        rows.append(
            {
                "kind": label,
                "alarms": alarm_counts[drill],
                "deliveries": item["sent"],
                "received_share": kpis.rate(item["received"], item["sent"]),
                "receipt_median": kpis.median(item["latency"]),
                "receipt_p90": kpis.p90(item["latency"]),
                "responses": len(item["responses"]),
                "response_median": kpis.median(item["responses"]),
                "response_p90": kpis.p90(item["responses"]),
            }
        )
    table = Table(
        "alarme",
        _("Stiller Alarm: Zustellung und Reaktion"),
        [
            Column("kind", _("Art")),
            Column("alarms", _("Alarme"), "int"),
            Column("deliveries", _("Zustellungen"), "int"),
            Column("received_share", _("Empfang bestätigt"), "percent"),
            Column("receipt_median", _("Empfang Median (ms)"), "ms"),
            Column("receipt_p90", _("Empfang p90 (ms)"), "ms"),
            Column("responses", _("Rückmeldungen"), "int"),
            Column("response_median", _("Reaktion Median (s)"), "seconds"),
            Column("response_p90", _("Reaktion p90 (s)"), "seconds"),
        ],
        rows,
        note=_(
            "Empfang: vom Senden bis zur automatischen Empfangsbestätigung des Geräts. Reaktion: vom "
            "Senden bis „Ich komme“ bzw. „Vor Ort“. Echt- und Probealarme getrennt."
        ),
    )
    section = Section("alarme", _("Stille Alarme"), tables=[table])
    real, drill = rows
    section.tiles = [
        Tile(
            _("Echtalarme"),
            _fmt(real["alarms"], "int"),
            _("Reaktion Median: %(s)s s") % {"s": _fmt(real["response_median"], "seconds")},
        ),
        Tile(
            _("Probealarme"),
            _fmt(drill["alarms"], "int"),
            _("Reaktion Median: %(s)s s") % {"s": _fmt(drill["response_median"], "seconds")},
        ),
    ]
    labels = [_("Median"), _("p90")]
    section.charts = [
        Chart(
            charts.bar_chart(
                _("Empfangszeit in Millisekunden"),
                labels,
                [charts.Series(r["kind"], [r["receipt_median"], r["receipt_p90"]]) for r in rows],
                unit="ms",
            ),
            "alarme",
        ),
        Chart(
            charts.bar_chart(
                _("Reaktionszeit in Sekunden"),
                labels,
                [charts.Series(r["kind"], [r["response_median"], r["response_p90"]]) for r in rows],
                unit="s",
            ),
            "alarme",
        ),
    ]
    return section


# incidents ------------------------------------------------------------------------------------
def incidents_section(scope: ReportScope, period: Period) -> Section:
    """Anonymised incident counts (``incidents.stats.monthly_summary``): whole months, for every
    location of the viewer's authorities – a location or team filter does not narrow them, so
    that two selections cannot be subtracted to single out an incident."""
    section = Section("vorfaelle", _("Vorfälle nach Monat und Stufe (anonymisiert)"))
    min_count = settings.REPORTS_INCIDENT_MIN_COUNT
    min_group = settings.INCIDENT_STATS_MIN_GROUP
    section.intro = _(
        "Nur Anzahlen, keine Angaben zu Personen; immer ganze Kalendermonate und alle Standorte "
        "der Behörde. Weniger als %(n)d Vorfälle (auch keiner) werden als „< %(n)d“ ausgewiesen; "
        "nach Stufen aufgeschlüsselt wird erst ab %(group)d Vorfällen im Monat."
    ) % {"n": min_count, "group": min_group}
    authority_ids = Location.objects.filter(pk__in=scope.location_ids).values("authority_id")
    location_ids = Location.objects.filter(authority_id__in=authority_ids).values_list("pk", flat=True)
    summary = monthly_summary(
        sorted(location_ids), period.first, period.last, min_count=min_count, min_group=min_group
    )
    below = f"< {min_count}"
    rows = []
    for item in summary:
        row = {"label": kpis.bucket_label(item["month"], "month"), "month": item["month"]}
        for level in Level.values:
            value = item["levels"].get(level, "–") if item["breakdown"] else "–"
            row[f"level_{level}"] = below if value is None else value
        row["total"] = (below if item["total"] is None else item["total"]) if item["total_shown"] else "–"
        rows.append(row)
    table = Table(
        "vorfaelle",
        _("Vorfälle je Monat und Stufe"),
        [
            Column("label", _("Monat")),
            *[Column(f"level_{level}", _("Stufe %(n)d") % {"n": level}) for level in Level.values],
            Column("total", _("Gesamt")),
        ],
        rows,
        empty_text=_("Im Zeitraum sind keine Vorfälle gemeldet."),
    )
    section.tables = [table]
    if any(item["breakdown"] for item in summary):
        section.charts = [
            Chart(
                charts.bar_chart(
                    _("Vorfälle je Monat und Stufe"),
                    table.values("label"),
                    [
                        charts.Series(
                            _("Stufe %(n)d") % {"n": level},
                            [
                                r[f"level_{level}"] if isinstance(r[f"level_{level}"], int) else None
                                for r in rows
                            ],
                        )
                        for level in Level.values
                    ],
                    unit=_("Vorfälle"),
                ),
                "vorfaelle",
            )
        ]
    return section


# telephony ------------------------------------------------------------------------------------
def _level_row(levels, **fields) -> dict:
    return {
        **fields,
        "offered": levels.offered,
        "answered": levels.answered,
        "answer_rate": kpis.rate(levels.answered, levels.offered),
        "within": kpis.rate(levels.within, levels.offered),
        "p50": kpis.median(levels.waits),
        "p90": kpis.p90(levels.waits),
        "abandoned": levels.abandoned,
        "outside_hours": levels.outside_hours,
        "first_contact": kpis.rate(levels.first_contact, levels.answered),
    }


def _level_columns(first: Column) -> list[Column]:
    seconds = settings.TELEPHONY_SERVICE_LEVEL_SECONDS
    return [
        first,
        Column("offered", _("Anrufe in den Telefonzeiten"), "int"),
        Column("answered", _("angenommen"), "int"),
        Column("answer_rate", _("Annahmequote"), "percent"),
        Column("within", _("in %(s)d s angenommen") % {"s": seconds}, "percent"),
        Column("p50", _("Wartezeit p50"), "seconds"),
        Column("p90", _("Wartezeit p90"), "seconds"),
        Column("abandoned", _("vor Annahme aufgelegt"), "int"),
        Column("outside_hours", _("außerhalb der Telefonzeiten"), "int"),
        Column("first_contact", _("direkt gelöst (Anteil)"), "percent"),
    ]


def telephony_section(scope: ReportScope, period: Period) -> Section:
    from buergerkontakt.telephony import stats

    granularity, rows = _bucket_rows(period)
    calls = stats.inbound(period.start, period.end, team_ids=scope.team_ids,
                          authority_ids=scope.authority_ids)
    by_bucket = stats.grouped(calls, lambda c: kpis.bucket_of(c["local"].date(), granularity))
    by_team = stats.grouped(calls, lambda c: c["team_id"])
    by_hour = stats.grouped(calls, lambda c: c["local"].hour)
    seconds = settings.TELEPHONY_SERVICE_LEVEL_SECONDS
    note = _(
        "Eingehende Anrufe in den Telefonzeiten; Anrufe außerhalb zählen getrennt, weitergeleitete und "
        "gesperrte gar nicht. „In %(s)d s angenommen“ bezieht sich auf alle Anrufe in den Telefonzeiten "
        "(115-Maßstab: 75 %% in 30 Sekunden)."
    ) % {"s": seconds}
    day_table = Table(
        "telefonie", _("Telefonie: Erreichbarkeit nach Tag"), _level_columns(_bucket_column(granularity)),
        [_level_row(by_bucket.get(key, stats.Levels()), **row) for key, row in rows.items()], note=note)
    teams = {team.pk: team.name for team in visible_teams(scope)}
    team_table = Table(
        "telefonie-teams", _("Telefonie nach Team"), _level_columns(Column("team", _("Team"))),
        [_level_row(levels, team=teams.get(key, _("ohne Team"))) for key, levels in
         sorted(by_team.items(), key=lambda item: teams.get(item[0], "~"))], note=note)
    hour_table = Table(
        "telefonie-stunden", _("Telefonie nach Tageszeit"), _level_columns(Column("hour", _("Stunde"))),
        [_level_row(by_hour[hour], hour=f"{hour:02d}–{hour + 1:02d} Uhr") for hour in sorted(by_hour)],
        note=note)
    total = stats.levels(calls)
    section = Section("telefonie", _("Telefonie"), tables=[day_table, team_table, hour_table],
                      empty_text=_("Keine Anrufe der Telefonanlage in diesem Zeitraum."))
    section.tiles = [
        Tile(_("Annahmequote"), _fmt(kpis.rate(total.answered, total.offered), "percent"),
             _("%(a)d von %(o)d Anrufen") % {"a": total.answered, "o": total.offered}),
        Tile(_("In %(s)d s angenommen") % {"s": seconds},
             _fmt(kpis.rate(total.within, total.offered), "percent"),
             _("115-Ziel: 75 %")),
        Tile(_("Wartezeit bis zur Annahme"), _fmt(kpis.median(total.waits), "seconds") + " s",
             _("Median; p90: %(p90)s s") % {"p90": _fmt(kpis.p90(total.waits), "seconds")}),
        Tile(_("Vor Annahme aufgelegt"), _fmt(total.abandoned, "int"),
             _("außerhalb der Telefonzeiten: %(n)d") % {"n": total.outside_hours}),
    ]
    section.charts = [
        Chart(
            charts.line_chart(
                _("Annahmequote und Annahme in %(s)d s, in Prozent") % {"s": seconds},
                day_table.values("label"),
                [charts.Series(_("Annahmequote"), day_table.values("answer_rate")),
                 charts.Series(_("in %(s)d s") % {"s": seconds}, day_table.values("within"))],
                unit="%",
                top=100,
            ),
            "telefonie",
        ),
    ]
    return section


# --- the dashboard ----------------------------------------------------------------------------
SECTION_KEYS = ("termine", "wartezeiten", "rueckrufe", "telefonie", "alarme", "vorfaelle")


def section(key: str, scope: ReportScope, period: Period, now: datetime) -> Section:
    if key == "termine":
        return appointments_section(scope, period, now)
    if key == "wartezeiten":
        return walkin_section(scope, period)
    if key == "rueckrufe":
        return callbacks_section(scope, period, now)
    if key == "telefonie":
        return telephony_section(scope, period)
    if key == "alarme":
        return alarms_section(scope, period)
    if key == "vorfaelle":
        return incidents_section(scope, period)
    raise KeyError(key)


def dashboard(scope: ReportScope, period: Period, now: datetime) -> list[Section]:
    return [section(key, scope, period, now) for key in SECTION_KEYS]


TABLE_SECTIONS = {
    "termine": "termine",
    "termine-naechster-freier": "termine",
    "wartezeiten": "wartezeiten",
    "wartezeiten-schlangen": "wartezeiten",
    "rueckrufe": "rueckrufe",
    "rueckrufe-dringlichkeit": "rueckrufe",
    "rueckrufe-versuche": "rueckrufe",
    "erstkontakt": "rueckrufe",
    "telefonie": "telefonie",
    "telefonie-teams": "telefonie",
    "telefonie-stunden": "telefonie",
    "alarme": "alarme",
    "vorfaelle": "vorfaelle",
}


def table(key: str, scope: ReportScope, period: Period, now: datetime) -> Table | None:
    section_key = TABLE_SECTIONS.get(key)
    if section_key is None:
        return None
    return section(section_key, scope, period, now).table(key)


def default_period(today: date) -> Period:
    return Period.last_days(settings.REPORTS_DEFAULT_DAYS, today)
