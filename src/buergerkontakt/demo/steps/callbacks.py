"""Demo callbacks for "Jobcenter Musterstadt": a routing rule set like a Jobcenter's (team by
Bedarfsgemeinschaft number or surname letters, the case worker by letters within the team; an
absent case worker without deputy → team pool), and tickets in every state.

Idempotent: the rules are looked up by their natural key; tickets are only made when the
authority has none yet. The agent login is ``empfang1`` (offices.py), case workers ``sb.mueller``
(Team 1, A–D) and ``sb.weber`` (Team 2, L–P), team lead ``leitung.lsb1``.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from buergerkontakt.callbacks import services
from buergerkontakt.callbacks.models import CallbackPolicy, Outcome, Ticket, Urgency
from buergerkontakt.core.models import Authority, Team, User
from buergerkontakt.demo.people import DEMO_CALLER
from buergerkontakt.directory.models import ResponsibilityRule, Service

# (priority, surname from, to, team slug, case worker) – the case worker within the team's letters
PERSON_RULES = [
    (101, "A", "D", "jc-leistung-1", "sb.mueller"),
    (102, "E", "H", "jc-leistung-1", "sb.schmidt"),
    (103, "I", "K", "jc-leistung-1", "sb.nowak"),  # absent in the demo, no deputy → team pool
    (111, "L", "P", "jc-leistung-2", "sb.weber"),
    (112, "Q", "T", "jc-leistung-2", "sb.hoffmann"),
    (113, "U", "Z", "jc-leistung-2", "sb.demir"),
]


def _rules(jc: Authority) -> None:
    for priority, low, high, team_slug, username in PERSON_RULES:
        team = Team.objects.get(slug=team_slug)
        person = User.objects.filter(username=username).first()
        ResponsibilityRule.objects.update_or_create(
            authority=jc, priority=priority, surname_from=low, surname_to=high, case_number_pattern="",
            service=None, defaults={"team": team, "caseworker": person})


def _tickets(jc: Authority) -> None:
    now = timezone.now()
    agent = User.objects.filter(username="empfang1").first()
    mueller = User.objects.filter(username="sb.mueller").first()
    weber = User.objects.filter(username="sb.weber").first()
    but = Service.objects.filter(slug="bildung-und-teilhabe").first()

    def make(name, phone, topic, *, ago=timedelta(0), **fields):
        return services.create_ticket(jc, caller_name=name, phone=phone, topic=topic, by=agent,
                                      now=now - ago, **fields)

    make("Anna Albers", "0151 20000001", "Frage zur Nachzahlung", email="anna.albers@example.org")
    make("Bernd Braun", "069 80650001", "Kontoauszüge nachreichen", urgency=Urgency.URGENT)
    make("Dilara Demir", "0160 20000003", "Kein Geld für Lebensmittel", urgency=Urgency.EMERGENCY,
         note="Zahlung seit Monatsanfang ausstehend")
    make("Irina Iwanowa", "0170 20000004", "Umzug mitgeteilt")  # Nowak absent → pool
    make("Lukas Lehmann", "0151 20000005", "Rückfrage Bescheid", case_number="12612")
    make("Sven Schulz", "0152 20000006", "Klassenfahrt", service=but)
    # overdue: a week old
    make("Carla Conrad", "0151 20000007", "Weiterbewilligung", ago=timedelta(days=7))
    # warning: three quarters of the time gone
    warned = make("Emil Engel", "0151 20000008", "Mietbescheinigung", urgency=Urgency.URGENT)
    Ticket.objects.filter(pk=warned.pk).update(warn_at=now - timedelta(minutes=10),
                                               due_at=now + timedelta(minutes=40))
    # paused
    paused = make("Frieda Fuchs", "0151 20000009", "Unterlagen fehlen")
    services.pause_clock(paused, "Bürgerin reicht den Mietvertrag nach", by=mueller, now=now)
    # one failed attempt, the next one planned
    retry = make("Gregor Graf", "0151 20000010", "Sanktion", ago=timedelta(hours=3))
    services.log_attempt(retry, Outcome.NOT_REACHED, by=User.objects.filter(username="sb.schmidt").first(),
                         now=now - timedelta(hours=2))
    # solved
    solved = make("Mara Meier", "0151 20000011", "Bescheid erklärt", ago=timedelta(days=1))
    services.log_attempt(solved, Outcome.REACHED_SOLVED, by=weber, note="Bescheid erklärt",
                         now=now - timedelta(hours=20))
    # unreachable after three attempts: written notice
    gone = make("Ole Otto", "0151 20000012", "Mehrbedarf", email="ole.otto@example.org",
                ago=timedelta(days=3))
    for hours in (70, 50, 26):
        services.log_attempt(gone, Outcome.NOT_REACHED, by=weber, now=now - timedelta(hours=hours))
    # online request for a window of team 2
    team2 = Team.objects.get(slug="jc-leistung-2")
    windows = services.callback_windows(team2, now=now)
    if windows:
        services.create_ticket(jc, caller_name=DEMO_CALLER, phone="0151 20000013",
                               topic="Antrag auf Erstausstattung", team=team2,
                               window=windows[min(2, len(windows) - 1)], channel="online", now=now)
    for topic in ("Öffnungszeiten", "Antragsformular zugeschickt", "Adresse der Geschäftsstelle Nord"):
        services.log_first_contact(jc, agent=agent, topic=topic, now=now)
    services.escalate_due(now=now)


def callbacks_demo() -> None:
    jc = Authority.objects.filter(slug="jobcenter-musterstadt").first()
    if jc is None:
        return
    CallbackPolicy.objects.get_or_create(authority=jc)
    _rules(jc)
    if not Ticket.objects.filter(authority=jc).exists():
        _tickets(jc)
