"""Directory sync (``manage.py sync_directory``, and periodically via the scheduler when LDAP is on).

Every active account provisioned from LDAP is looked up again with the service account: found → its
attributes and group mappings are refreshed (movers); not found any more (deleted, disabled or outside
``LDAP_USER_FILTER``) → a leaver: :func:`services.deactivate_leaver`. A directory that cannot be
reached, or an error while looking up one person, never deactivates anybody; neither does a run that
would deactivate more than ``LDAP_SYNC_MAX_LEAVERS`` people at once (a broken filter looks like
everybody left) unless forced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import ldap
from django.conf import settings
from django.utils import timezone
from django_auth_ldap.backend import ldap_error

from . import services
from .ldap_backend import DirectoryLDAPBackend
from .models import DirectoryAccount

log = logging.getLogger(__name__)


class SyncRefused(Exception):
    pass


@dataclass
class SyncReport:
    checked: int = 0
    updated: int = 0
    errors: int = 0
    leavers: list[int] = field(default_factory=list)  # user ids
    deactivated: int = 0


def check_reachable() -> None:
    """Bind with the service account once; raises SyncRefused when the directory does not answer."""
    try:
        conn = ldap.initialize(settings.AUTH_LDAP_SERVER_URI)
        for option, value in settings.AUTH_LDAP_CONNECTION_OPTIONS.items():
            conn.set_option(option, value)
        if settings.AUTH_LDAP_START_TLS:
            conn.start_tls_s()
        conn.simple_bind_s(settings.AUTH_LDAP_BIND_DN, settings.AUTH_LDAP_BIND_PASSWORD)
        conn.unbind_s()
    except ldap.LDAPError as exc:
        raise SyncRefused(f"directory not reachable ({type(exc).__name__})") from exc


def sync_ldap(*, dry_run: bool = False, force: bool = False, now=None) -> SyncReport:
    if not getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
        raise SyncRefused("LDAP is not configured (LDAP_SERVER_URI)")
    check_reachable()
    now = now or timezone.now()
    report = SyncReport()
    backend = DirectoryLDAPBackend()
    errors: list[Exception] = []

    def collect(sender, exception, **kwargs):
        errors.append(exception)

    ldap_error.connect(collect, dispatch_uid="bk_sync_collect")
    try:
        accounts = (DirectoryAccount.objects.filter(kind=DirectoryAccount.Kind.LDAP, user__is_active=True)
                    .select_related("user").order_by("pk"))
        for account in accounts:
            report.checked += 1
            errors.clear()
            user = backend.populate_user(account.user.get_username())
            if errors:
                report.errors += 1
                continue
            if user is None:
                report.leavers.append(account.user_id)
                continue
            ldap_user = user.ldap_user
            department = (ldap_user.attrs.get(settings.AUTH_LDAP_DEPARTMENT_ATTR.lower()) or [""])[0]
            if not dry_run:
                services.refresh_from_directory(
                    user, groups=set(ldap_user.group_dns) | set(ldap_user.group_names),
                    department=department, now=now)
            report.updated += 1
    finally:
        ldap_error.disconnect(dispatch_uid="bk_sync_collect")

    limit = int(getattr(settings, "LDAP_SYNC_MAX_LEAVERS", 20))
    if len(report.leavers) > limit and not (force or dry_run):
        raise SyncRefused(f"{len(report.leavers)} accounts would be deactivated (more than {limit})")
    if not dry_run:
        for account in DirectoryAccount.objects.filter(user_id__in=report.leavers).select_related("user"):
            services.deactivate_leaver(account.user, now=now)
            report.deactivated += 1
    log.info("Directory sync: %s checked, %s updated, %s leavers, %s errors", report.checked,
             report.updated, len(report.leavers), report.errors)
    return report
