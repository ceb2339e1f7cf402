"""The one retry-or-give-up rule, and the deadline policy of calls to peers."""

import grpc
import psycopg
import pytest

from libs.common.clients import call_timeout
from libs.common.context import reset_deadline, set_deadline
from libs.common.errors import (
    Conflict,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    Refused,
    Unavailable,
    from_status,
    is_retryable,
)


@pytest.mark.parametrize(
    ("code", "kind", "retryable"),
    [
        (grpc.StatusCode.UNAVAILABLE, Unavailable, True),
        (grpc.StatusCode.DEADLINE_EXCEEDED, Unavailable, True),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, Unavailable, True),
        (grpc.StatusCode.INTERNAL, Internal, True),
        (grpc.StatusCode.UNKNOWN, Internal, True),
        (grpc.StatusCode.INVALID_ARGUMENT, InvalidArgument, False),
        (grpc.StatusCode.NOT_FOUND, NotFound, False),
        (grpc.StatusCode.ALREADY_EXISTS, Conflict, False),
        (grpc.StatusCode.FAILED_PRECONDITION, FailedPrecondition, False),
        (grpc.StatusCode.ABORTED, Refused, False),
    ],
)
def test_a_peers_status_becomes_one_domain_error_that_says_whether_to_retry(
    code: grpc.StatusCode, kind: type[Exception], retryable: bool
) -> None:
    error = from_status(code, "details", field="ticket_id")
    assert isinstance(error, kind)
    assert (error.code, error.message, error.field) == (code, "details", "ticket_id")
    assert is_retryable(error) is retryable


def test_outages_and_bugs_are_retried_but_values_the_database_refuses_are_not() -> None:
    assert is_retryable(psycopg.OperationalError("server closed the connection"))
    assert is_retryable(TimeoutError())
    assert is_retryable(KeyError("a bug a deploy may fix"))
    assert not is_retryable(psycopg.DataError("NUL in text"))


def test_a_call_never_gets_more_time_than_the_rpc_it_serves_has_left() -> None:
    assert call_timeout(5.0) == 5.0
    token = set_deadline(2.0)
    try:
        assert 1.5 < call_timeout(5.0) <= 2.0
        assert call_timeout(0.5) == 0.5
    finally:
        reset_deadline(token)
    token = set_deadline(0.0)
    try:
        with pytest.raises(Unavailable):
            call_timeout(5.0)
    finally:
        reset_deadline(token)
