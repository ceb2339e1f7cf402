"""Test data in one place: stored webhook bodies, tokens, settings for the app under test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.settings import GatewaySettings
from gateway.tests.fakes import AUTH_SECRET, SHARED_APP_SECRET, SHARED_VERIFY_TOKEN
from libs.common.auth import Role, issue_token

FIXTURES = Path(__file__).parent / "fixtures"
# Nothing listens on port 1: Postgres and Redis readiness fail fast.
CLOSED_PORT_DB = "postgresql://postgres@127.0.0.1:1/postgres"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def fixture_bytes(provider: str, name: str) -> bytes:
    """A stored webhook body exactly as a provider would send it."""
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def fixture_json(provider: str, name: str) -> Any:
    """A stored webhook body, parsed."""
    return json.loads(fixture_bytes(provider, name))


def token(tenant: str = "acme", role: Role = Role.AGENT, *, secret: str = AUTH_SECRET, ttl: int = 600) -> str:
    """A bearer token as the auth service would issue it."""
    return issue_token(secret, tenant=tenant, role=role, user_id="" if role == Role.SERVICE else "u1", ttl_seconds=ttl)


def auth(tenant: str = "acme", role: Role = Role.AGENT) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token(tenant, role)}"}


def make_settings(target: str, **overrides: Any) -> GatewaySettings:
    """Settings pointing every service at `target`."""
    values: dict[str, Any] = {
        "auth_secret": AUTH_SECRET,
        "database_url": CLOSED_PORT_DB,
        "redis_url": CLOSED_PORT_REDIS,
        "ingest_target": target,
        "visits_target": target,
        "supervisor_target": target,
        "meta_app_secret": SHARED_APP_SECRET,
        "meta_verify_token": SHARED_VERIFY_TOKEN,
        "rpc_timeout_seconds": 5.0,
        "ready_check_timeout_seconds": 0.5,
        "tenant_cache_seconds": 30.0,
        "shutdown_grace_seconds": 0.0,
    }
    values.update(overrides)
    return GatewaySettings(**values)
