"""Periodic directory sync when LDAP is configured (``LDAP_SYNC_INTERVAL_MINUTES``, 0 = off)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.tasks import task

from buergerkontakt.core import scheduler

from . import sync

log = logging.getLogger(__name__)


@task
def sync_directory_task() -> int:
    """Returns the number of deactivated accounts (0 when the run was refused)."""
    try:
        return sync.sync_ldap().deactivated
    except sync.SyncRefused as exc:
        log.warning("Directory sync refused: %s", exc)
        return 0


if getattr(settings, "AUTH_LDAP_SERVER_URI", "") and settings.LDAP_SYNC_INTERVAL_MINUTES > 0:
    scheduler.register(sync_directory_task, settings.LDAP_SYNC_INTERVAL_MINUTES * 60)
