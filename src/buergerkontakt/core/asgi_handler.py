"""Django's ASGI handler with reused request threads.

Why (docs/performance.md, "Threads and Redis connections per request"): Django's ``ASGIHandler``
enters a fresh ``ThreadSensitiveContext`` for every request. asgiref then creates a new
single-thread executor for that request – a new thread for the request's sync code (middleware,
view, ORM) and a second one that joins it when the request ends. Under load a py-spy profile of the
workers showed 14 % of their time in ``Thread.start`` alone. Here each request borrows a
single-thread executor from a per-process pool and gives it back afterwards (asgiref's
``ThreadSensitiveContext(executor=…)``, whose caller owns the executor). The guarantee Django needs
is unchanged: all sync code of one request runs on one thread, and no other request's code runs on
that thread at the same time.

At most ``REQUESTS_PER_WORKER`` requests (default 4) run their middleware and view at the same time
in one process; see :meth:`PooledThreadASGIHandler.run_get_response`.

An executor goes back to the pool only after its thread has finished everything submitted to it: a
request cancelled by a client disconnect may leave its view still running in the thread, and the
next request must not queue behind it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

# Idle threads kept per worker process; more concurrent requests get new threads, which are shut
# down instead of pooled when they end. STARTED_THREADS are started with the worker, so the first
# crowd after a (re)start does not pay for starting them.
MAX_IDLE_THREADS = 64
STARTED_THREADS = 16


class PooledThreadASGIHandler(ASGIHandler):
    """``django.core.handlers.asgi.ASGIHandler`` whose requests run their sync code on reused threads."""

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []
        self._limit = settings.REQUESTS_PER_WORKER
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        for _ in range(STARTED_THREADS):
            executor = self._new_executor()
            executor.submit(int).result()
            self._idle.append(executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self._idle.pop() if self._idle else self._new_executor()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._give_back(executor)

    async def run_get_response(self, request):
        """At most ``REQUESTS_PER_WORKER`` requests run their middleware and view at once; the others
        wait, first come first served. Fifty threads of one process taking turns on the GIL finish
        all fifty late; a few at a time finish the first ones early and the whole crowd sooner
        (P2's first second: slowest request 1.4–1.8 s instead of 2.6 s). Reading the request body
        and sending the response happen outside the limit, so slow clients do not hold a place."""
        if self._limit <= 0:
            return await super().run_get_response(request)
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:  # one per event loop (tests run several)
            self._slots = (loop, asyncio.Semaphore(self._limit))
        async with self._slots[1]:
            return await super().run_get_response(request)

    @staticmethod
    def _new_executor() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bk-request")

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) >= MAX_IDLE_THREADS:
            executor.shutdown(wait=False)
            return
        loop = asyncio.get_running_loop()
        # Runs after everything the request left in the thread (the executor has one worker).
        done = executor.submit(int)
        done.add_done_callback(lambda _future: loop.call_soon_threadsafe(self._idle.append, executor))

    @property
    def idle_threads(self) -> int:
        return len(self._idle)
