"""Forms of the staff sign-in: password step, second-factor code, recovery code, enrolment."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

CODE_DIGITS = 6


def normalize_recovery_code(value: str) -> str:
    """Recovery codes are shown as ``abcd-efgh``; accept them with or without separators."""
    return re.sub(r"[\s\-]", "", value or "").lower()


class _SignInForm(forms.Form):
    """German labels without the trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PasswordLoginForm(_SignInForm):
    """Step 1: user name and password, checked with ``authenticate()`` (and so by django-axes)."""

    username = forms.CharField(
        label=_("Benutzername"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Passwort"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("Benutzername oder Passwort ist falsch. Bitte prüfen Sie Ihre Eingabe."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        username = cleaned.get("username")
        password = cleaned.get("password")
        if username and password:
            # Inactive users are refused by ModelBackend; locked-out clients by AxesStandaloneBackend.
            self.user = authenticate(request=self.request, username=username, password=password)
            if self.user is None:
                # A directory backend may say why it refused (no role, directory unreachable).
                message = getattr(self.request, "sign_in_error", None) or self.error_messages["invalid_login"]
                raise forms.ValidationError(message, code="invalid_login")
        return cleaned


class TOTPCodeForm(_SignInForm):
    """Step 2 (and enrolment confirmation): the 6-digit code from the authenticator app."""

    code = forms.CharField(
        label=_("Sicherheitscode"),
        help_text=_("Die 6 Ziffern, die Ihre Authenticator-App gerade anzeigt."),
        min_length=CODE_DIGITS, max_length=CODE_DIGITS + 2,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
            "class": "code-input", "size": CODE_DIGITS + 2,
        }),
        error_messages={
            "required": _("Bitte geben Sie den Sicherheitscode ein."),
            "min_length": _("Der Sicherheitscode hat 6 Ziffern."),
            "max_length": _("Der Sicherheitscode hat 6 Ziffern."),
        },
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
            raise forms.ValidationError(_("Der Sicherheitscode besteht aus genau 6 Ziffern."),
                                        code="format")
        return code


class RecoveryCodeForm(_SignInForm):
    """Step 2 without the phone: one of the printed recovery codes (each works once)."""

    code = forms.CharField(
        label=_("Wiederherstellungscode"),
        help_text=_("Einer der Codes, die Sie bei der Einrichtung ausgedruckt haben, z. B. abcd-efgh."),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True,
                                      "class": "code-input"}),
        error_messages={"required": _("Bitte geben Sie einen Wiederherstellungscode ein.")},
    )

    def clean_code(self) -> str:
        code = normalize_recovery_code(self.cleaned_data["code"])
        if not code or len(code) > 16:
            raise forms.ValidationError(_("Dieser Wiederherstellungscode ist ungültig."), code="format")
        return code
