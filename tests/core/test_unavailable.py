"""A database that cannot be reached is an outage, not a defect: Django's error handler answers 503
"vorübergehend nicht erreichbar" with Retry-After, rendered without the database (issue 18)."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from buergerkontakt.core.views import server_error


def _handle(path: str, exc: Exception, **headers):
    request = RequestFactory().get(path, **headers)
    try:
        raise exc
    except Exception:
        return server_error(request)


@pytest.mark.parametrize("path", ["/", "/mitarbeiter/"])
def test_database_errors_answer_503_in_german(path):
    response = _handle(path, OperationalError("connection refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "vorübergehend nicht erreichbar" in response.content.decode()


def test_api_gets_json():
    response = _handle("/api/directory/locations", OperationalError("pool timeout"))
    assert response.status_code == 503
    assert "vorübergehend nicht erreichbar" in json.loads(response.content)["detail"]


@pytest.mark.django_db
def test_other_errors_stay_500():
    response = _handle("/", RuntimeError("defect"))
    assert response.status_code == 500
    assert "Technischer Fehler" in response.content.decode()
