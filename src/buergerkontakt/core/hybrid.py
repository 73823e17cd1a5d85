"""Base for middleware that runs natively in both modes: under ASGI it stays on the event loop (no
thread switch per request), under WSGI or the test client it is called synchronously. Subclasses
implement ``__call__`` for the sync path – returning ``self.__acall__(request)`` first when
``self.is_async`` – and ``async def __acall__`` for the event loop. No Django models here."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class HybridMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
