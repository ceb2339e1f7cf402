"""gRPC client side: one channel per target, retries for idempotent RPCs, caller tokens as metadata."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import grpc

from libs.common.auth import Principal, Role, issue_token

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
