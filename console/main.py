"""The console app: lifespan (channels, Redis, the live feed), security headers, error pages, routes, assets."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.backends import Backends
from console.deps import BadCsrf, Console, Forbidden, NotSignedIn
from console.errors import explain
from console.feed import FeedHub
from console.metrics import LatencyMiddleware
from console.routes import admin, auth, health, inbox, live, tickets
from console.sessions import LoginThrottle, SessionStore
from console.settings import ConsoleSettings
from console.team import Team
from libs.common.telemetry import configure_telemetry, instrument_app

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
# Scripts and styles come from this origin only; no inline script, no eval (htmx's is turned off in base.html).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
ASSETS = {"htmx": ("htmx.org", "dist"), "htmx-ext-sse": ("htmx-ext-sse", "")}


class SecurityHeaders:
    """Adds the CSP and friends to every response, and keeps pages out of shared caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def assets_dir(settings: ConsoleSettings) -> Path:
    """Where `npm ci` put htmx and its SSE extension; fails fast when they are missing."""
    folder = Path(settings.assets_dir) if settings.assets_dir else HERE / "node_modules"
    missing = [name for name, (package, sub) in ASSETS.items() if not (folder / package / sub).is_dir()]
    if missing:
        raise RuntimeError(f"console assets missing in {folder} ({', '.join(missing)}): run `make console-assets`")
    return folder


def templates() -> Jinja2Templates:
    """The page and fragment templates; autoescaping on for every .html file."""
    env = Jinja2Templates(directory=str(HERE / "templates"))
    env.env.autoescape = True
    env.env.trim_blocks = True
    env.env.lstrip_blocks = True
    return env


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def install_error_pages(app: FastAPI) -> None:
    """Failures as pages (full loads) or as a message in the page's flash area (htmx requests)."""
    pages: Jinja2Templates = app.state.templates

    def failure(request: Request, status: int, message: str) -> Response:
        if _is_htmx(request):
            response = pages.TemplateResponse(request, "_flash.html", {"message": message, "kind": "error"})
            response.status_code = status
            response.headers["HX-Retarget"] = "#flash"
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        return pages.TemplateResponse(request, "error.html", {"message": message, "status": status}, status_code=status)

    async def not_signed_in(request: Request, _: Exception) -> Response:
        if _is_htmx(request) or request.url.path == "/feed":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    async def forbidden(request: Request, _: Exception) -> Response:
        return failure(request, 403, "Tu rol no permite ver ni hacer esto.")

    async def bad_csrf(request: Request, _: Exception) -> Response:
        return failure(request, 403, "La sesión del formulario venció. Recargá la página y probá de nuevo.")

    async def rpc_failed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, grpc.aio.AioRpcError)
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            return await not_signed_in(request, exc)
        status, message = explain(exc)
        return failure(request, status, message)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return failure(request, 500, "Algo falló de nuestro lado. Probá de nuevo.")

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(BadCsrf, bad_csrf)
    app.add_exception_handler(grpc.aio.AioRpcError, rpc_failed)
    app.add_exception_handler(Exception, unexpected)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    """Builds the console; connections open when the app starts and close when it stops."""
    settings = settings or ConsoleSettings()
    configure_telemetry("console", settings)
    vendor = assets_dir(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = Backends.connect(settings)
        redis = Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=settings.ready_check_timeout_seconds,
            socket_timeout=settings.rpc_timeout_seconds,
        )
        hub = FeedHub(
            backends=backends, replay_size=settings.feed_replay_size, linger_seconds=settings.feed_linger_seconds
        )
        app.state.console = Console(
            settings=settings,
            backends=backends,
            sessions=SessionStore(redis, ttl_seconds=settings.session_ttl_seconds),
            throttle=LoginThrottle(
                redis,
                per_ip=settings.login_attempts_per_ip,
                failures_per_user=settings.login_failures_per_user,
                window_seconds=settings.login_window_seconds,
            ),
            team=Team(backends, fresh_seconds=settings.user_check_seconds),
            hub=hub,
            templates=app.state.templates,
        )
        app.state.redis = redis
        gc.freeze()
        try:
            yield
        finally:
            await hub.close()
            await backends.close(grace=settings.shutdown_grace_seconds)
            await redis.aclose()

    app = FastAPI(title="Vertice360 console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.templates = templates()
    install_error_pages(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LatencyMiddleware)
    for module in (live, health, auth, inbox, tickets, admin):
        app.include_router(module.router)
    app.mount("/static/vendor/htmx", StaticFiles(directory=vendor / "htmx.org" / "dist"), name="vendor-htmx")
    app.mount("/static/vendor/htmx-ext-sse", StaticFiles(directory=vendor / "htmx-ext-sse"), name="vendor-sse")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def home() -> Response:
        return RedirectResponse("/inbox", status_code=303)

    instrument_app(app, excluded_urls="/healthz,/readyz,/metrics,/feed,/static")
    return app
