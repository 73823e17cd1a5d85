"""Sign staff out after a period without activity (ASVS 3.3.2), besides the session's maximum age.

``SESSION_IDLE_TIMEOUT`` seconds (default 30 minutes; 0 = off) after the last request a person made,
the next request signs them out and leads to the sign-in page with a German notice. What counts as
activity: every page the person opens and every form they send – not the background refreshes a page
makes on its own (htmx ``GET`` requests such as the worklist's polling), which would otherwise keep an
abandoned PC signed in forever. The silent alarm is exempt: raising it from a page that has been idle
still raises it (a person in danger is never asked to sign in first).

Public visitors carry no session cookie and pass without any work; in the async stack only requests
with a session cookie pay for the session read.
"""

from __future__ import annotations

import time

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import sync_and_async_middleware
from django.utils.http import urlencode
from django.utils.translation import gettext as _

LAST_ACTIVE = "bk_last_active"
EXEMPT_URL_NAMES = ("alarms:raise",)
WRITE_EVERY_SECONDS = 60  # the session is saved at most once a minute for activity alone


# Never looked at: the health check must answer without the session (it reports a database outage
# itself), and the API authenticates per request.
UNTOUCHED_PREFIXES = ("/healthz", "/api/", "/static/")


def _exempt(request) -> bool:
    return any(request.path_info == reverse(name) for name in EXEMPT_URL_NAMES)


def _applies(request) -> bool:
    return (bool(settings.SESSION_IDLE_TIMEOUT) and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not request.path_info.startswith(UNTOUCHED_PREFIXES))


def _is_activity(request) -> bool:
    return request.method != "GET" or request.headers.get("HX-Request") != "true"


def check(request, now: float | None = None) -> HttpResponse | None:
    """Sign out and answer if the session has been idle too long; else note activity. None: go on."""
    timeout = settings.SESSION_IDLE_TIMEOUT
    if not timeout or not request.user.is_authenticated or _exempt(request):
        return None
    now = time.time() if now is None else now
    last = request.session.get(LAST_ACTIVE)
    if last is not None and now - last > timeout:
        logout(request)
        notice = _("Sie wurden nach %(minutes)s Minuten ohne Aktivität abgemeldet. Bitte melden "
                   "Sie sich erneut an.")
        messages.info(request, notice % {"minutes": timeout // 60})
        target = f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=401)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    if _is_activity(request) and (last is None or now - last >= WRITE_EVERY_SECONDS):
        request.session[LAST_ACTIVE] = now
    return None


@sync_and_async_middleware
def idle_timeout_middleware(get_response):
    """Signs out after ``SESSION_IDLE_TIMEOUT`` without activity, natively in both modes."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            if _applies(request):
                response = await sync_to_async(check)(request)
                if response is not None:
                    return response
            return await get_response(request)
    else:
        def middleware(request):
            if _applies(request):
                response = check(request)
                if response is not None:
                    return response
            return get_response(request)
    return middleware
