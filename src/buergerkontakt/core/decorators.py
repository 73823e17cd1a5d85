"""Access decorators for staff pages: signed in, second factor verified, a staff role held."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from .permissions import has_role, is_staff_member


def _verified(user) -> bool:
    return not settings.REQUIRE_2FA or (hasattr(user, "is_verified") and user.is_verified())


def staff_required(view=None, *, roles: tuple[str, ...] = ()):
    """Deny by default: anonymous → login; signed in without 2FA → login; no role → 403."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not _verified(user):
                if request.headers.get("HX-Request") == "true":
                    # An htmx refresh after the session ended: load the sign-in page as a whole
                    # page instead of swapping it into the calendar.
                    current = urlsplit(request.headers.get("HX-Current-URL", ""))
                    page = current.path + (f"?{current.query}" if current.query else "")
                    target = redirect_to_login(page or request.get_full_path(), settings.LOGIN_URL)
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target["Location"]
                    return response
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if roles and not has_role(user, *roles):
                raise PermissionDenied
            if not roles and not is_staff_member(user):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
