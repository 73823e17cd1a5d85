"""What a citizen typed into the details form when the hold ran out, kept for the next hold.

Stored in the server-side session (never in a URL or a cookie), only the form's own fields, and
forgotten once a booking is made or the session ends.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

SESSION_KEY = "termin_angaben"


def keep(request: HttpRequest, form: forms.Form) -> bool:
    """Remember the submitted values of ``form``; True when anything was typed."""
    values = {name: request.POST.get(name, "")[:1000] for name in form.fields
              if request.POST.get(name, "").strip()}
    if not values:
        return False
    request.session[SESSION_KEY] = values
    return True


def recall(request: HttpRequest) -> dict:
    values = request.session.get(SESSION_KEY) or {}
    return values if isinstance(values, dict) else {}


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
