"""Deploy checks: `manage.py check --deploy` fails on a production misconfiguration.

A demo or development instance generates its secrets into files in DATA_DIR (the signing key, the
incident register's keys) so that `make run` needs nothing. In production those files sit next to the
database they protect and end up in the same backup; a generated key also changes whenever DATA_DIR is
laid anew, which signs every citizen's link out and makes the register unreadable. Outside debug these
are therefore errors, as is a public address without TLS (signed links travel in it).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def production_secrets_and_address(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[checks.CheckMessage] = []
    if not settings.SECRET_KEY_FROM_ENVIRONMENT:
        errors.append(checks.Error(
            "SECRET_KEY wurde in eine Datei im Datenverzeichnis erzeugt.",
            hint="Setzen Sie SECRET_KEY aus einem Secret-Speicher (docs/configuration.md).",
            id="core.E001",
        ))
    if not (settings.INCIDENT_ENCRYPTION_KEY and settings.INCIDENT_HASH_KEY):
        errors.append(checks.Error(
            "Die Schlüssel des Vorfallregisters wurden in eine Datei erzeugt (INCIDENT_KEY_FILE).",
            hint="Setzen Sie INCIDENT_ENCRYPTION_KEY und INCIDENT_HASH_KEY aus einem Secret-Speicher.",
            id="core.E002",
        ))
    if not settings.SITE_URL.startswith("https://"):
        errors.append(checks.Error(
            f"SITE_URL ist keine https-Adresse: {settings.SITE_URL}",
            hint="Signierte Links in E-Mails und SMS brauchen TLS; setzen Sie SITE_URL=https://…",
            id="core.E003",
        ))
    return errors
