"""A request a service cannot carry out, with a German message for the person at the screen and
the HTTP status the page or API answers with."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
