"""gRPC client side: one channel per target, the one retry rule and deadline policy, caller tokens as metadata.

Every service-to-service call goes through a `Peer` (the typed clients in `libs.common.peers`): the channel
retries UNAVAILABLE a few times at once (safe: every write in our contracts is keyed), each call ends by
its deadline, and a failed call raises the domain error of its status code (`libs.common.errors`), whose
`retryable` decides whether the work is tried again later (the outbox engine) or given up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import grpc

from libs.common.auth import Principal, Role, issue_token
from libs.common.context import remaining_seconds
from libs.common.errors import Unavailable, from_status

# Every write in our contracts is keyed (provider id, dedupe key, idempotency key), so a retry
# after UNAVAILABLE can't create a second row; retrying is safe for every method listed here.
_RETRY_POLICY = {
    "maxAttempts": 4,
    "initialBackoff": "0.05s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def channel(target: str, *, retry_services: Iterable[str] = ()) -> grpc.aio.Channel:
    """An insecure channel to `target` (`host:port` or `dns:///name:port`) spreading calls round robin."""
    service_config = {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{"name": [{"service": name} for name in retry_services], "retryPolicy": _RETRY_POLICY}]
        if retry_services
        else [],
    }
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(service_config)),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 60 * 1000),
        ],
    )


Request = TypeVar("Request")
Response = TypeVar("Response")
# The least a call is given when the RPC it serves is nearly out of time: it fails fast instead of not at all.
MIN_CALL_SECONDS = 0.05
ERROR_FIELD_METADATA = "x-error-field"


def call_timeout(budget: float) -> float:
    """The deadline policy: a call gets `budget` seconds, never more than the RPC being served has left."""
    remaining = remaining_seconds()
    if remaining is None:
        return budget
    if remaining < MIN_CALL_SECONDS:
        raise Unavailable("no time left for a call to another service")
    return min(budget, remaining)


def error_field(exc: grpc.aio.AioRpcError) -> str | None:
    """The request field a failed call's trailing metadata names, if any."""
    for key, value in exc.trailing_metadata() or ():
        if key == ERROR_FIELD_METADATA:
            return value if isinstance(value, str) else value.decode()
    return None


def metadata_for(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying the caller's bearer token."""
    return (("authorization", f"Bearer {token}"),)


class ServiceTokens:
    """Mints short-lived `service` tokens per tenant for internal calls, reusing each until near expiry."""

    TTL_SECONDS = 600

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[tuple[str, str, str], tuple[float, str]] = {}

    def token(self, tenant: str, *, role: Role = Role.SERVICE, user_id: str = "") -> str:
        """A valid token for `tenant`."""
        key = (tenant, role.value, user_id)
        now = time.time()
        cached = self._cache.get(key)
        if cached and cached[0] - now > 60:
            return cached[1]
        token = issue_token(self._secret, tenant=tenant, role=role, user_id=user_id, ttl_seconds=self.TTL_SECONDS)
        self._cache[key] = (now + self.TTL_SECONDS, token)
        return token

    def metadata(self, tenant: str) -> tuple[tuple[str, str], ...]:
        """Metadata for a service call on behalf of `tenant`."""
        return metadata_for(self.token(tenant))

    def metadata_as(self, principal: Principal) -> tuple[tuple[str, str], ...]:
        """Metadata for a call made on behalf of `principal` (keeps its user and role)."""
        return metadata_for(self.token(principal.tenant, role=principal.role, user_id=principal.user_id))


class Peer:
    """One channel to a peer service; every call acts for a tenant with a `service` token and has a deadline.

    Subclasses (`libs.common.peers`) expose the peer's RPCs as typed methods; a failed call raises the
    domain error of its status code, so the code that calls a peer never sees gRPC.
    """

    def __init__(self, *, target: str, service: str, tokens: ServiceTokens, timeout_seconds: float) -> None:
        self.channel = channel(target, retry_services=[service])
        self._tokens = tokens
        self._timeout = timeout_seconds

    async def close(self) -> None:
        """Closes the channel."""
        await self.channel.close()

    async def call(
        self,
        method: Callable[..., Awaitable[Response]],
        request: Any,
        *,
        tenant: str,
        within: float | None = None,
    ) -> Response:
        """Calls `method` for `tenant`, allowing it `within` seconds (the client's default when None)."""
        try:
            return await method(
                request,
                metadata=self._tokens.metadata(tenant),
                timeout=call_timeout(self._timeout if within is None else within),
            )
        except grpc.aio.AioRpcError as exc:
            raise from_status(exc.code(), exc.details() or "", field=error_field(exc)) from exc
