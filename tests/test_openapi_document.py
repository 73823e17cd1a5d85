"""The API's OpenAPI 3 document validates (openapi-spec-validator), documents every operation in
German with English descriptions where given, and names its error responses."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)  # raises on any violation of the OpenAPI 3 schema


def test_every_operation_is_described(document):
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        and not (operation.get("summary") or operation.get("description"))
    ]
    assert not undocumented, undocumented


def test_every_write_operation_declares_its_errors(document):
    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"post", "put", "patch", "delete"}
        and not any(code.startswith("4") for code in operation.get("responses", {}))
    ]
    assert not missing, missing
