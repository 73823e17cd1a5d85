"""Pushes to the call displays and the citizens' ticket pages (Channels groups), after commit.

Groups: ``queue-display.<location id>`` (every display of a location) and ``queue.<queue id>``
(every open ticket page of that queue; each recomputes its own position when told).
A push that fails (channel layer down) is logged and dropped: the clients re-read their state when
they reconnect, so nothing is lost — the database is the truth, the push only says "look again".
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from buergerkontakt.core.commit import after_commit

log = logging.getLogger(__name__)


def display_group(location_id: int) -> str:
    return f"queue-display.{location_id}"


def queue_group(queue_id: int) -> str:
    return f"queue.{queue_id}"


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a push must never break the request that caused it
        log.warning("queue push to %s failed", group, exc_info=True)


def queue_changed(queue_id: int) -> None:
    after_commit(_send, queue_group(queue_id), {"type": "queue.changed"})


def _display_push(location_id: int, event: str, ticket_id: int) -> None:
    from .models import GRID_MAX, GRID_MIN, Screen
    from .queries import display_state

    longest = Screen.objects.filter(location_id=location_id, kind=Screen.Kind.DISPLAY, is_active=True) \
        .order_by("-recent_count").values_list("recent_count", flat=True).first()
    state = display_state(location_id, limit=min(max(longest or 6, GRID_MIN), GRID_MAX))
    _send(display_group(location_id), {"type": "display.update", "event": event, "ticket": ticket_id,
                                       "state": state})


def called(ticket, *, repeat: bool) -> None:
    """A ticket was called (or called again): every display of the location shows it with a gong."""
    location_id, queue_id, ticket_id = ticket.queue.location_id, ticket.queue_id, ticket.pk

    def push() -> None:
        _display_push(location_id, "recall" if repeat else "call", ticket_id)
        _send(queue_group(queue_id), {"type": "queue.changed"})

    after_commit(push)


def answered(ticket) -> None:
    """A called ticket was started, finished, missed or handed over: displays update without a gong
    (and do not repeat the call any more)."""
    location_id, ticket_id = ticket.queue.location_id, ticket.pk
    after_commit(_display_push, location_id, "state", ticket_id)
