"""One pipeline for the messages to citizens and staff (2026-12-04, docs/adr/0023-notification-pipeline.md).

An app registers a *topic* ("appointment", "callback", …) with its kinds and a builder
``build(object_id, kind, params) -> list[Message] | None``: the messages to send now, rendered from
the database with the app's own templates (an empty list: nothing to send any more; ``None``: the
object is gone). Callers use the app's own ``notify(...)``, which calls :func:`notify` here:

1. :func:`notify` checks the topic and kind and enqueues :func:`deliver` after the current
   transaction commits (nothing after a rollback), with ids and flags only – no personal data sits
   in the task queue;
2. :func:`deliver` (a background task) builds the messages and sends each through
   ``core/outbox.send_once`` with a key made of the task run's id and the message's index, so a run
   repeated after its worker was killed sends nothing twice (docs/adr/0012-faults-and-recovery.md).

Logs name topics, kinds and ids only – never names, addresses or numbers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.mail import EmailMessage
from django.tasks import task

from buergerkontakt.core import outbox
from buergerkontakt.core.commit import after_commit

from . import sms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One message: an e-mail (``to``/``bcc``, subject, body, attachments as (file name, content,
    MIME type)) and/or an SMS (``sms_to``, ``sms_text``). ``also`` is anything else the message does
    when it is sent (e.g. an SMS with its own once-only claim), run after the e-mail, once."""

    to: Sequence[str] = ()
    bcc: Sequence[str] = ()
    subject: str = ""
    body: str = ""
    attachments: Sequence[tuple[str, bytes, str]] = ()
    sms_to: str = ""
    sms_text: str = ""
    also: Callable[[], object] | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        return not (self.to or self.bcc or self.sms_to or self.also)

    def send(self) -> None:
        if self.to or self.bcc:
            mail = EmailMessage(subject=self.subject, body=self.body, to=list(self.to), bcc=list(self.bcc))
            for name, content, mimetype in self.attachments:
                mail.attach(name, content, mimetype)
            mail.send()
        if self.sms_to:
            sms.send_sms(self.sms_to, self.sms_text)
        if self.also is not None:
            self.also()


Builder = Callable[[int, str, dict], "list[Message] | None"]


@dataclass(frozen=True)
class Topic:
    name: str
    kinds: tuple[str, ...]
    build: Builder


_topics: dict[str, Topic] = {}


def register(name: str, kinds: Sequence[str], build: Builder) -> None:
    """Register (or replace, on a module reload) the builder of ``name``."""
    _topics[name] = Topic(name, tuple(kinds), build)


def topic(name: str) -> Topic:
    try:
        return _topics[name]
    except KeyError:
        raise ValueError(f"unknown notification topic {name!r}") from None


def notify(topic_name: str, kind: str, object_id: int, **params) -> None:
    """Send ``kind`` about object ``object_id`` of ``topic_name`` in the background after the
    current transaction commits. ``params`` are ids and flags (JSON), never personal data."""
    if kind not in topic(topic_name).kinds:
        raise ValueError(kind)
    json.dumps(params)  # a TypeError here rather than in the queue
    after_commit(deliver.enqueue, topic_name, kind, object_id, params)


def send(topic_name: str, kind: str, object_id: int, params: dict | None = None, *, run_id: str) -> int:
    """Build and send the messages now, each at most once for ``run_id``; the number sent now."""
    messages = topic(topic_name).build(object_id, kind, dict(params or {}))
    if messages is None:
        log.warning("Nachricht %s/%s: Objekt %s existiert nicht mehr", topic_name, kind, object_id)
        return 0
    sent = 0
    for index, message in enumerate(messages):
        if not message.empty:
            sent += outbox.send_once(f"notify:{topic_name}:{run_id}:{index}", message.send)
    return sent


@task(takes_context=True)
def deliver(context, topic_name: str, kind: str, object_id: int, params: dict) -> int:
    """The background task of :func:`notify`."""
    return send(topic_name, kind, object_id, params, run_id=str(context.task_result.id))
