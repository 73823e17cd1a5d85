"""Issue 18, finding 3: the task worker is killed (SIGKILL) while a task sends a mail. The task must
not stay "running" forever: once the dead worker's lease has run out, the restarted worker runs it
again – and the citizen gets exactly one mail, also when a run that had already sent it is repeated."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from buergerkontakt.appointments import services as appointment_services
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.appointments.notifications import send_appointment_message
from tests.appointments.builders import build_office

from .harness import Stack, wait_for
from .smtp import SmtpSink

pytestmark = pytest.mark.chaos

LEASE = 3  # seconds (TASK_LEASE_SECONDS; production: 30)


@pytest.fixture
def mail_stack(tmp_path, static, transactional_db):
    with SmtpSink() as smtp, Stack(tmp_path / "stack", static_root=static, workers=1, tasks=True,
                                   EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port), EMAIL_USE_TLS="false",
                                   EMAIL_TIMEOUT="60", TASK_LEASE_SECONDS=str(LEASE)) as stack:
        yield stack, smtp


def _status(task_id) -> str:
    return DBTaskResult.objects.get(id=task_id).status


def test_mail_task_of_a_killed_worker_runs_again_and_sends_exactly_once(mail_stack):
    stack, smtp = mail_stack
    office = build_office(materialize=None)
    today = timezone.localdate()
    appointment_services.materialize_slots(office.group, office.location, today, today + timedelta(days=28))
    with httpx.Client(base_url=stack.nginx.url, timeout=20) as http:
        start = http.get("/api/appointments/availability",
                         params={"service": office.short.slug, "days": 28}).json()["earliest"]["start"]
        held = http.post("/api/appointments/hold", json={
            "services": [office.short.slug], "location": office.location.slug, "start": start}).json()
    appointment = appointment_services.confirm_booking(
        Appointment.objects.get(code=held["code"]), name="Erika Mustermann", email="erika@example.org")

    smtp.stall.set()  # the mail server keeps the worker waiting mid-send
    task_id = DatabaseBackend("default", {}).enqueue(send_appointment_message, [appointment.pk, "booked"],
                                                     {}).id
    wait_for(lambda: smtp.connections and _status(task_id) == TaskResultStatus.RUNNING, 30,
             what="worker sending")
    stack.worker.kill()
    smtp.stall.clear()
    assert _status(task_id) == TaskResultStatus.RUNNING  # left behind by the dead worker
    stack.worker.start()
    wait_for(lambda: _status(task_id) == TaskResultStatus.SUCCESSFUL, 30, interval=0.2,
             what="task re-run after the lease")
    assert [rcpts for rcpts, _ in smtp.messages] == [["erika@example.org"]]

    # A worker killed after the mail went out but before the result was stored: the run repeats,
    # the send record keeps the citizen from a second mail.
    DBTaskResult.objects.filter(id=task_id).update(status=TaskResultStatus.RUNNING,
                                                   worker_ids=["killed-after-sending"])
    wait_for(lambda: _status(task_id) == TaskResultStatus.SUCCESSFUL, 30, interval=0.2,
             what="second re-run")
    worker_ids = DBTaskResult.objects.get(id=task_id).worker_ids
    assert worker_ids[0] == "killed-after-sending" and len(worker_ids) == 2  # it really ran again
    assert len(smtp.messages) == 1
