"""The one place errors become HTTP: gRPC status -> HTTP status, and one JSON error body for every 4xx/5xx."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from libs.common.clients import error_field
from libs.common.errors import DomainError

log = logging.getLogger(__name__)

# grpc-gateway's table (runtime/errors.go HTTPStatusFromCode).
GRPC_TO_HTTP: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

# Server-side details of these may name hosts or internals; the caller gets a fixed message instead.
_OPAQUE_MESSAGES: Mapping[grpc.StatusCode, str] = {
    grpc.StatusCode.UNKNOWN: "internal error",
    grpc.StatusCode.INTERNAL: "internal error",
    grpc.StatusCode.DATA_LOSS: "internal error",
    grpc.StatusCode.UNAVAILABLE: "a backend service is unavailable, retry later",
    grpc.StatusCode.DEADLINE_EXCEEDED: "a backend service did not answer in time",
}
RETRY_AFTER_SECONDS = "1"
UNMATCHED_ROUTE = "<unmatched>"
# nginx's status for a client that hung up before the answer; such a response is never sent.
CLIENT_CLOSED = 499


class HttpError(Exception):
    """An HTTP-level refusal with no gRPC equivalent (415, 413) or raised before any RPC (401 on a webhook)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or HTTPStatus(status).name
        self.details = list(details)
        self.headers = dict(headers or {})


def http_status_for(code: grpc.StatusCode) -> int:
    """The HTTP status for a gRPC status code (500 for codes outside the table)."""
    return GRPC_TO_HTTP.get(code, 500)


def error_body(*, code: str, message: str, details: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": {"code": code, "message": message, "details": [dict(item) for item in details]}}


def error_response(
    *,
    status: int,
    message: str,
    code: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error response in the one JSON shape; `code` defaults to the HTTP reason (e.g. NOT_FOUND)."""
    return JSONResponse(
        error_body(code=code or HTTPStatus(status).name, message=message, details=details),
        status_code=status,
        headers=dict(headers or {}),
    )


def _field_details(field: str | None) -> list[dict[str, str]]:
    return [{"field": field}] if field else []


def _headers_for(status: int) -> dict[str, str]:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 503:
        return {"Retry-After": RETRY_AFTER_SECONDS}
    return {}


def rpc_error_response(exc: grpc.aio.AioRpcError) -> JSONResponse:
    """Maps a failed backend call to HTTP, naming the offending field when the service sent one."""
    code = exc.code()
    status = http_status_for(code)
    field = error_field(exc)
    message = _OPAQUE_MESSAGES.get(code) or exc.details() or code.name
    if status >= 500:
        log.warning("backend call failed: %s %s", code.name, exc.details())
    return error_response(
        status=status, code=code.name, message=message, details=_field_details(field), headers=_headers_for(status)
    )


def domain_error_response(exc: DomainError) -> JSONResponse:
    """Maps a rule or auth failure raised in the gateway itself."""
    status = http_status_for(exc.code)
    return error_response(
        status=status,
        code=exc.code.name,
        message=exc.message,
        details=_field_details(exc.field),
        headers=_headers_for(status),
    )


def _location_and_field(loc: Sequence[Any]) -> tuple[str, str]:
    where = str(loc[0]) if loc else "body"
    rest = [str(part) for part in loc[1:]]
    return where, ".".join(rest) if rest else where


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """400 for a body that is not JSON at all, otherwise 422 naming every offending field."""
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(status=400, message="malformed JSON body")
    details = []
    for error in errors:
        location, field = _location_and_field(error.get("loc", ()))
        details.append({"field": field, "location": location, "reason": str(error.get("msg", "invalid"))})
    names = ", ".join(dict.fromkeys(item["field"] for item in details))
    return error_response(status=422, message=f"invalid request: {names}", details=details)


def http_error_response(exc: HttpError) -> JSONResponse:
    """Renders a gateway-level HTTP refusal."""
    return error_response(
        status=exc.status, code=exc.code, message=exc.message, details=exc.details, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Registers the handlers so every error leaves the gateway in the same JSON shape."""

    async def on_rpc_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, grpc.aio.AioRpcError)
        return rpc_error_response(exc)

    async def on_domain_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return domain_error_response(exc)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_error_response(exc)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HttpError)
        return http_error_response(exc)

    async def on_starlette_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(status=exc.status_code, message=message, headers=exc.headers)

    async def on_client_disconnect(_: Request, exc: Exception) -> Response:
        # Nobody is left to read it; the status is for the access log and the metrics.
        return Response(status_code=CLIENT_CLOSED)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, route_template(request.scope), exc_info=exc)
        return error_response(status=500, code="INTERNAL", message="internal error")

    app.add_exception_handler(grpc.aio.AioRpcError, on_rpc_error)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HttpError, on_http_error)
    app.add_exception_handler(StarletteHTTPException, on_starlette_error)
    app.add_exception_handler(ClientDisconnect, on_client_disconnect)
    app.add_exception_handler(Exception, on_unexpected)


def route_template(scope: Mapping[str, Any]) -> str:
    """The matched route's template (`/webhooks/gupshup/{token}`), never the raw path, which may hold secrets."""
    template = getattr(scope.get("route"), "path", None)
    if template:
        return template
    # FastAPI's own routes (/docs, /openapi.json) name no route; with no path parameters the path is the template.
    if scope.get("endpoint") is not None and not scope.get("path_params"):
        return str(scope.get("path", UNMATCHED_ROUTE))
    return UNMATCHED_ROUTE
