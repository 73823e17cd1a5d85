"""The PostgreSQL connection pool finds the database again soon after an outage.

psycopg-pool retries a failed connection with an unbounded exponential back-off (1, 2, 4, 8, 16,
32 s …): after a 30-second outage the pool would wait up to half a minute more before it tried
again, while every request answered 503. Capped at ``DB_RECONNECT_MAX_DELAY`` seconds, the workers
are back within about a second of the database (docs/adr/0012-faults-and-recovery.md).
"""

from __future__ import annotations


def cap_reconnect_delay(seconds: float) -> None:
    from psycopg_pool.base import AttemptWithBackoff

    original = AttemptWithBackoff.update_delay
    original = getattr(original, "uncapped", original)

    def update_delay(self, now: float) -> None:
        original(self, now)
        self.delay = min(self.delay, seconds)

    update_delay.uncapped = original
    AttemptWithBackoff.update_delay = update_delay
