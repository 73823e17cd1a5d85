"""WebSockets of the waiting room: the call display and the citizen's live ticket page.

Both send the full current state on connect, so a client that reconnects after a network drop or a
server restart is up to date at once. Clients send ``{"type": "ping"}`` now and then and get a
``pong``: a connection that silently died is noticed by the client, which reconnects.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from buergerkontakt.core.consumers import LiveConsumer

from . import queries
from .links import ticket_for
from .live import display_group, queue_group
from .models import Screen

FORBIDDEN = 4403
NOT_FOUND = 4404


class DisplayConsumer(LiveConsumer):
    """``ws/anzeige/<key>/``: a waiting-room display (identified by its screen key, no login)."""

    async def connect(self):
        key = self.scope["url_route"]["kwargs"]["key"]
        screen = await database_sync_to_async(queries.screen_by_key)(key, Screen.Kind.DISPLAY)
        client = (self.scope.get("client") or ("",))[0]
        if screen is None or not screen.admits(client):
            await self.close(code=FORBIDDEN)
            return
        self.screen = screen
        await self.join(display_group(screen.location_id))
        await self.accept()
        state = await database_sync_to_async(queries.display_state)(screen.location_id,
                                                                    limit=screen.grid_size)
        await self.send_json({"event": "snapshot", "state": state})

    async def display_update(self, message):
        state = dict(message["state"])
        state["calls"] = state["calls"][: self.screen.grid_size]
        await self.send_json({"event": message["event"], "ticket": message["ticket"], "state": state})


def _language(scope) -> str:
    wanted = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _ticket_payload(pk: int, secret: str, language: str) -> tuple[dict | None, int | None]:
    ticket = ticket_for(pk, secret)
    if ticket is None:
        return None, None
    state = queries.ticket_state(ticket)
    with translation.override(language):
        html = render_to_string("queue/_ticket_status.html", {"state": state, "ticket": ticket})
    return {"event": "state", "status": ticket.status, "html": html}, ticket.queue_id


class TicketConsumer(LiveConsumer):
    """``ws/wartenummer/<pk>/<secret>/``: the live page on the citizen's phone."""

    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.pk, self.secret, self.language = kwargs["pk"], kwargs["secret"], _language(self.scope)
        payload, queue_id = await database_sync_to_async(_ticket_payload)(self.pk, self.secret, self.language)
        if payload is None:
            await self.close(code=NOT_FOUND)
            return
        self.group = queue_group(queue_id)
        await self.join(self.group)
        await self.accept()
        await self.send_json(payload)

    async def queue_changed(self, message):
        payload, queue_id = await database_sync_to_async(_ticket_payload)(self.pk, self.secret, self.language)
        if payload is None:
            await self.close(code=NOT_FOUND)
            return
        new_group = queue_group(queue_id)
        if new_group != self.group:  # handed over to another queue: follow the ticket
            await self.leave(self.group)
            self.group = new_group
            await self.join(new_group)
        await self.send_json(payload)
