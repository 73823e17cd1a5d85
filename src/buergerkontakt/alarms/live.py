"""Pushes of the silent alarm (Channels), always after commit.

Groups: ``alarm.user.<id>`` (every open staff page of a person) and ``alarm.security.<location>``
(security consoles). Circle 1 (neighbours, security) is sent first, all at once; the rest follows
in batches.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"alarm.user.{user_id}"


def security_group(location_id: int) -> str:
    return f"alarm.security.{location_id}"


BATCH = 20  # concurrent group_sends; 100 exhausted the Redis connection pool (MaxConnectionsError)


async def _send_all(messages: list[tuple[str, dict]], first: int) -> None:
    """One failed send must never stop the others: failures are retried once, then logged."""
    layer = get_channel_layer()
    failed: list[tuple[str, dict]] = []
    # The first circle (at most about 20) at once, before anybody else.
    results = await asyncio.gather(*(layer.group_send(g, m) for g, m in messages[:first]),
                                   return_exceptions=True)
    failed += [item for item, result in zip(messages[:first], results, strict=True)
               if isinstance(result, Exception)]
    rest = messages[first:]
    for start in range(0, len(rest), BATCH):
        batch = rest[start : start + BATCH]
        results = await asyncio.gather(*(layer.group_send(g, m) for g, m in batch), return_exceptions=True)
        failed += [item for item, result in zip(batch, results, strict=True) if isinstance(result, Exception)]
    for group, message in failed:
        try:
            await layer.group_send(group, message)
        except Exception:
            log.warning("alarm push to %s failed", group, exc_info=True)


def _push(messages: list[tuple[str, dict]], first: int = 0) -> None:
    try:
        async_to_sync(_send_all)(messages, first)
    except Exception:  # the alarm is stored; clients see it when they reconnect
        log.warning("alarm push failed", exc_info=True)


def fan_out(alarm_id: int, chosen, *, console: bool = True) -> None:
    """Send the alarm to its (new) recipients, circle 1 first, and tell the consoles."""

    def push() -> None:
        from .queries import alarm_payload

        payload = alarm_payload(alarm_id)
        ordered = sorted(chosen, key=lambda r: r.circle)
        messages = [
            (user_group(r.user_id), {"type": "alarm.raised", "alarm": payload, "role": r.role})
            for r in ordered
        ]
        if console:
            messages.append(
                (security_group(payload["location_id"]), {"type": "alarm.changed", "alarm": alarm_id})
            )
        first = sum(1 for r in ordered if r.circle == 1)
        _push(messages, first)

    transaction.on_commit(push)


def responses_changed(alarm) -> None:
    alarm_id, trigger, location_id = alarm.pk, alarm.raised_by_id, alarm.location_id

    def push() -> None:
        from .queries import responders

        _push(
            [
                (
                    user_group(trigger),
                    {"type": "alarm.responses", "alarm": alarm_id, "responders": responders(alarm_id)},
                ),
                (security_group(location_id), {"type": "alarm.changed", "alarm": alarm_id}),
            ]
        )

    transaction.on_commit(push)


def ended(alarm) -> None:
    alarm_id, status, location_id = alarm.pk, alarm.status, alarm.location_id

    def push() -> None:
        from .models import Delivery

        users = {
            alarm.raised_by_id,
            *Delivery.objects.filter(alarm_id=alarm_id).values_list("user_id", flat=True),
        }
        message = {"type": "alarm.ended", "alarm": alarm_id, "status": status}
        _push(
            [(user_group(u), message) for u in users]
            + [(security_group(location_id), {"type": "alarm.changed", "alarm": alarm_id})]
        )

    transaction.on_commit(push)


def nobody_reached(alarm) -> None:
    alarm_id, trigger = alarm.pk, alarm.raised_by_id
    transaction.on_commit(lambda: _push([(user_group(trigger), {"type": "alarm.nobody", "alarm": alarm_id})]))
