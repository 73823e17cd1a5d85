"""LDAP / Active Directory sign-in with django-auth-ldap.

The backend binds with the service account (``LDAP_BIND_DN``), searches the user, binds as the user with
the given password, reads name, e-mail, phone and department and the (nested) groups. Then
:func:`services.sign_in` applies the group mappings; without any role the sign-in is refused with a
German message. The second factor stays the local TOTP (core/auth_views.py).
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django_auth_ldap.backend import LDAPBackend, _LDAPUser, ldap_error

from . import services
from .models import DirectoryAccount

log = logging.getLogger(__name__)

UNREACHABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR)


class DirectoryLDAPBackend(LDAPBackend):
    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        # A local (break-glass) account with its own password is never taken over by a directory entry
        # of the same name; its local password keeps working.
        if not built and user.has_usable_password() and not DirectoryAccount.objects.filter(
                user=user).exists():
            log.info("Directory sign-in refused: a local account has this name (user id %s)", user.pk)
            raise _LDAPUser.AuthenticationFailed("local account of the same name")
        return user, built

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        request = getattr(ldap_user, "_request", None)
        if not user.is_active:
            services.refuse(request, services.DEACTIVATED)
            return None
        attrs = ldap_user.attrs or {}
        department = (attrs.get(getattr(settings, "AUTH_LDAP_DEPARTMENT_ATTR", "department").lower())
                      or [""])[0]
        groups = set(ldap_user.group_dns) | set(ldap_user.group_names)
        result = services.sign_in(user, kind=DirectoryAccount.Kind.LDAP, external_id=ldap_user.dn,
                                  groups=groups, department=department)
        if not result.has_role:
            log.info("Directory sign-in refused: no role mapped (user id %s)", user.pk)
            services.refuse(request, services.NO_ROLE)
            return None
        return user


def _on_ldap_error(sender, context, exception, request=None, **kwargs):
    if isinstance(exception, UNREACHABLE):
        log.warning("LDAP directory unreachable during %s (%s)", context, type(exception).__name__)
        services.refuse(request, services.DIRECTORY_DOWN)
    else:
        log.warning("LDAP error during %s (%s)", context, type(exception).__name__)


def connect_signals() -> None:
    ldap_error.connect(_on_ldap_error, sender=DirectoryLDAPBackend, dispatch_uid="bk_ldap_error")
