"""Encryption at rest and keyed hashes for the incident register.

* Personal identifiers (name, date of birth, case number, the criminal complaint's file number) and
  every narrative are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256, ``cryptography``) in
  :class:`EncryptedTextField` columns. Key(s) from ``INCIDENT_ENCRYPTION_KEY`` (comma-separated: the
  first encrypts, all decrypt – rotation with ``MultiFernet``).
* Lookups never decrypt: they compare keyed hashes (HMAC-SHA256 with ``INCIDENT_HASH_KEY``, a
  separate secret) of *normalised* identifiers: casefolded, umlauts and ß spelt out, accents
  removed, punctuation dropped, whitespace collapsed – "Müller-Lüdenscheidt, Jürgen" and
  "mueller ludenscheidt jurgen" are different strings but "Jürgen Müller" and "JUERGEN  MUELLER"
  hash alike.
* Without the environment variables (demo, development) both keys are generated once into
  ``INCIDENT_KEY_FILE`` (mode 0600, default ``DATA_DIR/incident_keys.json``). Production sets them
  from a secret store; losing the encryption key makes the register unreadable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from datetime import date

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "ł": "l",
        "đ": "d",
        "ı": "i",
    }
)


def _generated_keys() -> dict[str, str]:
    path = settings.INCIDENT_KEY_FILE
    if path.exists():
        return json.loads(path.read_text())
    keys = {"encryption": Fernet.generate_key().decode(), "hash": secrets.token_urlsafe(48)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


@functools.cache
def _fernet_for(raw: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in raw.split(",") if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "INCIDENT_ENCRYPTION_KEY: erwartet wird ein Fernet-Schlüssel (32 Byte, urlsafe Base64)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet_for(settings.INCIDENT_ENCRYPTION_KEY or _generated_keys()["encryption"])


def hash_key() -> bytes:
    return (settings.INCIDENT_HASH_KEY or _generated_keys()["hash"]).encode()


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Verschlüsselte Vorfalldaten lassen sich mit dem konfigurierten "
            "INCIDENT_ENCRYPTION_KEY nicht lesen."
        ) from exc


# --- normalising and keyed hashes ------------------------------------------------------------
def normalise_name(name: str) -> str:
    text = (name or "").casefold().translate(_TRANSLITERATION)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return " ".join(text.split())


def normalise_case_number(number: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (number or "").casefold())


def _hmac(kind: str, value: str) -> str:
    return hmac.new(hash_key(), f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def person_hash(name: str, birth_date: date | None) -> str:
    """Keyed hash of name + date of birth ('' when either is missing)."""
    normal = normalise_name(name)
    if not normal or birth_date is None:
        return ""
    return _hmac("person", f"{normal}|{birth_date.isoformat()}")


def name_hash(name: str) -> str:
    normal = normalise_name(name)
    return _hmac("name", normal) if normal else ""


def case_hash(case_number: str) -> str:
    normal = normalise_case_number(case_number)
    return _hmac("case", normal) if normal else ""


def reference_hash(reference: str) -> str:
    """Keyed hash of an object reference (``appointment:17``) for the log: equal references give
    equal values (reloads are logged once), but without the key nothing joins appointments."""
    return _hmac("ref", reference)[:40] if reference else ""


def short_ref(value: str) -> str:
    """A short, non-reversible label of a hash for screens (``a1b2c3d4``)."""
    return base64.b32encode(bytes.fromhex(value[:10])).decode().lower()[:8] if value else ""


# --- the model field --------------------------------------------------------------------------
class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python sees the plaintext. Not searchable by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def encrypt_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def decrypt_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None
