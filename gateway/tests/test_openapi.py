"""The OpenAPI document is what an integrator reads first: every operation named, described, its errors declared.

Every route, existing or new, must pass these; the last test checks the declared 422 against what the server sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.tests.conftest import API, Gateway
from libs.common.auth import Role

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]+$")
ENUM_FIELDS = {"stage", "status", "direction", "role", "ticket_stage", "actor"}
MIN_DESCRIBED = 0.95
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The document the app serves at /openapi.json (no lifespan needed to build it)."""
    return create_app(GatewaySettings()).openapi()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_operation_has_a_stable_human_id_summary_and_description(spec: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId", "")
        # FastAPI's generated ids are `<function>_<path>_<method>`: underscores give them away.
        assert OPERATION_ID.match(operation_id), f"{where}: operationId {operation_id!r} is missing or generated"
        assert operation_id not in seen, f"{where}: operationId {operation_id!r} also names {seen[operation_id]}"
        seen[operation_id] = where
        summary = operation.get("summary", "")
        assert summary and summary != operation_id.title(), f"{where}: no summary of its own"
        assert operation.get("description"), f"{where}: no description"


def _fields(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            yield f"{name}.{field}", prop
    for path, method, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            yield f"{method.upper()} {path} {parameter['in']}:{parameter['name']}", parameter


def test_nearly_every_field_and_parameter_is_described(spec: dict[str, Any]) -> None:
    fields = list(_fields(spec))
    missing = [name for name, prop in fields if not prop.get("description")]
    described = 1 - len(missing) / len(fields)
    assert described >= MIN_DESCRIBED, f"{described:.1%} described; without a description: {missing}"


def _is_enum(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    kinds = [resolve(spec, option) for option in options if option.get("type") != "null"]
    return bool(kinds) and all("enum" in kind or "const" in kind for kind in kinds)


def test_stage_status_direction_and_role_are_enums(spec: dict[str, Any]) -> None:
    found = []
    for name, prop in _fields(spec):
        if name.rsplit(".", 1)[-1].rsplit(":", 1)[-1] in ENUM_FIELDS:
            found.append(name)
            assert _is_enum(spec, prop.get("schema", prop)), f"{name} is not declared as an enum"
    assert {name.rsplit(".", 1)[-1] for name in found} >= {"stage", "status", "direction", "role"}


def _declared_error(spec: dict[str, Any], response: dict[str, Any]) -> str:
    """The model of the `error` member of a declared response body ("" when there is none)."""
    schema = resolve(spec, response.get("content", {}).get("application/json", {}).get("schema", {}))
    return schema.get("properties", {}).get("error", {}).get("$ref", "").rsplit("/", 1)[-1]


def test_error_responses_are_declared_with_the_real_error_body(spec: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"], "FastAPI's default 422 body is still declared"
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                expected = "ValidationInfo" if status == "422" else "ErrorInfo"
                assert _declared_error(spec, response) == expected, f"{where} {status}: not the error body"
        needed = set()
        if operation.get("requestBody") or operation.get("parameters"):
            needed |= {"422"}
        if operation.get("requestBody"):
            needed |= {"400"}
        if path.startswith("/api/"):
            needed |= {"429"}
            if operation.get("security"):
                needed |= {"401", "403"}
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                needed |= {"404"}
        assert needed <= set(responses), f"{where}: undeclared error responses {sorted(needed - set(responses))}"


def test_every_request_body_has_an_example(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        body = operation.get("requestBody")
        if not body:
            continue
        media = body["content"]["application/json"]
        schema = resolve(spec, media["schema"])
        examples = media.get("examples") or media.get("example") or schema.get("examples")
        assert examples, f"{method.upper()} {path}: the request body has no example"


def _validator(spec: dict[str, Any], status: str, operation: dict[str, Any]) -> jsonschema.Draft202012Validator:
    declared = operation["responses"][status]["content"]["application/json"]["schema"]
    document = {**declared, "components": spec["components"]}
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs"),
    [
        ("post", f"{API}/auth/login", {"json": {"cliente": "x"}}),
        ("get", f"{API}/dashboard", {"params": {"cliente": "acme", "limit": "many"}}),
        ("post", f"{API}/supervisor/send", {"json": {"ticket_id": "not-a-uuid", "text": ""}}),
    ],
)
async def test_the_declared_422_is_what_the_server_sends(
    gateway: Gateway, spec: dict[str, Any], method: str, path: str, request_kwargs: dict[str, Any]
) -> None:
    template = path
    operation = spec["paths"][template][method]
    response = await gateway.client.request(
        method, path, headers=gateway.auth(f"t-{method}", Role.ADMIN), **request_kwargs
    )
    assert response.status_code == 422, response.text
    errors = sorted(_validator(spec, "422", operation).iter_errors(response.json()), key=str)
    assert errors == [], [error.message for error in errors]


async def test_the_declared_error_body_is_what_the_server_sends(gateway: Gateway, spec: dict[str, Any]) -> None:
    operation = spec["paths"][f"{API}/dashboard"]["get"]
    unauthenticated = await gateway.client.get(f"{API}/dashboard", params={"cliente": "acme"})
    forbidden = await gateway.client.get(
        f"{API}/dashboard", params={"cliente": "other"}, headers=gateway.auth("acme", Role.ADMIN)
    )
    for response, status in ((unauthenticated, "401"), (forbidden, "403")):
        assert response.status_code == int(status), response.text
        errors = list(_validator(spec, status, operation).iter_errors(response.json()))
        assert errors == [], [error.message for error in errors]
