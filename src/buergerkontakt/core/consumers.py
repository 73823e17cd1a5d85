"""Base of the platform's WebSocket consumers: group membership and the client's ping."""

from __future__ import annotations

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

log = logging.getLogger(__name__)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins groups, leaves them on disconnect (even if the channel layer hiccups), and answers
    ``{"type": "ping"}`` with ``{"event": "pong"}`` – the clients' check for a dead connection."""

    groups_joined: list[str]

    async def join(self, *groups: str) -> None:
        if not hasattr(self, "groups_joined"):
            self.groups_joined = []
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.remove(group)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            try:  # many clients closing at once can exhaust the Redis pool; finish the disconnect
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.warning("group_discard %s failed", group, exc_info=True)

    async def on_ping(self) -> None:
        """Hook for subclasses (the alarm client's ping is its workstation's heartbeat)."""

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.on_ping()
            await self.send_json({"event": "pong"})
            return
        await self.receive_message(content if isinstance(content, dict) else {})

    async def receive_message(self, content: dict) -> None:
        """Every other message from the client (ignored unless a subclass handles it)."""
