"""What the RPC being served carries for the code it runs: its caller (set by the auth interceptor) and its deadline."""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

from libs.common.auth import Principal
from libs.common.errors import Unauthenticated

_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)
# time.monotonic() by which the RPC being served must answer; calls it makes to peers end by then too.
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


def set_principal(principal: Principal | None) -> Token[Principal | None]:
    """Binds the caller for the current task; returns a token for reset."""
    return _principal.set(principal)


def reset_principal(token: Token[Principal | None]) -> None:
    """Restores the previous caller."""
    _principal.reset(token)


def current_principal() -> Principal:
    """The caller of the RPC being served."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("no caller bound to this request")
    return principal


def set_deadline(seconds: float) -> Token[float | None]:
    """Notes that the work of the current task must end within `seconds`; returns a token for reset."""
    return _deadline.set(time.monotonic() + seconds)


def reset_deadline(token: Token[float | None]) -> None:
    """Restores the previous deadline."""
    _deadline.reset(token)


def remaining_seconds() -> float | None:
    """Seconds left before the current task's deadline; None outside an RPC."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
