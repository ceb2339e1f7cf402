"""Domain errors raised by service rules; mapped to gRPC status codes in one interceptor and back in one client.

`retryable` is the one rule for "try again later or give up": the peer clients raise these errors for a
peer's status code (`from_status`), and the outbox engine retries exactly the failures `is_retryable` says.
"""

from __future__ import annotations

import grpc
import psycopg
import psycopg_pool


class DomainError(Exception):
    """A rule said no; `code` is the gRPC status it maps to, `retryable` whether asking again later may work."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    retryable: bool = False

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
    """The peer (or the database) is down, overloaded or too slow right now."""

    code = grpc.StatusCode.UNAVAILABLE
    retryable = True


class Internal(DomainError):
    """The peer failed in a way it did not explain; a fixed deploy may take the same request later."""

    code = grpc.StatusCode.INTERNAL
    retryable = True


# A peer's status code -> the domain error its client raises. Codes not listed are Internal (retryable).
_BY_CODE: dict[grpc.StatusCode, type[DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: Conflict,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Refused,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNIMPLEMENTED: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: Unavailable,
    grpc.StatusCode.CANCELLED: Unavailable,
}


def from_status(code: grpc.StatusCode, message: str, *, field: str | None = None) -> DomainError:
    """The domain error a peer's answer stands for (the inverse of `status_for`)."""
    error = _BY_CODE.get(code, Internal)(message or code.name, field=field)
    error.code = code
    return error


def is_retryable(exc: BaseException) -> bool:
    """Whether work that failed with `exc` may succeed later: the one retry-or-give-up rule.

    Domain errors say so themselves; database outages and timeouts pass; anything else is a bug that a
    deploy may fix, so it is retried too (bounded by the work's attempts) rather than dropped.
    """
    if isinstance(exc, DomainError):
        return exc.retryable
    return not isinstance(exc, psycopg.DataError)


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
