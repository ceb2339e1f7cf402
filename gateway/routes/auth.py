"""Login: a dashboard user's email and password for a signed, expiring bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateway.deps import BackendsDep, SettingsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.auth import LoginIn, LoginOut, LoginUser
from gateway.schemas.convert import label
from gateway.schemas.enums import Role as UserRole
from gateway.schemas.errors import error_responses
from libs.common.auth import Role, issue_token
from vertice360.supervisor.v1 import supervisor_pb2

router = APIRouter(prefix=f"{DEMO_PREFIX}/auth", tags=["auth"], dependencies=[Depends(require_json)])


@router.post(
    "/login",
    operation_id="login",
    summary="Log in with email and password",
    response_model=LoginOut,
    responses=error_responses(400, 403, 415, 422, 429, described={401: "Wrong email or password."}),
)
async def login(body: LoginIn, backends: BackendsDep, settings: SettingsDep) -> LoginOut:
    """Checks the user's password with supervisor and returns a token carrying tenant, user and role."""
    reply = await backends.supervisor.Authenticate(
        supervisor_pb2.AuthenticateRequest(email=body.email, password=body.password),
        **backends.as_service(body.cliente),
    )
    role = Role(label(supervisor_pb2.Role, reply.user.role))
    token = issue_token(
        settings.auth_secret,
        tenant=body.cliente,
        role=role,
        user_id=reply.user.id,
        ttl_seconds=settings.login_token_ttl_seconds,
    )
    return LoginOut(
        token=token,
        expires_in=settings.login_token_ttl_seconds,
        user=LoginUser(id=reply.user.id, name=reply.user.name, role=UserRole(role.value)),
    )
