"""Invitations for new staff (issue 26, 2026-12-04): a signed link (``core/links.py``) to choose a
password; the first sign-in then enrols the authenticator app (TOTP) as every sign-in without a
confirmed device does (``core/auth_views.py``). No administrator ever hands over a password.

A link is valid for ``INVITATION_DAYS`` and only while the account is active and has no usable
password: once the password is set, the link is spent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.links import LinkScheme, Purpose
from buergerkontakt.core.models import User
from buergerkontakt.notifications import pipeline

log = logging.getLogger(__name__)

INVITATION_DAYS = 7
TOPIC = "invitation"


class InvitationInvalid(ServiceError):
    def __init__(self):
        super().__init__(_("Dieser Einladungslink ist ungültig oder wurde schon benutzt. Bitte bitten Sie "
                           "die Administration um eine neue Einladung."), 403)


class InvitationExpired(ServiceError):
    def __init__(self):
        super().__init__(_("Dieser Einladungslink ist abgelaufen. Bitte bitten Sie die Administration um "
                           "eine neue Einladung."), 410)


def _find(code: str) -> User | None:
    if not code.isdigit():
        return None
    user = User.objects.filter(pk=int(code), is_active=True).first()
    return user if user is not None and not user.has_usable_password() else None


SCHEME = LinkScheme(
    "buergerkontakt.setup.invitation",
    {"invite": Purpose(expires=lambda user: timezone.now() + timedelta(days=INVITATION_DAYS),
                       url_name="setup:invitation", find=_find)},
    code_of=lambda user: str(user.pk), invalid=InvitationInvalid, expired=InvitationExpired,
)


def url(user: User) -> str:
    return SCHEME.url(user, "invite")


def check(code: str, token: str) -> User:
    return SCHEME.check_token(code, token, "invite")


def render(user: User) -> tuple[str, str]:
    with override("de"):
        body = render_to_string("setup/mail/invitation.txt", {
            "user": user, "url": url(user), "days": INVITATION_DAYS,
            "authority": user.authority})
        return _("Ihr Zugang zu Bürgerkontakt"), body


def build(user_id: int, kind: str, params: dict) -> list[pipeline.Message]:
    """The invitation (notification pipeline builder); none once the account is inactive, has no
    e-mail address or already has a password."""
    user = User.objects.select_related("authority").filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.has_usable_password():
        log.info("invitation not sent", extra={"user_id": user_id})
        return []
    subject, body = render(user)
    return [pipeline.Message(to=[user.email], subject=subject, body=body)]


pipeline.register(TOPIC, ("invite",), build)


# Kept for one release (2026-12-04): invitations queued before the upgrade to the notification
# pipeline still go out (once per invitation, as before).
@task
def send_invitation_task(user_id: int, key: str) -> None:
    pipeline.send(TOPIC, "invite", user_id, run_id=key)


def invite(user: User) -> None:
    """Send ``user`` an invitation after the current transaction commits (none after a rollback,
    e.g. a dry run). The account keeps no usable password until the link is used."""
    if user.has_usable_password():
        raise ServiceError(_("Dieses Konto hat bereits ein Passwort; eine Einladung ist nicht nötig."))
    pipeline.notify(TOPIC, "invite", user.pk)
