"""The served OpenAPI document says what the server checks (backend/common/openapi_exact):
msgspec's own schemas for our types, bearer security, problem documents for every error
status, valid examples, and a document that passes the OpenAPI 3.1 validator."""

from __future__ import annotations

from typing import Any

import jsonschema
import msgspec
import pytest
from openapi_spec_validator import validate

from backend.common.openapi_exact import EXAMPLES
from tests.integration.test_problems import PUBLIC_PREFIXES, PUBLIC_ROUTES

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def doc(client: Any) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)


def test_request_bodies_refuse_unknown_fields_and_carry_nested_bounds(
    doc: dict[str, Any],
) -> None:
    schemas = doc["components"]["schemas"]
    bodies = [name for name in schemas if name.endswith("In") and "properties" in schemas[name]]
    assert "EventCreateIn" in bodies
    for name in bodies:
        assert schemas[name].get("additionalProperties") is False, name
    media_id = schemas["EventCreateIn"]["properties"]["media_ids"]["items"]
    assert media_id["maxLength"] == 64 and "pattern" in media_id
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"username": "a", "password": "b", "x": 1}, _schema(doc, "LoginIn"))


def test_examples_are_valid_instances_of_their_types(doc: dict[str, Any]) -> None:
    import backend.common.openapi_exact as exact

    types = exact._struct_types()
    for name, example in EXAMPLES.items():
        assert doc["components"]["schemas"][name]["examples"] == [example]
        jsonschema.validate(example, _schema(doc, name))
        msgspec.convert(example, types[name])  # and the server decodes it


def test_security_is_declared_on_every_protected_operation(doc: dict[str, Any]) -> None:
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for method, path, op in _operations(doc):
        public = any(
            m == method and p.split("{")[0] == path.split("{")[0] for m, p in PUBLIC_ROUTES
        ) or path.startswith(PUBLIC_PREFIXES)
        if public:
            assert op["security"] == [], (method, path)  # (login still answers 401)
        else:
            assert op["security"] == [{"bearer": []}], (method, path)
            assert "401" in op["responses"], (method, path)


def test_every_error_status_is_a_problem_document_and_503_says_when(
    doc: dict[str, Any],
) -> None:
    for method, path, op in _operations(doc):
        assert "503" in op["responses"], (method, path)
        assert "Retry-After" in op["responses"]["503"]["headers"]
        for status, response in op["responses"].items():
            # GeoReport v2 has its own error shape; the header limit answers before routing.
            if int(status) >= 400 and (not path.startswith("/open311/") or status == "431"):
                content = response["content"]["application/problem+json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Problem"}, (method, path)
        if op.get("requestBody") or op.get("parameters"):
            assert "400" in op["responses"], (method, path)
        if "{" in path:
            assert "404" in op["responses"], (method, path)
    events = doc["paths"]["/api/v1/events/{event_id}/actions"]["post"]["responses"]
    assert {"403", "404", "409", "422"} <= set(events)


def test_bounds_checked_by_hand_are_in_the_document(doc: dict[str, Any]) -> None:
    """Found by schemathesis (positive_data_acceptance): checked, but not documented."""
    body = doc["paths"]["/api/v1/duty/rosters"]["put"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    assert (schema["minItems"], schema["maxItems"]) == (1, 1000)
    params = doc["paths"]["/api/v1/stats/assessment"]["get"]["parameters"]
    month = next(p for p in params if p["name"] == "month")
    assert "pattern" in month["schema"] or any("pattern" in s for s in month["schema"]["oneOf"])
