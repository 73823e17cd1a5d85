"""Structured logs (structlog) without personal data.

Every log line – ours, Django's, the task worker's – goes through one structlog formatter:
``LOG_FORMAT=json`` writes one JSON object per line (for a log collector), ``console`` (default) a
readable ``key=value`` line. Each request gets an id (``X-Request-ID``, taken from nginx if it sent a
well-formed one) that is bound to every line logged while it is served, and one access line with
the *route pattern* (``termine/<code:code>/``), never the path: paths carry booking codes and ticket
secrets, query strings e-mail addresses. Django's own "Not Found: /…" lines are rewritten the same
way by :class:`RedactPaths`.

``LOG_FILE`` additionally writes JSON lines to a file; the test run uses it to prove that no
person's name reaches the logs (``scripts/check_logs.py``).

This module is imported by the settings: no Django models here.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

access = structlog.stdlib.get_logger("buergerkontakt.access")

_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(allow=["status_code"]),
]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def configure_structlog() -> None:
    """structlog's own loggers hand their events to the standard library, whose handlers render them."""
    structlog.configure(
        processors=[*_SHARED[:4], structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.processors.StackInfoRenderer(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _formatter(renderer) -> dict:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _SHARED,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                       structlog.processors.format_exc_info, renderer],
    }


def logging_config(*, level: str = "INFO", fmt: str = "console", file: str = "") -> dict:
    """The ``LOGGING`` setting: console (or JSON) on stderr, JSON lines into ``file`` if given."""
    console_renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json"
                        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0))
    handlers: dict[str, dict] = {
        "console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["redact"]},
    }
    if file:
        handlers["file"] = {"class": "logging.FileHandler", "filename": file, "encoding": "utf-8",
                            "formatter": "json", "filters": ["redact"], "delay": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactPaths}},
        "formatters": {"main": _formatter(console_renderer),
                       "json": _formatter(structlog.processors.JSONRenderer(ensure_ascii=False))},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        "loggers": {
            # Django's defaults set its logger to INFO, whatever the root says: LOG_LEVEL applies.
            "django": {"level": level},
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            # django-auth-ldap names the user in some warnings; the directory app logs its own, without.
            "django_auth_ldap": {"level": "ERROR"},
        },
    }


def route_of(request) -> str:
    """The URL pattern that served ``request`` (no codes, secrets or ids), or only its first path
    segment for paths that match no pattern."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    first = request.path.strip("/").split("/", 1)[0]
    return f"/{first}/…" if first else "/"


class RedactPaths(logging.Filter):
    """Django logs "Not Found: /termine/ABCD2345/" with the request attached; keep the pattern only."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path") and record.args:
            record.args = tuple(route_of(request) if arg == request.path else arg for arg in record.args)
        return True


def _start_request(request) -> tuple[str, float]:
    given = request.headers.get("X-Request-ID", "")
    request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id, time.perf_counter()


def _finish_request(request, response, request_id: str, started: float):
    response["X-Request-ID"] = request_id
    access.info("request", method=request.method, route=route_of(request),
                status=response.status_code, ms=round((time.perf_counter() - started) * 1000, 1))
    return response


@sync_and_async_middleware
def request_log_middleware(get_response):
    """Binds a request id to the log context and writes one access line per request."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            request_id, started = _start_request(request)
            return _finish_request(request, await get_response(request), request_id, started)
    else:
        def middleware(request):
            request_id, started = _start_request(request)
            return _finish_request(request, get_response(request), request_id, started)
    return middleware
