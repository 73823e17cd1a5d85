"""The message files of the demo set-up (mails in ``MAIL_FILE_PATH``, env ``EMAIL_FILE_PATH``; SMS in
``SMS_FILE_PATH``): retention, Art. 15 copies and Art. 17 erasure (called by the privacy app,
docs/privacy/loeschkonzept.md).

Django's file e-mail backend appends each message of one connection to one file, separated by a
line of 79 dashes; the SMS gateway writes one file per message. Erasure therefore removes single
messages from a mail file and keeps the others; a file left empty is deleted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from buergerkontakt.core.private_files import open_private

SEPARATOR = "-" * 79 + "\n"


def folders() -> list[tuple[str, Path]]:
    return [("mail", Path(settings.MAIL_FILE_PATH)), ("sms", Path(settings.SMS_FILE_PATH))]


def _files():
    for kind, folder in folders():
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    yield kind, path


def purge_files_before(before: datetime) -> int:
    """Delete every message file last written before ``before``; the number deleted."""
    limit = before.timestamp()
    deleted = 0
    for _kind, path in _files():
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()
                deleted += 1
    return deleted


def _messages(kind: str, text: str) -> list[str]:
    if kind == "sms":
        return [text]
    return [part for part in text.split(SEPARATOR) if part.strip()]


def _mentions(message: str, needles: list[str]) -> bool:
    lowered = message.casefold()
    return any(needle in lowered for needle in needles)


def _needles(values: Iterable[str]) -> list[str]:
    return [value.strip().casefold() for value in values if len(value.strip()) >= 5]


def messages_mentioning(contacts: Iterable[str]) -> list[dict]:
    """Art. 15: the stored messages to or about these e-mail addresses / phone numbers."""
    needles = _needles(contacts)
    found = []
    if not needles:
        return found
    for kind, path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        written = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat()
        found += [{"kind": kind, "written_at": written, "text": message}
                  for message in _messages(kind, text) if _mentions(message, needles)]
    return found


def erase_messages_mentioning(contacts: Iterable[str]) -> int:
    """Art. 17: remove every stored message to or about these contacts; the number removed."""
    needles = _needles(contacts)
    removed = 0
    if not needles:
        return removed
    for kind, path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        messages = _messages(kind, text)
        keep = [message for message in messages if not _mentions(message, needles)]
        if len(keep) == len(messages):
            continue
        removed += len(messages) - len(keep)
        if keep:
            stat = path.stat()
            with open_private(path, "w") as stream:
                stream.write("".join(message + SEPARATOR for message in keep))


            os.utime(path, (stat.st_atime, stat.st_mtime))
        else:
            path.unlink()
    return removed
