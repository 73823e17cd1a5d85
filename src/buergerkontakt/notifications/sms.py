"""SMS through a pluggable gateway.

``SMS_BACKEND=http`` posts JSON ``{"to", "from", "text"}`` to ``SMS_HTTP_URL`` with a bearer token
(the shape most German SMS gateways accept, or a small adapter in front of them);
``SMS_BACKEND=log`` (the default, for the demo) writes the message to a file in ``SMS_FILE_PATH``
and a log line with the number masked. Personal data never reaches the log.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from django.conf import settings

from buergerkontakt.core.private_files import open_private, private_dir

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not accept the message."""


def mask(number: str) -> str:
    """``+4915112345678`` → ``+49151*****678`` (for logs and screens)."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 9) + number[-3:]


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str


class SmsGateway(Protocol):
    def send(self, message: SmsMessage) -> None: ...


class LoggingGateway:
    """Demo gateway: one file per message (like the file e-mail backend), a masked log line."""

    def send(self, message: SmsMessage) -> None:
        directory = private_dir(settings.SMS_FILE_PATH)  # 0700, files 0600 (ADR 0015)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = directory / f"{stamp}-{secrets.token_hex(4)}.txt"
        with open_private(path, "w") as stream:
            stream.write(f"To: {message.to}\nFrom: {settings.SMS_SENDER}\n\n{message.text}\n")
        log.info("SMS an %s (%d Zeichen) abgelegt", mask(message.to), len(message.text))


class HttpGateway:
    """Posts the message as JSON to an HTTP gateway."""

    def __init__(self, url: str, token: str | None = None, sender: str = "", timeout: float = 10.0) -> None:
        if not url or not url.startswith(("https://", "http://")):
            raise SmsError("SMS_HTTP_URL ist nicht gesetzt oder keine http(s)-Adresse.")
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, message: SmsMessage) -> None:
        body = json.dumps({"to": message.to, "from": self.sender, "text": message.text}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",  # noqa: S310 (checked scheme)
                                         headers={"Content-Type": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError) as exc:
            raise SmsError(f"SMS-Gateway nicht erreichbar: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise SmsError(f"SMS-Gateway antwortet mit Status {status}")
        log.info("SMS an %s übergeben (Status %s)", mask(message.to), status)


def gateway() -> SmsGateway:
    if settings.SMS_BACKEND == "http":
        return HttpGateway(settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN, settings.SMS_SENDER)
    if settings.SMS_BACKEND == "log":
        return LoggingGateway()
    raise SmsError(f"Unbekanntes SMS_BACKEND: {settings.SMS_BACKEND}")


def send_sms(to: str, text: str) -> None:
    """Send now (call it from a background task)."""
    gateway().send(SmsMessage(to=to, text=text))
