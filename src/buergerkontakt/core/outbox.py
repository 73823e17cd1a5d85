"""Messages sent by background tasks at most once per key, also when a task runs again after its
worker was killed mid-task (core/taskworker.py re-runs orphaned tasks).

``send_once(key, send)`` inserts the key's record, hands the message over and commits both
together: a run killed before the commit leaves no record (the re-run sends), a run that committed
leaves the record (the re-run sends nothing), and a second run at the same time waits for the
first one's insert and then skips. What remains is the moment between the mail server accepting
the message and the commit (milliseconds): a kill exactly then sends the message twice – never
zero times (docs/adr/0012-faults-and-recovery.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import SentMessage


def send_once(key: str, send: Callable[[], object]) -> bool:
    """Call ``send`` unless a message with ``key`` was sent before; True when it sent now."""
    try:
        with transaction.atomic():
            SentMessage.objects.create(key=key, sent_at=timezone.now())
            send()
    except IntegrityError:
        return False
    return True
