"""notifications/pipeline.py: one pipeline for every topic – once-only sending per task run, ids only
in the queue, no personal data in the logs."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from buergerkontakt.callbacks import notifications as callback_notifications
from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.core.models import SentMessage
from buergerkontakt.notifications import pipeline
from tests.callbacks.builders import MONDAY_10, build_office


@pytest.fixture
def ticket(db, settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    office = build_office()
    # In the test transaction nothing commits: creating the ticket sends nothing yet.
    ticket = callbacks.create_ticket(office.org.authority, caller_name="Erika Ärger", phone="0151 23456789",
                                     email="erika@example.org", topic="Frage zum Bescheid",
                                     by=office.org.users["agent"], now=MONDAY_10)
    assert mail.outbox == []
    return ticket


def sms_texts(settings) -> list[str]:
    folder = settings.SMS_FILE_PATH
    return [p.read_text() for p in sorted(folder.glob("*.txt"))] if folder.exists() else []


def test_a_callback_message_goes_out_once_when_its_task_runs_twice(ticket, settings):
    # The same task run twice (its worker was killed after sending, the run repeats): one message.
    assert pipeline.send("callback", "created", ticket.pk, run_id="run-1") == 1
    assert pipeline.send("callback", "created", ticket.pk, run_id="run-1") == 0
    assert [m.to for m in mail.outbox] == [["erika@example.org"]] and ticket.number in mail.outbox[0].body
    texts = sms_texts(settings)
    assert len(texts) == 1 and ticket.number in texts[0] and "+4915123456789" in texts[0]
    assert SentMessage.objects.filter(key="notify:callback:run-1:0").exists()
    # Another run (another notification) sends again.
    assert pipeline.send("callback", "created", ticket.pk, run_id="run-2") == 1
    assert len(mail.outbox) == 2 and len(sms_texts(settings)) == 2


def test_notify_enqueues_after_commit_with_ids_only(ticket, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks_run:
        callback_notifications.notify(ticket, "created")
        assert mail.outbox == []
    assert len(callbacks_run) == 1 and len(mail.outbox) == 1 and len(sms_texts(settings)) == 1


def test_a_task_queued_before_the_upgrade_still_sends(ticket, settings):
    callback_notifications.send_callback_message.enqueue(ticket.pk, "created")
    assert len(mail.outbox) == 1 and len(sms_texts(settings)) == 1


def test_a_gone_object_logs_a_warning_without_personal_data(ticket, settings, caplog):
    ticket_id = ticket.pk
    Ticket.objects.filter(pk=ticket_id).delete()
    with caplog.at_level(logging.DEBUG):
        assert pipeline.send("callback", "attempt", ticket_id, {"attempt_id": None}, run_id="run-1") == 0
    assert mail.outbox == [] and sms_texts(settings) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"Nachricht callback/attempt: Objekt {ticket_id} existiert nicht mehr"]
    for personal in ("Erika", "Ärger", "erika@example.org", "151", "Bescheid"):
        assert personal not in caplog.text


def test_notify_checks_topic_kind_and_parameters(db):
    with pytest.raises(ValueError):
        pipeline.notify("callback", "no-such-kind", 1)
    with pytest.raises(ValueError):
        pipeline.notify("no-such-topic", "created", 1)
    with pytest.raises(TypeError):
        pipeline.notify("callback", "created", 1, attempt=object())


def test_every_topic_is_registered():
    assert {"appointment", "waitlist", "callback", "incident", "invitation", "privacy-request"} <= set(
        pipeline._topics)
