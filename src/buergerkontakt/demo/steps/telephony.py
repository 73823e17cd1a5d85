"""Demo calls for "Jobcenter Musterstadt": the hotline numbers of the two benefit teams, the agent
``empfang1`` as extension 42, and a day of calls relative to now (answered, one solved directly,
missed and abandoned ones – one from a caller with an open ticket, one repeat caller). Works at any
hour and on later days: every time is counted back from now. Idempotent: only when the authority
has no calls yet.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from buergerkontakt.core.models import Authority, Team, User
from buergerkontakt.telephony import services
from buergerkontakt.telephony.adapters import ANSWER, GENERIC_CAUSES, HANGUP, NEW, Event
from buergerkontakt.telephony.models import Call, Extension, Line

LINES = (("+49698065100", "jc-leistung-1"), ("+49698065200", "jc-leistung-2"))
# (minutes ago, caller, line, wait seconds or None, cause if unanswered, solved directly)
CALLS = [
    (300, "4915120000001", 0, 8, "", True),
    (280, "4969123456", 0, 14, "", False),
    (250, "4915200000021", 1, 41, "", False),
    (200, "4915120000022", 1, None, "cancel", False),
    (170, "4915120000022", 1, None, "noAnswer", False),  # the same caller again: one line
    (120, "4917020000023", 0, 25, "", False),
    (90, "4915120000005", 1, None, "cancel", False),  # Lukas Lehmann, open ticket
    (45, "4915120000024", 0, 6, "", True),
    (20, "anonymous", 0, None, "cancel", False),
]


def telephony_demo() -> None:
    jc = Authority.objects.filter(slug="jobcenter-musterstadt").first()
    if jc is None or Call.objects.filter(authority=jc).exists():
        return
    lines = []
    for number, slug in LINES:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            return
        Line.objects.get_or_create(authority=jc, number=number, defaults={"team": team})
        lines.append(number)
    agent = User.objects.filter(username="empfang1").first()
    if agent is not None:
        Extension.objects.get_or_create(authority=jc, identifier="42", defaults={"user": agent})
    now = timezone.now()
    # Early in the morning the day is squeezed into the time since midnight (never into yesterday).
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = (now - midnight).total_seconds()
    lead = min(60.0, today / 2)
    scale = max(min(1.0, (today - lead) / ((CALLS[0][0] + 5) * 60)), 0.0)
    for n, (ago, caller, line, wait, cause, solved) in enumerate(CALLS):
        start = now - timedelta(minutes=ago * scale) - timedelta(seconds=lead)
        base = {"call_id": f"demo-{n + 1}", "direction": "in", "caller": caller, "callee": lines[line][1:]}
        services.record_event(jc, Event(NEW, **base, agents=("Empfang",)), now=start)
        if wait is not None:
            answered = min(start + timedelta(seconds=wait), now)
            services.record_event(jc, Event(ANSWER, **base, answering=("42",)), now=answered)
            end = min(answered + timedelta(minutes=3), now)
            services.record_event(jc, Event(HANGUP, **base, cause="normalClearing",
                                            outcome=GENERIC_CAUSES["normalclearing"]), now=end)
            if solved and agent is not None:
                call = Call.objects.get(authority=jc, call_id=base["call_id"])
                services.solve_directly(call, agent=agent, topic="Auskunft am Telefon", now=end)
        else:
            hangup = Event(HANGUP, **base, cause=cause, outcome=GENERIC_CAUSES[cause.lower()])
            services.record_event(jc, hangup, now=min(start + timedelta(seconds=35), now))
