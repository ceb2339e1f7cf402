"""FastAPI dependencies: the caller from the bearer token, role checks, backend stubs, call options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import Message
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.backends import Backends
from gateway.errors import HttpError
from gateway.settings import GatewaySettings
from libs.common.auth import Principal, Role, bearer, verify_token
from libs.common.clients import metadata_for

# Only documents the scheme in OpenAPI; the header itself is read and checked by libs.common.auth.
_bearer_scheme = HTTPBearer(auto_error=False, description="A token issued by libs.common.auth.issue_token.")


async def get_settings(request: Request) -> GatewaySettings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_backends(request: Request) -> Backends:
    """The service stubs opened by the lifespan."""
    return request.app.state.backends


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated HTTP caller; its own token is forwarded on every backend call."""

    principal: Principal
    token: str
    timeout: float

    def options(self) -> dict[str, Any]:
        """gRPC call options: the caller's token as `authorization` metadata and the deadline."""
        return {"metadata": metadata_for(self.token), "timeout": self.timeout}


async def current_caller(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)]
) -> Caller:
    """The caller named by `Authorization: Bearer`; 401 when it is missing, malformed, forged or expired."""
    settings: GatewaySettings = request.app.state.settings
    token = bearer(request.headers.get("authorization"))
    principal = verify_token(settings.auth_secret, token)
    return Caller(principal=principal, token=token, timeout=settings.rpc_timeout_seconds)


def require_role(role: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting callers holding `role` or a higher one (403 otherwise)."""

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        caller.principal.require(role)
        return caller

    return check


def is_json(content_type: str | None) -> bool:
    """True for `application/json` and `application/*+json`, with any parameters."""
    if not content_type:
        return False
    parsed = Message()
    parsed["content-type"] = content_type
    subtype = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


async def require_json(request: Request) -> None:
    """415 unless the request declares a JSON body."""
    if not is_json(request.headers.get("content-type")):
        raise HttpError(415, "Content-Type must be application/json")


AgentCaller = Annotated[Caller, Depends(require_role(Role.AGENT))]
AdminCaller = Annotated[Caller, Depends(require_role(Role.ADMIN))]
BackendsDep = Annotated[Backends, Depends(get_backends)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
