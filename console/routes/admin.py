"""Admin pages of a client company: users, message templates, lost reasons, dead letters."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.deps import AdminActing, AdminUser, User
from console.routes.inbox import page_context
from console.views import ROLE_LABEL, local, stamp
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

router = APIRouter(prefix="/admin", include_in_schema=False)
SECTIONS = (
    ("/admin/users", "Usuarios"),
    ("/admin/templates", "Plantillas"),
    ("/admin/lost-reasons", "Motivos de pérdida"),
    ("/admin/dead-letters", "Mensajes sin procesar"),
)
ROLE_ENUM = {
    "agent": supervisor_pb2.ROLE_AGENT,
    "supervisor": supervisor_pb2.ROLE_SUPERVISOR,
    "admin": supervisor_pb2.ROLE_ADMIN,
}


def _page(request: Request, user: User, template: str, **values: Any) -> Response:
    context = page_context(request, user, sections=SECTIONS, **values)
    return user.console.templates.TemplateResponse(request, template, context)


def _back(path: str, notice: str) -> Response:
    return RedirectResponse(f"{path}?ok={notice}", status_code=303)


NOTICES = {
    "saved": "Cambios guardados.",
    "activated": "Usuario activado.",
    "deactivated": "Usuario desactivado: sus sesiones terminan en segundos.",
}


@router.get("/users")
async def users(request: Request, user: AdminUser, ok: str = "") -> Response:
    """The team, active and not."""
    reply = await user.console.backends.supervisor.ListUsers(
        supervisor_pb2.ListUsersRequest(include_inactive=True), **user.options()
    )
    rows = [
        {
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "role": ROLE_LABEL.get({1: "agent", 2: "supervisor", 3: "admin"}.get(u.role, ""), ""),
            "role_code": {1: "agent", 2: "supervisor", 3: "admin"}.get(u.role, "agent"),
            "active": u.active,
            "me": u.id == user.session.user_id,
        }
        for u in reply.users
    ]
    return _page(request, user, "admin/users.html", users=rows, notice=NOTICES.get(ok, ""))


@router.post("/users/active")
async def set_active(
    user: AdminActing,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=16)],
    active: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Activates or deactivates a user (their open sessions end within the user-check interval)."""
    await user.console.backends.supervisor.UpsertUser(
        supervisor_pb2.UpsertUserRequest(
            user=supervisor_pb2.User(
                name=name, email=email, role=ROLE_ENUM.get(role, supervisor_pb2.ROLE_AGENT), active=active == "1"
            )
        ),
        **user.options(),
    )
    user.console.team.forget(user.tenant)
    return _back("/admin/users", "activated" if active == "1" else "deactivated")


@router.get("/templates")
async def templates(request: Request, user: AdminUser, ok: str = "") -> Response:
    """The tenant's WhatsApp templates, with a form to record one."""
    reply = await user.console.backends.supervisor.ListTemplates(
        supervisor_pb2.ListTemplatesRequest(include_inactive=True), **user.options()
    )
    return _page(request, user, "admin/templates.html", templates=list(reply.templates), notice=NOTICES.get(ok, ""))


@router.post("/templates")
async def save_template(
    user: AdminActing,
    name: Annotated[str, Form(max_length=512)],
    body: Annotated[str, Form(max_length=4096)],
    title: Annotated[str, Form(max_length=120)] = "",
    language: Annotated[str, Form(max_length=8)] = "es_AR",
    active: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Records (or updates) a template."""
    await user.console.backends.supervisor.UpsertTemplate(
        supervisor_pb2.UpsertTemplateRequest(
            template=supervisor_pb2.MessageTemplate(
                name=name.strip(), language=language.strip(), title=title, body=body, active=active == "1"
            )
        ),
        **user.options(),
    )
    return _back("/admin/templates", "saved")


@router.post("/lost-reasons")
async def save_lost_reasons(user: AdminActing, text: Annotated[str, Form(max_length=8000)]) -> Response:
    """Replaces the list: one `code | label` per line."""
    reasons = []
    for line in text.splitlines():
        code, _, label = line.partition("|")
        if code.strip():
            reasons.append(ingest_pb2.LostReason(code=code.strip().lower(), label=label.strip() or code.strip()))
    await user.console.backends.ingest.SetLostReasons(
        ingest_pb2.SetLostReasonsRequest(reasons=reasons), **user.options()
    )
    return _back("/admin/lost-reasons", "saved")


@router.get("/lost-reasons")
async def lost_reasons(request: Request, user: AdminUser, ok: str = "") -> Response:
    """The reasons a ticket can be lost for, one per line."""
    reply = await user.console.backends.ingest.ListLostReasons(ingest_pb2.ListLostReasonsRequest(), **user.options())
    text = "\n".join(f"{r.code} | {r.label}" for r in reply.reasons)
    return _page(
        request, user, "admin/lost_reasons.html", reasons=list(reply.reasons), text=text, notice=NOTICES.get(ok, "")
    )


@router.get("/dead-letters")
async def dead_letters(
    request: Request, user: AdminUser, cursor: Annotated[str, Query(max_length=512)] = ""
) -> Response:
    """Webhook payloads that could not be stored, newest first."""
    reply, viewer = await asyncio.gather(
        user.console.backends.ingest.ListDeadLetters(
            ingest_pb2.ListDeadLettersRequest(page_size=50, page_token=cursor), **user.options()
        ),
        user.viewer(),
    )
    rows = [
        {
            "source": d.source,
            "reason": d.reason,
            "payload": _pretty(d.payload),
            "received": local(stamp(d.received_at), viewer.tz),
        }
        for d in reply.dead_letters
    ]
    return _page(request, user, "admin/dead_letters.html", rows=rows, next_cursor=reply.next_page_token)


def _pretty(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)[:4000]
    except ValueError:
        return payload[:4000]
