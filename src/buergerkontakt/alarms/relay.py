"""The alarm relay: one channel-layer message per push and server process, fanned out in memory.

A level-3 alarm goes to everybody in the building. Sent as one ``group_send`` per recipient (one
Lua script, one Redis round trip, one ``BZPOPMIN`` and one consumer dispatch per person), a
thousand recipients took seconds. Instead every server process keeps

* a registry of the alarm connections open in it, by address: ``("user", id)`` for every open
  staff page of a person, ``("security", location id)`` for the security consoles, and
* one channel of its own in the group ``alarm.relay``.

A push (``live.py``) is one ``group_send`` to that group: one message per *process*, whatever the
number of recipients, carrying each distinct event already encoded as JSON text with the
addresses it goes to. Each process writes the text to its own matching sockets at once.

What an alarm guarantees does not depend on this transport: the alarm and every delivery are
committed before anything is pushed, a (re)connecting client is shown every active alarm from the
database (``consumers._hello``), unconfirmed alarms escalate. A connection registers *before* it
reads its active alarms, so an alarm committed while it connects is either in its ``hello`` or
pushed to it right after (never lost between the two).

A slow client never holds up the others: each socket write runs as its own eager task, which
finishes synchronously unless that one socket has to wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Protocol

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

GROUP = "alarm.relay"
MESSAGE_TYPE = "alarm.relay"
# channels_redis forgets group members after ``group_expiry`` (a day) and Redis may be restarted:
# the relay joins its group again this often.
REFRESH_SECONDS = 60.0

Address = tuple[str, int]


def user_address(user_id: int) -> Address:
    return ("user", user_id)


def security_address(location_id: int) -> Address:
    return ("security", location_id)


def batch(event_text: str, *, users: Iterable[int] = (), security: Iterable[int] = ()) -> dict:
    """One encoded event and the people/consoles it goes to (an entry of a relay message)."""
    return {"text": event_text, "users": list(users), "security": list(security)}


class Receiver(Protocol):
    async def relay_send(self, text: str) -> None: ...

    async def resync(self) -> None: ...


class Relay:
    def __init__(self) -> None:
        self.addresses: dict[Address, set[Receiver]] = {}
        self.joined_by: dict[Receiver, set[Address]] = {}
        self.channel: str | None = None
        self.layer = None
        self.task: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None
        self.writing: set[asyncio.Task] = set()

    # --- registry -------------------------------------------------------------------------------------
    async def attach(self, receiver: Receiver, *addresses: Address) -> None:
        """Register a connection for addresses (starting this process's listener if needed)."""
        await self.start()
        for address in addresses:
            self.addresses.setdefault(address, set()).add(receiver)
            self.joined_by.setdefault(receiver, set()).add(address)

    def detach(self, receiver: Receiver) -> None:
        for address in self.joined_by.pop(receiver, ()):
            members = self.addresses.get(address)
            if members is not None:
                members.discard(receiver)
                if not members:
                    del self.addresses[address]

    # --- delivery -------------------------------------------------------------------------------------
    def deliver(self, message: dict) -> int:
        """Write each event of a relay message to this process's matching connections; returns the
        number of writes started."""
        loop = asyncio.get_running_loop()
        started = 0
        for entry in message.get("batches", ()):
            text = entry["text"]
            addresses = [*map(user_address, entry.get("users", ())),
                         *map(security_address, entry.get("security", ()))]
            targets: dict[Receiver, None] = {}  # ordered, each connection once per event
            for address in addresses:
                targets.update(dict.fromkeys(self.addresses.get(address, ())))
            for receiver in targets:
                task = asyncio.Task(receiver.relay_send(text), loop=loop, eager_start=True)
                if not task.done():  # only this socket has to wait; keep a reference until it is done
                    self.writing.add(task)
                    task.add_done_callback(self.writing.discard)
                started += 1
        return started

    def resync_all(self) -> int:
        """After a channel-layer error every connection here re-reads its active alarms from the
        database (pushes sent meanwhile may never arrive). Returns the number of connections."""
        loop = asyncio.get_running_loop()
        receivers = [r for r in self.joined_by if hasattr(r, "resync")]
        for receiver in receivers:
            task = loop.create_task(receiver.resync())
            self.writing.add(task)
            task.add_done_callback(self.writing.discard)
        return len(receivers)

    # --- the listener ---------------------------------------------------------------------------------
    def is_listening_here(self, layer) -> bool:
        """Whether this process's listener runs, joined, on the current event loop and layer."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return (
            self.task is not None
            and not self.task.done()
            and self.task.get_loop() is loop
            and self.layer is layer
            and self.ready is not None
            and self.ready.done()
            and not self.ready.cancelled()
            and not self.ready.exception()
            and self.channel is not None
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        layer = get_channel_layer()
        current = self.task is not None and not self.task.done()
        if current and self.task.get_loop() is loop and self.layer is layer:
            await asyncio.shield(self.ready)
            return
        if self.task is not None and self.task.get_loop() is not loop:
            # Connections of an event loop that has gone away (the tests run one loop per scenario).
            self.addresses.clear()
            self.joined_by.clear()
        elif current:
            self.task.cancel()  # the channel layer was replaced (tests changing the settings)
        self.layer = layer
        self.ready = loop.create_future()
        self.task = loop.create_task(self._run(layer, self.ready))
        await asyncio.shield(self.ready)

    async def _run(self, layer, ready: asyncio.Future) -> None:
        try:
            channel = await layer.new_channel()
            await layer.group_add(GROUP, channel)
        except Exception as exc:  # the connection fails; the next one tries again
            ready.set_exception(exc)
            return
        old, self.channel = self.channel, channel
        ready.set_result(None)
        if old is not None:
            with contextlib.suppress(Exception):
                await layer.group_discard(GROUP, old)
        refresher = asyncio.get_running_loop().create_task(self._refresh(layer, channel))
        failed = False
        try:
            while True:
                if failed:  # the layer answered again: re-read what may have been lost meanwhile
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(layer.group_add(GROUP, channel), SEND_TIMEOUT)
                        failed = False
                        self.resync_all()
                try:
                    message = await layer.receive(channel)
                except asyncio.CancelledError:
                    raise
                except Exception:  # Redis away: try again, and join again (Redis may have lost it)
                    log.warning("alarm relay: receive failed", exc_info=True)
                    if not failed:  # from the database, which does not need the layer
                        self.resync_all()
                    failed = True
                    await asyncio.sleep(1)
                    continue
                if message.get("type") != MESSAGE_TYPE or message.get("origin") == channel:
                    continue  # not ours, or already written here by ``publish``
                try:
                    self.deliver(message)
                except Exception:
                    log.exception("alarm relay: delivery failed")
        finally:
            refresher.cancel()

    async def _refresh(self, layer, channel: str) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await layer.group_add(GROUP, channel)
            except Exception:
                log.warning("alarm relay: joining %s again failed", GROUP, exc_info=True)


relay = Relay()


# A push through a hung Redis must neither block the raise (the trigger's acknowledgement comes from
# the database commit) nor be dropped silently: each send waits at most SEND_TIMEOUT, failures are
# logged and retried with growing pauses for RETRY_SECONDS in the background. Clients re-read the
# active alarms on their own timer as well (``consumers.AlarmConsumer``), so a push that never gets
# through is only late, not lost.
SEND_TIMEOUT = 2.0
RETRY_SECONDS = 30.0
PAUSES = (0.1, 0.25, 0.5, 1.0, 2.0)


async def send_with_retries(layer, message: dict, *, give_up_after: float = RETRY_SECONDS) -> bool:
    """``group_send`` until it succeeds or ``give_up_after`` seconds are over; returns success."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    attempt = 0
    while True:
        try:
            await asyncio.wait_for(layer.group_send(GROUP, message), SEND_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception:  # includes the timeout of a hung layer
            attempt += 1
            log.warning("alarm relay: group_send failed (attempt %d)", attempt, exc_info=True)
            pause = PAUSES[min(attempt - 1, len(PAUSES) - 1)]
            if loop.time() + pause >= deadline:
                log.error("alarm relay: push not sent after %d attempts; clients re-sync", attempt)
                return False
            await asyncio.sleep(pause)
            continue
        if attempt:
            log.warning("alarm relay: push sent after %d failed attempts", attempt)
        return True


async def publish(batches: list[dict]) -> None:
    """Send one relay message to every server process, retried in the background.

    Pushed from this process's own event loop (an alarm raised over a connection or a page here), the
    connections of this process get it at once, without the round trip through the channel layer;
    the message carries this listener's mark, so that it is not written twice here, and the layer
    send runs as a task of that loop (the caller – a raise waiting for its acknowledgement – never
    waits for the layer). Without a listener here (the background task worker) it waits, bounded."""
    batches = [b for b in batches if b["users"] or b["security"]]
    if not batches:
        return
    layer = get_channel_layer()
    message = {"type": MESSAGE_TYPE, "batches": batches}
    if relay.is_listening_here(layer):
        relay.deliver(message)
        message["origin"] = relay.channel
        task = asyncio.get_running_loop().create_task(send_with_retries(layer, message))
        relay.writing.add(task)
        task.add_done_callback(relay.writing.discard)
        return
    if not await send_with_retries(layer, message, give_up_after=2 * SEND_TIMEOUT):
        raise RuntimeError("alarm relay: push not sent")
