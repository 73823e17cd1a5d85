"""Per-process write batching for the alarm connections.

A building-wide alarm brings a thousand receipts within milliseconds, and a thousand open staff
pages heartbeat every few seconds. Written one by one, these queue up on the single thread that
Channels uses for the ORM – and the *next* alarm would wait behind them. Instead each process
collects them for a few milliseconds and writes them in one statement/transaction. The moment a
receipt arrived is taken when it arrives, so the stored latency is not changed by the batching.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

log = logging.getLogger(__name__)


class Batcher:
    def __init__(self, flush: Callable[[dict], Any], delay: float):
        self.flush, self.delay = flush, delay
        self.pending: dict = {}
        self.task: asyncio.Task | None = None

    def add(self, key, value, *, latest: bool = False) -> None:
        """Collect ``value`` under ``key``: the first one counts (a receipt's moment of arrival), or
        with ``latest`` the last one given (an agent's reported version)."""
        if latest and value is not None:
            self.pending[key] = value
        else:
            self.pending.setdefault(key, value)
        loop = asyncio.get_running_loop()
        # A task of a loop that has gone away (tests run one loop per scenario) never finishes.
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(self.delay)
        while self.pending:
            items, self.pending = self.pending, {}
            try:
                await database_sync_to_async(self.flush)(items)
            except Exception:  # a failed batch must not take the connections down; the next one retries
                log.warning("alarm batch write failed (%d items)", len(items), exc_info=True)

    async def drain(self) -> None:
        """Wait until everything collected so far is written (tests)."""
        loop = asyncio.get_running_loop()
        while self.task is not None and not self.task.done() and self.task.get_loop() is loop:
            await self.task
