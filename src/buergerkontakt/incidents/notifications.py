"""Messages of the incident register: e-mails that carry no narrative and no personal data of the
person concerned – only "there is something for you, open it here" with a link to the page (which
checks the reader's permission again).

* ``report_created`` → the team leads of the reporter's teams (their duty of care: aftercare) and
  the register keepers of the authority;
* ``entry_pending`` → the other register keepers (four eyes);
* ``access_requested`` → whoever may decide (team lead of the requester's teams, administrators);
* ``access_decided`` → the requester;
* ``lookup_burst`` → the DPO: an account exceeded the lookup limit (once per burst).

:func:`notify` enqueues :func:`send_incident_message` after commit, with ids only.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Authority, Role, User
from buergerkontakt.core.permissions import has_role

log = logging.getLogger(__name__)

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


def _messages(kind: str, object_id: int) -> list[tuple[list[User], str, str]]:
    from .models import AccessGrant, Entry, LogEntry, Report

    if kind == "report_created":
        report = Report.objects.select_related("reported_by").filter(pk=object_id).first()
        if report is None:
            return []
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
            return []
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
            return []
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
            return []
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
        if row is None or row.authority_id is None:
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


def send_now(kind: str, object_id: int) -> int:
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for users, subject, body in _messages(kind, object_id):
            recipients = [u.email for u in users if u.email]
            if not recipients:
                continue
            EmailMessage(subject=str(subject), body=str(body) + "\n", bcc=recipients).send()
            sent += len(recipients)
    return sent


@task
def send_incident_message(kind: str, object_id: int) -> int:
    return send_now(kind, object_id)


def notify(kind: str, object_id: int) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    transaction.on_commit(lambda: send_incident_message.enqueue(kind, object_id))
