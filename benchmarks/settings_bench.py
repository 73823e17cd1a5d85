"""Benchmark settings: the project's settings plus a PostgreSQL connection pool per worker.

Django's ASGI handler runs every request in its own thread, each with its own database
connection; under 200 concurrent clients the shipped settings (no pool, ``DB_CONN_MAX_AGE=0``)
open one PostgreSQL connection per request in flight and exhaust ``max_connections`` (100).
A pool (Django ≥ 5.1, ``psycopg_pool``) bounds it to ``BENCH_DB_POOL_MAX`` per worker process;
requests wait for a free connection instead of failing. See docs/performance.md (proposal for
settings.py: a ``DB_POOL_MAX_SIZE`` knob).
"""

import os

from buergerkontakt.settings import *  # noqa: F403
from buergerkontakt.settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("BENCH_DB_POOL_MAX"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # required with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": int(os.environ["BENCH_DB_POOL_MAX"]), "timeout": 30}
