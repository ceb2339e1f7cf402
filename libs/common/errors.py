"""Domain errors raised by service rules; mapped to gRPC status codes in one interceptor."""

from __future__ import annotations

import grpc
import psycopg
import psycopg_pool


class DomainError(Exception):
    """A rule said no; `code` is the gRPC status it maps to."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class Conflict(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Refused(DomainError):
    """The request is valid but the current state forbids it and the caller must change course
    (e.g. the 24 h WhatsApp window closed: send a template). HTTP 409 by grpc-gateway's table."""

    code = grpc.StatusCode.ABORTED


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str, str | None] | None:
    """The status a failure answers with: (code, message, field); None when it is a programming error."""
    if isinstance(exc, DomainError):
        return exc.code, exc.message, exc.field
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded", None
    if isinstance(exc, psycopg.DataError):
        # Values the database can't hold (a NUL character, an out-of-range number) are the
        # caller's to fix, not an outage: never INTERNAL, so a provider doesn't retry for days.
        return grpc.StatusCode.INVALID_ARGUMENT, f"invalid value: {type(exc).__name__}", None
    if isinstance(exc, psycopg.OperationalError | psycopg_pool.PoolTimeout):
        return grpc.StatusCode.UNAVAILABLE, "database unavailable, retry", None
    return None
