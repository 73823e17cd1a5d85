"""Sign-in with the office's identity provider (OpenID Connect): start and return.

After the provider sent the user back, the ID token is verified (oidc.py), the account provisioned and
the group mappings applied (services.py). If the provider asserted a second factor (``amr``/``acr``),
the session is verified at once; otherwise the local TOTP step of core/auth_views.py follows. Failures
count for django-axes like wrong passwords.
"""

from __future__ import annotations

import contextlib
import logging
import time

import requests
from authlib.common.errors import AuthlibBaseError
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from joserfc.errors import JoseError

from buergerkontakt.core import auth_views as core_auth

from . import conf, oidc, services
from .models import DirectoryAccount, IdentityProviderDevice

log = logging.getLogger(__name__)

NEXT = "bk_oidc_next"


def _failed(request: HttpRequest, message, status: int) -> HttpResponse:
    return render(request, "directory_auth/sign_in_failed.html", {"message": message}, status=status)


def _credentials(username: str) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: username}


@never_cache
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404
    request.session[NEXT] = core_auth._safe_next(request, request.GET.get("next"))
    callback = request.build_absolute_uri(reverse("directory_auth:oidc_callback"))
    try:
        return oidc.client().authorize_redirect(request, callback)
    except (requests.RequestException, AuthlibBaseError, RuntimeError, ValueError) as exc:
        log.warning("Identity provider unreachable at sign-in start (%s)", type(exc).__name__)
        return _failed(request, services.PROVIDER_DOWN, 503)


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404
    client = oidc.client()
    try:
        token = client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise ValueError("no verified ID token")
        if settings.OIDC_GROUPS_CLAIM not in claims:  # some providers put groups in userinfo only
            claims.update({k: v for k, v in client.userinfo(token=token).items() if k != "sub"})
    except requests.RequestException as exc:
        log.warning("Identity provider unreachable at sign-in (%s)", type(exc).__name__)
        return _failed(request, services.PROVIDER_DOWN, 503)
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        log.warning("Identity provider answer refused (%s)", type(exc).__name__)
        return _failed(request, services.PROVIDER_ANSWER_INVALID, 400)

    username = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email") or claims["sub"])
    credentials = _credentials(username)
    if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, None, credentials)

    user = services.provision_oidc_user(
        issuer=str(claims.get("iss", "")), subject=str(claims["sub"]), username=username,
        first_name=str(claims.get("given_name", "")), last_name=str(claims.get("family_name", "")),
        email=str(claims.get("email", "")), phone=str(claims.get("phone_number", "")))
    refusal = None
    if not user.is_active:
        refusal = services.DEACTIVATED
    else:
        result = services.sign_in(user, kind=DirectoryAccount.Kind.OIDC,
                                  external_id=f"{claims.get('iss', '')}|{claims['sub']}",
                                  groups=oidc.groups_of(claims),
                                  department=str(claims.get("department", "")))
        if not result.has_role:
            refusal = services.NO_ROLE
    if refusal is not None:
        log.info("Directory sign-in refused (user id %s)", user.pk)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return get_lockout_response(request, None, credentials)
        return _failed(request, refusal, 403)

    next_url = core_auth._safe_next(request, request.session.pop(NEXT, None))
    if request.user.is_authenticated:
        auth_logout(request)
    request.session.cycle_key()
    with contextlib.suppress(RuntimeError):  # RuntimeError: the provider has no end-session endpoint
        request.session[core_auth.END_SESSION_URL] = client.create_logout_url(
            post_logout_redirect_uri=request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
            id_token_hint=token.get("id_token"))["url"]

    mfa = oidc.asserts_mfa(claims)
    if mfa or not core_auth._two_factor_required():
        auth_login(request, core_auth._otp_aware(user), backend=conf.LOCAL_BACKEND)
        if mfa:
            device, _created = IdentityProviderDevice.objects.get_or_create(
                user=user, defaults={"name": _("Identitätsanbieter"), "confirmed": True})
            otp_login(request, device)
        log.info("Sign-in through the identity provider completed (user id %s, provider MFA: %s)",
                 user.pk, mfa)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    # No second factor asserted: the local TOTP step, exactly as after a password.
    request.session[core_auth.PENDING_USER] = user.pk
    request.session[core_auth.PENDING_BACKEND] = conf.LOCAL_BACKEND
    request.session[core_auth.PENDING_SINCE] = int(time.time())
    request.session[core_auth.PENDING_NEXT] = next_url
    if core_auth._confirmed_totp_devices(user).exists():
        return redirect("core:login_code")
    return redirect("core:login_enrol")
