"""Staff sign-in: password, then a TOTP code (or a one-time recovery code); first-time enrolment.

Flow
----
1. ``login`` checks user name and password with ``authenticate()`` (django-axes watches every
   failure). The user is *not* signed in yet: the pending user id, the backend and the validated
   ``next`` URL are kept in the session for a few minutes.
2. ``login_code`` asks for the 6-digit code of a confirmed ``TOTPDevice`` (``login_recovery`` for
   a ``StaticToken`` instead). Only then ``django.contrib.auth.login()`` and ``django_otp.login()``
   run, so ``request.user.is_verified()`` is true for the whole session.
   Without a confirmed device the user goes to ``login_enrol`` first: QR code (inline SVG) and
   secret, confirmation with a code, then recovery codes shown once.

Wrong codes count against the same django-axes lockout (user name + IP) as wrong passwords, on
top of django-otp's per-device exponential back-off. With ``REQUIRE_2FA = False`` (local demo
only) step 2 is skipped. Log messages carry no user names or names.
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from functools import partial

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.middleware import is_verified as otp_is_verified
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import PasswordLoginForm, RecoveryCodeForm, TOTPCodeForm
from .qr import qr_svg as make_qr_svg

log = logging.getLogger(__name__)

# Session keys of a sign-in in progress.
PENDING_USER = "bk_login_user"
PENDING_BACKEND = "bk_login_backend"
PENDING_SINCE = "bk_login_since"
PENDING_NEXT = "bk_login_next"
NEW_RECOVERY_CODES = "bk_new_recovery_codes"
CONTINUE_URL = "bk_login_continue"
# Set by a sign-in through an identity provider: where signing out ends the provider's session too.
END_SESSION_URL = "bk_end_session_url"
# How long the second step may take after the password was accepted.
PENDING_MAX_AGE = 10 * 60

TOTP_DEVICE_NAME = "Authenticator-App"
RECOVERY_DEVICE_NAME = "Wiederherstellungscodes"


# --- helpers ----------------------------------------------------------------------------------
def _devices_backing_off(devices) -> bool:
    """True while every device is in django-otp's back-off after recent failures."""
    return bool(devices) and not any(device.verify_is_allowed()[0] for device in devices)


def _verify_on_any(user, devices, code: str):
    """The device that accepts ``code`` (a TOTP or recovery code), else None."""
    for device in devices:
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def _safe_next(request: HttpRequest, url: str | None) -> str:
    """``url`` if it points to this site, else an empty string."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return ""


def _two_factor_required() -> bool:
    return bool(getattr(settings, "REQUIRE_2FA", True))


def _is_signed_in(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    return not _two_factor_required() or (hasattr(user, "is_verified") and user.is_verified())


def _clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)


def _pending_user(request: HttpRequest):
    """The user who passed the password step in this session, or None (absent or expired)."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if user_id is None:
        return None
    if time.time() - since > PENDING_MAX_AGE:
        _clear_pending(request)
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        _clear_pending(request)
    return user


def _restart(request: HttpRequest) -> HttpResponse:
    """Back to step 1 with a hint (the sign-in in progress is missing or has expired)."""
    messages.info(request, _("Bitte melden Sie sich mit Benutzername und Passwort an."))
    return redirect("core:login")


def _credentials(user) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def _locked_out(request: HttpRequest, user) -> bool:
    return bool(settings.AXES_ENABLED) and not AxesProxyHandler.is_allowed(request, _credentials(user))


def _lockout_response(request: HttpRequest, user=None) -> HttpResponse:
    """The German lockout page (``AXES_LOCKOUT_TEMPLATE``), status 429."""
    _clear_pending(request)
    return get_lockout_response(request, None, _credentials(user) if user is not None else None)


def _record_code_failure(request: HttpRequest, user) -> bool:
    """Count a wrong code like a wrong password (django-axes); True if that locked the client out."""
    log.warning("Sign-in: wrong second-factor code")
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def _confirmed_totp_devices(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True)


def _otp_aware(user):
    """Give a freshly loaded user the attributes ``OTPMiddleware`` gives ``request.user``."""
    user.otp_device = None
    user.is_verified = partial(otp_is_verified, user)
    return user


def _finish_login(request: HttpRequest, user, device=None) -> str:
    """Sign the user in (and mark the session verified with ``device``); return where to go."""
    backend = request.session.get(PENDING_BACKEND) or settings.AUTHENTICATION_BACKENDS[-1]
    target = _safe_next(request, request.session.get(PENDING_NEXT)) or resolve_url(
        settings.LOGIN_REDIRECT_URL)
    _clear_pending(request)
    auth_login(request, _otp_aware(user), backend=backend)
    if device is not None:
        otp_login(request, device)
    log.info("Sign-in completed (user id %s, second factor: %s)", user.pk,
             type(device).__name__ if device is not None else "none")
    return target


def format_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token


@transaction.atomic
def create_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    tokens: set[str] = set()
    while len(tokens) < settings.RECOVERY_CODE_COUNT:
        tokens.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in sorted(tokens))
    return [format_recovery_code(t) for t in sorted(tokens)]


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def qr_svg(uri: str) -> str:
    """The otpauth URI as inline SVG markup."""
    return make_qr_svg(uri, title=_("QR-Code zum Einrichten der Authenticator-App"))


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


# --- views ------------------------------------------------------------------------------------
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: user name and password."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    signed_in = _is_signed_in(request)
    if signed_in and not next_url:
        return redirect(settings.LOGIN_REDIRECT_URL)
    # Signed in *and* sent here from a page: that page refused this account (no redirect loop).

    form = PasswordLoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.user
            if not _two_factor_required():
                auth_login(request, _otp_aware(user))
                log.info("Sign-in completed without second factor (REQUIRE_2FA is off)")
                return redirect(next_url or settings.LOGIN_REDIRECT_URL)
            # A fresh session key: nothing set before the password step carries over.
            if request.user.is_authenticated:
                auth_logout(request)
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_BACKEND] = user.backend
            request.session[PENDING_SINCE] = int(time.time())
            request.session[PENDING_NEXT] = next_url
            if _confirmed_totp_devices(user).exists():
                return redirect("core:login_code")
            return redirect("core:login_enrol")
        if getattr(request, "axes_locked_out", False):
            return _lockout_response(request)
    return render(request, "core/login.html", {"form": form, "next": next_url, "signed_in": signed_in})


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the current code of the authenticator app."""
    user = _pending_user(request)
    if user is None:
        return _restart(request)
    devices = list(_confirmed_totp_devices(user))
    if not devices:
        return redirect("core:login_enrol")
    if _locked_out(request, user):
        return _lockout_response(request, user)

    form = TOTPCodeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _devices_backing_off(devices):
            form.add_error("code", _("Zu viele Fehlversuche in kurzer Zeit. Bitte warten Sie einige "
                                     "Sekunden und geben Sie dann den aktuellen Code ein."))
        else:
            verified = _verify_on_any(user, devices, form.cleaned_data["code"])
            if verified is not None:
                return redirect(_finish_login(request, user, verified))
            if _record_code_failure(request, user):
                return _lockout_response(request, user)
            form.add_error("code", _("Der Sicherheitscode ist falsch oder abgelaufen. Bitte geben Sie "
                                     "den Code ein, den Ihre App jetzt anzeigt."))
    return render(request, "core/login_code.html", {"form": form})


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_recovery(request: HttpRequest) -> HttpResponse:
    """Step 2 without the phone: a recovery code, each usable once."""
    user = _pending_user(request)
    if user is None:
        return _restart(request)
    if _locked_out(request, user):
        return _lockout_response(request, user)

    form = RecoveryCodeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        devices = list(StaticDevice.objects.devices_for_user(user, confirmed=True))
        if _devices_backing_off(devices):
            form.add_error("code", _("Zu viele Fehlversuche in kurzer Zeit. Bitte warten Sie einige "
                                     "Sekunden und versuchen Sie es dann erneut."))
        else:
            verified = _verify_on_any(user, devices, form.cleaned_data["code"])
            if verified is not None:
                log.info("Sign-in with a recovery code")
                target = _finish_login(request, user, verified)
                left = remaining_recovery_codes(user)
                messages.warning(request, _(
                    "Sie haben sich mit einem Wiederherstellungscode angemeldet. Dieser Code ist "
                    "jetzt verbraucht; Ihnen bleiben %(count)s Codes.") % {"count": left})
                return redirect(target)
            if _record_code_failure(request, user):
                return _lockout_response(request, user)
            form.add_error("code", _("Dieser Wiederherstellungscode ist ungültig oder wurde bereits "
                                     "verwendet."))
    return render(request, "core/login_recovery.html", {"form": form})


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: connect an authenticator app, confirm it with a code, get recovery codes."""
    user = _pending_user(request)
    if user is None:
        return _restart(request)
    if _confirmed_totp_devices(user).exists():
        # Someone who only knows the password must not replace an existing device.
        return redirect("core:login_code")
    if _locked_out(request, user):
        return _lockout_response(request, user)

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)

    form = TOTPCodeForm(data=request.POST if request.method == "POST" else None)
    # The code field is below the QR code: no autofocus, which would scroll the explanation away.
    form.fields["code"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error("code", _("Zu viele Fehlversuche in kurzer Zeit. Bitte warten Sie einige "
                                     "Sekunden und geben Sie dann den aktuellen Code ein."))
        elif verify_token(user, device.persistent_id, form.cleaned_data["code"]) is not None:
            with transaction.atomic():
                device.refresh_from_db()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = create_recovery_codes(user)
            log.info("Authenticator app enrolled (user id %s)", user.pk)
            target = _finish_login(request, user, device)
            request.session[NEW_RECOVERY_CODES] = codes
            request.session[CONTINUE_URL] = target
            return redirect("core:recovery_codes")
        else:
            if _record_code_failure(request, user):
                return _lockout_response(request, user)
            form.add_error("code", _("Der Sicherheitscode ist falsch oder abgelaufen. Bitte geben Sie "
                                     "den Code ein, den Ihre App jetzt anzeigt."))
    return render(request, "core/login_enrol.html", {
        "form": form,
        "qr_svg": mark_safe(qr_svg(device.config_url)),  # noqa: S308 (markup generated by segno)
        "secret": _grouped_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
    })


@never_cache
@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown exactly once right after they were generated."""
    if not _is_signed_in(request):
        return redirect("core:login")
    codes = request.session.pop(NEW_RECOVERY_CODES, None)
    continue_url = _safe_next(request, request.session.pop(CONTINUE_URL, None)) or resolve_url(
        settings.LOGIN_REDIRECT_URL)
    if not codes:
        return redirect(continue_url)
    return render(request, "core/recovery_codes.html", {"codes": codes, "continue_url": continue_url})


@require_POST
@csrf_protect
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    """Replace all recovery codes (e.g. after some were used). Needs a verified session."""
    if not _is_signed_in(request):
        return redirect_to_login(reverse("core:staff_home"), settings.LOGIN_URL)
    request.session[NEW_RECOVERY_CODES] = create_recovery_codes(request.user)
    request.session[CONTINUE_URL] = reverse("core:staff_home")
    log.info("Recovery codes renewed (user id %s)", request.user.pk)
    return redirect("core:recovery_codes")


@require_POST
@csrf_protect
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, the header form posts here); after a sign-in through an identity provider
    the provider's session ends too (RP-initiated logout, it sends the browser back afterwards)."""
    end_session_url = request.session.get(END_SESSION_URL)
    auth_logout(request)
    if end_session_url:
        # A page that moves on by itself: the Content-Security-Policy (form-action 'self') would block
        # a redirect of the form post to the provider.
        return render(request, "core/logout_provider.html", {"end_session_url": end_session_url})
    messages.success(request, _("Sie haben sich abgemeldet."))
    return redirect(settings.LOGOUT_REDIRECT_URL)

