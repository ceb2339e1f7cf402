"""The one gRPC -> HTTP mapping and the one error body."""

from __future__ import annotations

import json

import grpc
import pytest
from fastapi.exceptions import RequestValidationError

from gateway.errors import GRPC_TO_HTTP, domain_error_response, http_status_for, rpc_error_response
from gateway.errors import validation_error_response as validation_response
from libs.common.errors import InvalidArgument, Unauthenticated

EXPECTED = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}


def rpc_error(
    code: grpc.StatusCode, details: str = "boom", trailing: tuple[tuple[str, str], ...] = ()
) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details=details)


def body_of(response) -> dict:
    return json.loads(response.body)


@pytest.mark.parametrize(("code", "status"), EXPECTED.items(), ids=[code.name for code in EXPECTED])
def test_grpc_gateway_table(code: grpc.StatusCode, status: int) -> None:
    assert http_status_for(code) == status


def test_table_covers_every_status_code() -> None:
    assert set(GRPC_TO_HTTP) == set(grpc.StatusCode)


def test_rpc_error_body_names_code_message_and_field() -> None:
    response = rpc_error_response(
        rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "phone is not a number", (("x-error-field", "from_phone"),))
    )
    assert response.status_code == 400
    assert body_of(response) == {
        "error": {"code": "INVALID_ARGUMENT", "message": "phone is not a number", "details": [{"field": "from_phone"}]}
    }


def test_server_side_details_of_5xx_are_not_echoed() -> None:
    response = rpc_error_response(
        rpc_error(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses; ipv4:10.0.0.7:50051")
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "10.0.0.7" not in response.body.decode()
    assert body_of(response)["error"]["code"] == "UNAVAILABLE"


def test_unimplemented_is_501_with_the_service_message() -> None:
    response = rpc_error_response(rpc_error(grpc.StatusCode.UNIMPLEMENTED, "ListVisits is not built yet (issue #4)"))
    assert response.status_code == 501
    assert body_of(response)["error"]["message"] == "ListVisits is not built yet (issue #4)"


def test_domain_errors_use_the_same_table_and_body() -> None:
    response = domain_error_response(InvalidArgument("bad", field="text"))
    assert response.status_code == 400
    assert body_of(response)["error"] == {"code": "INVALID_ARGUMENT", "message": "bad", "details": [{"field": "text"}]}
    unauthenticated = domain_error_response(Unauthenticated("missing bearer token"))
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


def test_validation_errors_name_the_field() -> None:
    response = validation_response(
        RequestValidationError([{"type": "missing", "loc": ("body", "phone"), "msg": "Field required", "input": {}}])
    )
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "UNPROCESSABLE_ENTITY"
    assert error["details"] == [{"field": "phone", "location": "body", "reason": "Field required"}]
    assert "phone" in error["message"]


def test_undecodable_json_is_400_not_422() -> None:
    response = validation_response(
        RequestValidationError([{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error", "input": {}}])
    )
    assert response.status_code == 400
    assert body_of(response)["error"]["code"] == "BAD_REQUEST"
