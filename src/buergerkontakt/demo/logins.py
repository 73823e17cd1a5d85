"""The demo logins: one password for all, a fixed TOTP key per user, and the accounts shown at start."""

from __future__ import annotations

import hashlib
from base64 import b32encode
from dataclasses import dataclass

from buergerkontakt.core.models import User

DEMO_PASSWORD = "Demo-Passwort-2026"  # noqa: S105 - printed demo login, demo data only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    scope: str
    totp_secret: str


def demo_totp_key(username: str) -> str:
    """A fixed per-user TOTP key (hex) so printed demo secrets stay valid across runs."""
    return hashlib.sha256(f"buergerkontakt-demo:{username}".encode()).hexdigest()[:40]


def totp_secret_base32(hex_key: str) -> str:
    return b32encode(bytes.fromhex(hex_key)).decode()


DEMO_ROLE_LOGINS = [
    "admin",
    "dsb",
    "zentrale1",
    "zentrale2",
    "sicherheit",
    "empfang1",
    "leitung.lsb1",
    "sb.mueller",
    "sb.weber",
    "pap.wagner",
    "bb.leitung",
    "bb.empfang",
    "bb.schalter1",
    "beratung",
]


def demo_logins() -> list[DemoLogin]:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=DEMO_ROLE_LOGINS).prefetch_related(
            "role_assignments__team", "role_assignments__location", "role_assignments__authority"
        )
    }
    result = []
    for username in DEMO_ROLE_LOGINS:
        user = users.get(username)
        if user is None:
            continue
        assignment = user.role_assignments.first()
        scope = assignment.team or assignment.location or assignment.authority or "extern"
        result.append(
            DemoLogin(
                username,
                user.get_full_name(),
                assignment.get_role_display(),
                str(scope),
                totp_secret_base32(demo_totp_key(username)),
            )
        )
    return result
