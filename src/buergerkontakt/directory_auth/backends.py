"""Local passwords: Django's ModelBackend that can be switched off (``LOCAL_LOGIN_ENABLED``).

Local accounts are the break-glass way in when the directory is down; an office that does not want them
switches them off. Accounts provisioned from the directory have no usable local password anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class LocalPasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not getattr(settings, "LOCAL_LOGIN_ENABLED", True):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
