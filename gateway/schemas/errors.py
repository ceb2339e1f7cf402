"""The one error body, as OpenAPI declares it, and the error responses each operation lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """One thing the error is about: the field at fault, or the readiness check that failed."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(
        None, description="The request field at fault, dotted for nested ones (`meta.app_secret`)."
    )
    location: str | None = Field(None, description="Where the field is: `body`, `query`, `path` or `header`.")
    reason: str | None = Field(None, description="Why the value was refused, or why a readiness check failed.")
    check: str | None = Field(None, description="The readiness check that failed (`postgres`, `redis`, a service).")


class ErrorInfo(BaseModel):
    """What went wrong."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        description="The gRPC status name when a service answered (`INVALID_ARGUMENT`, `NOT_FOUND`, "
        "`ALREADY_EXISTS`, ...), else the HTTP reason (`UNSUPPORTED_MEDIA_TYPE`, `TOO_MANY_REQUESTS`, ...).",
        examples=["ALREADY_EXISTS"],
    )
    message: str = Field(description="A sentence for people; never a server internal.", examples=["email is taken"])
    details: list[ErrorDetail] = Field(description="The fields (or checks) the error is about; may be empty.")


class ErrorOut(BaseModel):
    """The body of every 4xx and 5xx answer."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo = Field(description="The error's code, message and details.")


class NotReadyOut(ErrorOut):
    """The body of a 503 from `/readyz`: the error, and every check's outcome."""

    checks: dict[str, str] = Field(description="Each check (`postgres`, `redis`, `ingest`, ...): `ok` or what failed.")


class InvalidField(BaseModel):
    """One field the request validation refused."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="The field at fault, dotted for nested ones; the location itself for a whole part.")
    location: str = Field(description="Where the field is: `body`, `query`, `path` or `header`.")
    reason: str = Field(description="Why the value was refused.")


class ValidationInfo(BaseModel):
    """Which fields the request validation refused."""

    model_config = ConfigDict(extra="forbid")

    code: Literal["UNPROCESSABLE_ENTITY"] = Field(description="Always `UNPROCESSABLE_ENTITY`.")
    message: str = Field(
        description="`invalid request: ` and the fields at fault.", examples=["invalid request: email"]
    )
    details: list[InvalidField] = Field(min_length=1, description="Every field at fault, one entry each.")


class ValidationErrorOut(BaseModel):
    """The body of a 422: the request's shape is wrong (missing field, wrong type, out of range)."""

    model_config = ConfigDict(extra="forbid")

    error: ValidationInfo = Field(description="Which fields are at fault.")


DESCRIPTIONS: Mapping[int, str] = {
    400: "A value is not acceptable (the field is named in `details`), or the body is not JSON.",
    401: "No bearer token, or it is forged, expired or revoked.",
    403: "The caller's role or tenant may not do this.",
    404: "No such row in the caller's tenant.",
    409: "A conflict: the value is taken (the field is named), or the row moved on.",
    413: "The body is larger than `MAX_BODY_BYTES`.",
    415: "The body is not declared `application/json`.",
    422: "The request's shape is wrong: every field at fault is listed.",
    429: "Too many requests: wait for `Retry-After` seconds.",
    503: "A backend service is down; retry after `Retry-After` seconds.",
}


def error_responses(*statuses: int, described: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of these error statuses with the real error body; `described` words some anew."""
    texts = {**DESCRIPTIONS, **(described or {})}
    return {
        status: {"model": ValidationErrorOut if status == 422 else ErrorOut, "description": texts[status]}
        for status in sorted({*statuses, *(described or {})})
    }
