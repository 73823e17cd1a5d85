"""Screen pops: pushes to the agents' phone sockets (Channels groups), after commit.

Groups: ``phone.user.<id>`` (every open staff page of that person) and ``phone.authority.<id>``
(every open page of the authority's phone centre: agents and administrators). A call the PBX
announces for named people pops on their screens; one without a known person pops on the whole
phone centre. A push that fails is logged and dropped: the socket shows the ringing calls again
when it reconnects (``queries.ringing_for``), the database is the truth.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string
from django.utils import translation

from buergerkontakt.core.commit import after_commit

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"phone.user.{user_id}"


def authority_group(authority_id: int) -> str:
    return f"phone.authority.{authority_id}"


def render_pop(call, context: dict) -> str:
    with translation.override("de"):
        return render_to_string("telephony/_pop.html", {"call": call, **context})


def message_for(call) -> dict:
    from .queries import caller_context

    closing = call.ended_at is not None and not call.answered
    return {"type": "phone.event", "event": call_state(call), "call": call.pk, "close": closing,
            "agent": call.agent_id, "html": render_pop(call, caller_context(call))}


def call_state(call) -> str:
    if call.ended_at is not None:
        return "ended"
    if call.answered:
        return "answered"
    return "ringing"


def _send(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a push must never break the PBX's request
            log.warning("phone push to %s failed", group, exc_info=True)


def targets(call) -> list[str]:
    if call.agent_id:
        return [user_group(call.agent_id)]
    if call.agents:
        return [user_group(pk) for pk in call.agents]
    return [authority_group(call.authority_id)]


def call_changed(call, *, also: list[int] | None = None) -> None:
    """After commit: the pop of this call (new, answered, ended) on the screens it concerns."""
    pk = call.pk

    def push() -> None:
        from .models import Call

        current = Call.objects.select_related("agent", "team").filter(pk=pk).first()
        if current is None:
            return
        groups = targets(current)
        for user_id in also or ():
            group = user_group(user_id)
            if group not in groups:
                groups.append(group)
        if current.agent_id and current.agents:  # the others stop ringing
            groups += [user_group(u) for u in current.agents if user_group(u) not in groups]
        if current.agent_id and not current.agents:
            groups.append(authority_group(current.authority_id))
        _send(groups, message_for(current))

    after_commit(push)
