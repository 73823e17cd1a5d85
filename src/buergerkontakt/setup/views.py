"""The invitation page (issue 26, 2026-12-04): a new staff member chooses a password through the
signed link of their invitation e-mail, then signs in and enrols the authenticator app."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from buergerkontakt.core.errors import ServiceError

from . import invitations

log = logging.getLogger(__name__)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, code: str) -> HttpResponse:
    token = request.GET.get("t", "")
    try:
        user = invitations.check(code, token)
    except ServiceError as exc:
        return render(request, "error.html", {"title": _("Einladung nicht gültig"), "text": exc.message,
                                              "status": exc.status_code}, status=exc.status_code)
    form = SetPasswordForm(user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs["autocomplete"] = "new-password"
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            log.info("invitation used, password set", extra={"user_id": user.pk})
            messages.success(request, _("Ihr Passwort ist gespeichert. Bitte melden Sie sich jetzt an; "
                                        "danach richten Sie die Zwei-Faktor-Anmeldung ein."))
            return redirect("core:login")
        status = 400
    return render(request, "setup/invitation.html", {"form": form, "invited": user}, status=status)
