"""Pushes of the silent alarm, always after commit, through the per-process relay (``relay.py``).

Each push is one channel-layer message to every server process, with each distinct event encoded
once (an alarm to a thousand people carries one text per recipient role and the list of user ids).
Circle 1 (neighbours, security) is its own push, sent before the rest of the building is stored.
"""

from __future__ import annotations

import json
import logging

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils.translation import override

from buergerkontakt.core.commit import after_commit, after_commit_collected

from . import relay

log = logging.getLogger(__name__)


def _text(event: dict) -> str:
    return json.dumps(event)  # as ``send_json`` encodes it


def _push(batches: list[dict]) -> None:
    try:
        async_to_sync(relay.publish)(batches)
    except Exception:  # the alarm is stored; clients see it when they reconnect
        log.warning("alarm push failed", exc_info=True)


def _console(alarm_id: int, location_id: int) -> dict:
    return relay.batch(_text({"event": "console", "alarm": alarm_id}), security=[location_id])


def _texts(payload: dict, role: str) -> dict:
    """The banner's words in every language of the platform: each recipient's page shows its own."""
    from .models import Level
    from .queries import instruction

    texts = {}
    for code, _name in settings.LANGUAGES:
        with override(code):
            texts[code] = {"level_label": str(Level(payload["level"]).label),
                           "instruction": instruction(payload["level"], role, payload["room"])}
    return texts


def alarm_batches(payload: dict, chosen) -> list[dict]:
    """The ``alarm`` event once per recipient role (the instruction depends on it), nearest circle
    first, in the platform's language and with the banner's words in every language (``texts``)."""
    from .queries import instruction

    by_role: dict[str, list[int]] = {}
    for r in sorted(chosen, key=lambda r: (r.circle, r.user_id)):
        by_role.setdefault(r.role, []).append(r.user_id)
    with override(settings.LANGUAGE_CODE):
        return [
            relay.batch(
                _text(
                    {
                        "event": "alarm",
                        "alarm": payload,
                        "role": role,
                        "instruction": instruction(payload["level"], role, payload["room"]),
                        "texts": _texts(payload, role),
                    }
                ),
                users=users,
            )
            for role, users in by_role.items()
        ]


def fan_out(alarm_id: int, chosen, *, console: bool = True) -> None:
    """Send the alarm to its (new) recipients and tell the consoles."""

    def push() -> None:
        from .queries import alarm_payload

        payload = alarm_payload(alarm_id)
        batches = alarm_batches(payload, chosen)
        if console:
            batches.append(_console(alarm_id, payload["location_id"]))
        _push(batches)

    after_commit(push)


def _status_batches(alarm_ids) -> list[dict]:
    """The trigger's view of each alarm (delivered, seen, answered), read from the database."""
    from .models import Alarm
    from .queries import responders, trigger_status

    batches = []
    for alarm_id, trigger, location_id in Alarm.objects.filter(pk__in=list(alarm_ids)).values_list(
        "pk", "raised_by_id", "location_id"
    ):
        status = trigger_status(alarm_id)
        batches.append(relay.batch(_text({"event": "status", "alarm": alarm_id, "status": status,
                                          "responders": responders(alarm_id)}), users=[trigger]))
        batches.append(_console(alarm_id, location_id))
    return batches


def status_changed(alarm_ids) -> None:
    """Receipts, sightings or answers changed: tell the triggers (after commit)."""
    after_commit_collected(_push_status, alarm_ids)  # several changes in one transaction: one push


def _push_status(alarm_ids: set[int]) -> None:
    _push(_status_batches(sorted(alarm_ids)))


def responses_changed(alarm) -> None:
    """An answer: the trigger's list of who is coming, and the full status."""
    alarm_id, trigger = alarm.pk, alarm.raised_by_id

    def push() -> None:
        from .queries import responders

        event = {"event": "responses", "alarm": alarm_id, "responders": responders(alarm_id)}
        _push([relay.batch(_text(event), users=[trigger]), *_status_batches([alarm_id])])

    after_commit(push)


def ended(alarm) -> None:
    alarm_id, status, location_id = alarm.pk, alarm.status, alarm.location_id

    def push() -> None:
        from .models import Delivery

        users = {
            alarm.raised_by_id,
            *Delivery.objects.filter(alarm_id=alarm_id).values_list("user_id", flat=True),
        }
        event = {"event": "ended", "alarm": alarm_id, "status": status}
        _push([relay.batch(_text(event), users=sorted(users)), _console(alarm_id, location_id)])

    after_commit(push)


def nobody_reached(alarm) -> None:
    alarm_id, trigger = alarm.pk, alarm.raised_by_id
    event = {"event": "nobody", "alarm": alarm_id}
    after_commit(lambda: _push([relay.batch(_text(event), users=[trigger])]))
