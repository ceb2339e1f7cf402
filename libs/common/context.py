"""The principal of the RPC being served, set by the auth interceptor."""

from __future__ import annotations

from contextvars import ContextVar

from libs.common.auth import Principal
from libs.common.errors import Unauthenticated

_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)


def set_principal(principal: Principal | None) -> object:
    """Binds the caller for the current task; returns a token for reset."""
    return _principal.set(principal)


def reset_principal(token: object) -> None:
    """Restores the previous caller."""
    _principal.reset(token)  # type: ignore[arg-type]


def current_principal() -> Principal:
    """The caller of the RPC being served."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("no caller bound to this request")
    return principal
