"""Signed bearer tokens carrying tenant, user and role; checked by the gateway and every service."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt

from libs.common.errors import PermissionDenied, Unauthenticated

ALGORITHM = "HS256"
ISSUER = "vertice360"
DEFAULT_TTL_SECONDS = 12 * 3600
# The tenant of internal calls that act across tenants (routing, tenant management, dead letters).
# Tenant slugs can't contain "_", so it never names a real tenant.
SYSTEM_TENANT = "_system"


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # Internal callers: the gateway's webhooks, outbox relays, the dev runner.
    SERVICE = "service"


ROLE_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3, Role.SERVICE: 4}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: tenant slug, user id (empty for services) and role."""

    tenant: str
    role: Role
    user_id: str = ""

    def require(self, role: Role) -> None:
        """Raises PermissionDenied unless this principal holds `role` or a higher one."""
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise PermissionDenied(f"role {self.role.value} may not do this; {role.value} needed")


def issue_token(
    secret: str, *, tenant: str, role: Role, user_id: str = "", ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> str:
    """Signs a bearer token for `tenant` that expires after `ttl_seconds`."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": user_id or f"{role.value}:{tenant}",
        "tenant": tenant,
        "role": role.value,
        "uid": user_id,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    """Checks signature and expiry and returns the principal; raises Unauthenticated otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
        tenant, user_id = claims["tenant"], claims["uid"]
        # str() would turn a null tenant into the tenant "None": a token must name its tenant as text.
        if not isinstance(tenant, str) or not tenant or not isinstance(user_id, str):
            raise ValueError("tenant and uid must be strings")
        return Principal(tenant=tenant, role=Role(claims["role"]), user_id=user_id)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise Unauthenticated("invalid token") from exc


def bearer(authorization: str | None) -> str:
    """Extracts the token from an `Authorization: Bearer <token>` value."""
    if not authorization:
        raise Unauthenticated("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <token>'")
    return token.strip()


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, self-describing for later checks."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored` (constant time; a missing hash still costs one scrypt)."""
    scheme, _, rest = (stored or "").partition("$")
    salt_b64, _, digest_b64 = rest.partition("$")
    try:
        salt, expected = base64.b64decode(salt_b64, validate=True), base64.b64decode(digest_b64, validate=True)
    except ValueError:
        salt, expected = b"\0" * 16, b""
    digest = hashlib.scrypt(password.encode(), salt=salt or b"\0" * 16, dklen=32, **_SCRYPT)
    return scheme == "scrypt" and bool(expected) and hmac.compare_digest(digest, expected)
