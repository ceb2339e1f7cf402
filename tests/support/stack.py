"""The three services served in-process over real gRPC on loopback, and call helpers."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc

from libs.common.auth import SYSTEM_TENANT, Role, issue_token
from libs.common.clients import metadata_for
from libs.common.settings import ServiceSettings
from services.ingest.server import serve as serve_ingest
from services.ingest.settings import IngestSettings
from services.supervisor.server import serve as serve_supervisor
from services.supervisor.settings import SupervisorSettings
from services.visits.server import serve as serve_visits
from services.visits.settings import VisitsSettings
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.ingest.v1 import ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2 as supervisor_pb
from vertice360.supervisor.v1 import supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2_grpc

AUTH_SECRET = "test-secret-" + "x" * 32


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SPECS: dict[str, tuple[Callable[..., Awaitable[None]], type[ServiceSettings], str]] = {
    "ingest": (serve_ingest, IngestSettings, "INGEST_GRPC_LISTEN"),
    "visits": (serve_visits, VisitsSettings, "VISITS_GRPC_LISTEN"),
    "supervisor": (serve_supervisor, SupervisorSettings, "SUPERVISOR_GRPC_LISTEN"),
}


@dataclass
class Stack:
    """Targets and stubs of the running services; each can be stopped and started again."""

    targets: dict[str, str]
    secret: str
    env: dict[str, Any]
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)
    serve_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    _running: dict[str, tuple[asyncio.Event, asyncio.Task[None]]] = field(default_factory=dict)

    async def start_service(self, name: str, **overrides: Any) -> None:
        """Serves `name` on its target until stop_service (settings overridable by env name; `serve` arguments
        such as a test clock come from `serve_options`)."""
        serve, settings_cls, listen_var = SPECS[name]
        settings = settings_cls(**{**self.env, listen_var: self.targets[name], "DB_POOL_MAX": 20, **overrides})
        stop = asyncio.Event()
        ready = asyncio.get_running_loop().create_future()
        options = self.serve_options.get(name, {})
        task = asyncio.create_task(serve(settings, stop=stop, ready=ready.set_result, **options))
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        self._running[name] = (stop, task)

    async def stop_service(self, name: str) -> None:
        """Stops `name` as SIGTERM would."""
        stop, task = self._running.pop(name)
        stop.set()
        await task

    @property
    def ingest(self) -> ingest_pb2_grpc.IngestServiceStub:
        return ingest_pb2_grpc.IngestServiceStub(self.channels["ingest"])

    @property
    def visits(self) -> visits_pb2_grpc.VisitsServiceStub:
        return visits_pb2_grpc.VisitsServiceStub(self.channels["visits"])

    @property
    def supervisor(self) -> supervisor_pb2_grpc.SupervisorServiceStub:
        return supervisor_pb2_grpc.SupervisorServiceStub(self.channels["supervisor"])

    def md(self, tenant: str, role: Role = Role.SERVICE, user_id: str = "") -> tuple[tuple[str, str], ...]:
        """Call metadata for a caller of `tenant` with `role`."""
        return metadata_for(issue_token(self.secret, tenant=tenant, role=role, user_id=user_id))

    def system_md(self) -> tuple[tuple[str, str], ...]:
        """Call metadata of the system caller."""
        return self.md(SYSTEM_TENANT)

    async def new_tenant(self, **settings: Any) -> str:
        """Creates a tenant with a unique slug (and any channel settings); returns the slug."""
        slug = settings.pop("slug", None) or f"t-{secrets.token_hex(5)}"
        await self.ingest.UpsertTenant(
            ingest_pb.UpsertTenantRequest(tenant=ingest_pb.Tenant(slug=slug, **{"name": slug, **settings})),
            metadata=self.system_md(),
            timeout=10,
        )
        return slug

    async def new_user(
        self, tenant: str, *, role: supervisor_pb.Role.ValueType = supervisor_pb.ROLE_AGENT, active: bool = True
    ) -> str:
        """Creates a user of `tenant` in supervisor (an agent unless `role` says otherwise); returns its id."""
        name = f"user-{secrets.token_hex(4)}"
        reply = await self.supervisor.UpsertUser(
            supervisor_pb.UpsertUserRequest(
                user=supervisor_pb.User(name=name, email=f"{name}@example.com", role=role, active=active)
            ),
            metadata=self.md(tenant),
            timeout=10,
        )
        return reply.user.id


@asynccontextmanager
async def running_stack(
    *, database_url: str, redis_url: str, serve_options: dict[str, dict[str, Any]] | None = None, **env: Any
) -> AsyncIterator[Stack]:
    """Serves ingest, visits and supervisor in this event loop until the block ends."""
    targets = {name: f"127.0.0.1:{free_port()}" for name in SPECS}
    stack = Stack(
        targets=targets,
        secret=AUTH_SECRET,
        env={
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "V360_AUTH_SECRET": AUTH_SECRET,
            **{f"{name.upper()}_TARGET": target for name, target in targets.items()},
            **env,
        },
        serve_options=serve_options or {},
    )
    try:
        for name in SPECS:
            await stack.start_service(name)
        # Each test stack keeps its own subchannels: a restarted service is reachable at once instead
        # of after the reconnect backoff gRPC shares across channels to the same target.
        stack.channels = {
            name: grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
            for name, target in targets.items()
        }
        yield stack
    finally:
        for chan in stack.channels.values():
            await chan.close()
        for name in list(stack._running):
            await stack.stop_service(name)
