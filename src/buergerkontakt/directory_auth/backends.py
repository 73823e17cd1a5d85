"""Local passwords can be switched off (``LOCAL_LOGIN_ENABLED``).

Local accounts are the break-glass way in when the directory is down; an office that does not want
them switches them off. This backend sits right before Django's ModelBackend: switched off, it ends
the password check there (``PermissionDenied`` stops ``authenticate()``; django-axes counts it as a
failure). Accounts provisioned from the directory have no usable local password anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied


class LocalLoginSwitch:
    """Only ``authenticate``: no ``get_user``, so sessions and ``force_login`` never pick this backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not getattr(settings, "LOCAL_LOGIN_ENABLED", True):
            raise PermissionDenied
        return None
