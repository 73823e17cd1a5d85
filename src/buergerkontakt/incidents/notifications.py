"""Messages of the incident register: e-mails that carry no narrative and no personal data of the
person concerned – only "there is something for you, open it here" with a link to the page (which
checks the reader's permission again).

* ``report_created`` → the team leads of the reporter's teams (their duty of care: aftercare) and
  the register keepers of the authority;
* ``entry_pending`` → the other register keepers (four eyes);
* ``access_requested`` → whoever may decide (team lead of the requester's teams, administrators);
* ``access_decided`` → the requester;
* ``lookup_burst`` → the DPO: an account exceeded the lookup limit (once per burst).

:func:`notify` hands ids only to the notification pipeline (``notifications/pipeline.py``), which
sends in the background after commit, at most once per message.
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Authority, Role, User
from buergerkontakt.core.permissions import has_role
from buergerkontakt.notifications import pipeline

TOPIC = "incident"
KINDS = ("report_created", "entry_pending", "access_requested", "access_decided", "lookup_burst")


def _staff(authority_id: int, role: str, obj) -> list[User]:
    candidates = User.objects.filter(
        is_active=True, authority_id=authority_id, role_assignments__role=role
    ).distinct()
    return [user for user in candidates if has_role(user, role, obj=obj)]


def keepers(authority_id: int) -> list[User]:
    return _staff(authority_id, Role.REGISTER_KEEPER, Authority(pk=authority_id))


def team_leads_of(user: User) -> list[User]:
    leads: dict[int, User] = {}
    for team in user.teams.all():
        for lead in _staff(team.authority_id, Role.TEAMLEAD, team):
            leads[lead.pk] = lead
    leads.pop(user.pk, None)
    return list(leads.values())


def _url(name: str, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs or None)


def _messages(kind: str, object_id: int) -> list[tuple[list[User], str, str]] | None:
    from .models import AccessGrant, Entry, LogEntry, Report

    if kind == "report_created":
        report = Report.objects.select_related("reported_by").filter(pk=object_id).first()
        if report is None:
            return None
        result = [
            (
                keepers(report.authority_id),
                _("Neue Vorfallmeldung"),
                _("Eine neue Vorfallmeldung ist eingegangen. Sie können sie hier öffnen:\n%(url)s")
                % {"url": _url("incidents:report", pk=report.pk)},
            )
        ]
        if report.reported_by:
            result.append(
                (
                    team_leads_of(report.reported_by),
                    _("Vorfall in Ihrem Team gemeldet"),
                    _(
                        "Eine Person aus Ihrem Team hat einen Vorfall gemeldet. Bitte denken Sie an die "
                        "Nachsorge. Die Eckdaten finden Sie hier:\n%(url)s"
                    )
                    % {"url": _url("incidents:aftercare", pk=report.pk)},
                )
            )
        return result
    if kind == "entry_pending":
        entry = Entry.objects.filter(pk=object_id).first()
        if entry is None:
            return None
        author = entry.changed_by_id or entry.created_by_id
        others = [u for u in keepers(entry.authority_id) if u.pk != author]
        return [
            (
                others,
                _("Gefährdungshinweis wartet auf Freigabe"),
                _(
                    "Ein Gefährdungshinweis wartet auf die Freigabe durch eine zweite Person der Zentralen "
                    "Stelle:\n%(url)s"
                )
                % {"url": _url("incidents:entry", pk=entry.pk)},
            )
        ]
    if kind == "access_requested":
        grant = AccessGrant.objects.select_related("user").filter(pk=object_id).first()
        if grant is None:
            return None
        deciders = {u.pk: u for u in team_leads_of(grant.user)}
        deciders.update(
            {
                u.pk: u
                for u in _staff(grant.authority_id, Role.ADMIN, Authority(pk=grant.authority_id))
                if u.pk != grant.user_id
            }
        )
        return [
            (
                list(deciders.values()),
                _("Antrag auf Registerzugang"),
                _("Ein Antrag auf Zugang zum Gefährdungsregister wartet auf Ihre Entscheidung:\n%(url)s")
                % {"url": _url("incidents:grants")},
            )
        ]
    if kind == "access_decided":
        grant = AccessGrant.objects.select_related("user").filter(pk=object_id).first()
        if grant is None:
            return None
        return [
            (
                [grant.user],
                _("Ihr Antrag auf Registerzugang"),
                _("Über Ihren Antrag auf Zugang zum Gefährdungsregister ist entschieden:\n%(url)s")
                % {"url": _url("incidents:access")},
            )
        ]
    if kind == "lookup_burst":
        row = LogEntry.objects.filter(pk=object_id).first()
        if row is None:
            return None
        if row.authority_id is None:
            return []
        return [
            (
                _staff(row.authority_id, Role.DPO, Authority(pk=row.authority_id)),
                _("Auffällig viele Abfragen im Gefährdungsregister"),
                _(
                    "Ein Konto hat in kurzer Zeit mehr Abfragen gestellt als erlaubt; weitere Abfragen "
                    "werden vorerst abgelehnt. Einzelheiten im Protokoll (Vorgang „Abfragen "
                    "gedrosselt“):\n%(url)s"
                )
                % {"url": _url("incidents:log") + "?vorgang=lookup_throttled"},
            )
        ]
    raise ValueError(kind)


def build(object_id: int, kind: str, params: dict) -> list[pipeline.Message] | None:
    """The messages of ``kind`` (notification pipeline builder), each to its recipients in blind
    copy; None when the object is gone."""
    with translation.override(settings.LANGUAGE_CODE):
        messages = _messages(kind, object_id)
        if messages is None:
            return None
        return [pipeline.Message(bcc=recipients, subject=str(subject), body=str(body) + "\n")
                for users, subject, body in messages
                if (recipients := [u.email for u in users if u.email])]


pipeline.register(TOPIC, KINDS, build)


# Kept for one release (2026-12-04): tasks queued before the upgrade to the notification pipeline
# still run (now with the pipeline's once-only sending).
@task(takes_context=True)
def send_incident_message(context, kind: str, object_id: int) -> int:
    return pipeline.send(TOPIC, kind, object_id, run_id=str(context.task_result.id))


def notify(kind: str, object_id: int) -> None:
    pipeline.notify(TOPIC, kind, object_id)
