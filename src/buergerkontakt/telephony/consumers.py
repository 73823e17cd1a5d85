"""``ws/telefonie/``: the screen pop's connection on every staff page of the phone centre.

Only signed-in staff with a phone role connect (others: closed with 4403, the client stops). On
connect the client gets the calls ringing for it now (a page opened or reconnected while the phone
rings still shows the caller); afterwards each push (``live.py``) is forwarded as it comes.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings

from buergerkontakt.core.consumers import LiveConsumer
from buergerkontakt.core.permissions import authority_ids_for, has_role

from . import live, queries

FORBIDDEN = 4403


def _groups(user) -> list[str] | None:
    if user is None or not user.is_authenticated or not user.is_active or not user.authority_id:
        return None
    if not has_role(user, *queries.DIAL_ROLES):
        return None
    groups = [live.user_group(user.pk)]
    if user.authority_id in authority_ids_for(user, *queries.PHONE_CENTRE_ROLES):
        groups.append(live.authority_group(user.authority_id))
    return groups


def _snapshot(user) -> list[dict]:
    return [live.message_for(call) for call in queries.ringing_for(user)]


class PhoneConsumer(LiveConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if settings.REQUIRE_2FA and not self.scope.get("session", {}).get("otp_device_id"):
            user = None
        groups = await database_sync_to_async(_groups)(user)
        if not groups:
            await self.close(code=FORBIDDEN)
            return
        self.user_id = user.pk
        await self.join(*groups)
        await self.accept()
        for message in await database_sync_to_async(_snapshot)(user):
            await self.phone_event(message)

    async def phone_event(self, message):
        await self.send_json({key: value for key, value in message.items() if key != "type"})
