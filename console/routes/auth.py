"""Login with email and password (supervisor's Authenticate), logout."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

import grpc
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.deps import ActingUser, ConsoleDep
from console.sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE, same_token
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

router = APIRouter(include_in_schema=False)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ROLES = {
    supervisor_pb2.ROLE_AGENT: "agent",
    supervisor_pb2.ROLE_SUPERVISOR: "supervisor",
    supervisor_pb2.ROLE_ADMIN: "admin",
}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request, app: ConsoleDep, *, error: str = "", cliente: str = "", email: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = app.templates.TemplateResponse(
        request,
        "login.html",
        {"csrf": token, "error": error, "cliente": cliente, "email": email},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=app.settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
async def login_form(request: Request, app: ConsoleDep, cliente: str = "") -> Response:
    """The login form."""
    return _login_page(request, app, cliente=cliente if SLUG.match(cliente) else "")


@router.post("/login")
async def login(
    request: Request,
    app: ConsoleDep,
    cliente: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Checks the password with supervisor; a session cookie on success, the form with a reason otherwise."""
    cliente, email = cliente.strip().lower(), email.strip()
    if not same_token(csrf, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(request, app, error="El formulario venció. Probá de nuevo.", cliente=cliente, email=email)
    if not SLUG.match(cliente) or not email or not password:
        return _login_page(
            request, app, error="Completá empresa, email y contraseña.", cliente=cliente, email=email, status=400
        )
    wait = await app.throttle.attempt(client_ip=_client_ip(request), tenant=cliente, email=email)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return _login_page(
            request,
            app,
            error=f"Demasiados intentos. Probá de nuevo en {minutes} min.",
            cliente=cliente,
            email=email,
            status=429,
        )
    try:
        reply = await app.backends.supervisor.Authenticate(
            supervisor_pb2.AuthenticateRequest(email=email, password=password), **app.backends.as_service(cliente)
        )
        tenant = await app.backends.ingest.GetTenant(ingest_pb2.GetTenantRequest(), **app.backends.as_service(cliente))
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
            raise
        await app.throttle.failed(tenant=cliente, email=email)
        return _login_page(
            request, app, error="Empresa, email o contraseña incorrectos.", cliente=cliente, email=email, status=401
        )
    session_id, _ = await app.sessions.create(
        tenant=cliente,
        user_id=reply.user.id,
        name=reply.user.name,
        email=reply.user.email,
        role=ROLES.get(reply.user.role, "agent"),
        tenant_name=tenant.tenant.name or cliente,
        timezone=tenant.tenant.timezone or "America/Argentina/Buenos_Aires",
    )
    response = RedirectResponse("/inbox", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=app.settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=app.settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, app: ConsoleDep, user: ActingUser) -> Response:
    """Ends the session."""
    await app.sessions.delete(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    if request.headers.get("hx-request") == "true":
        response.headers["HX-Redirect"] = "/login"
    return response
