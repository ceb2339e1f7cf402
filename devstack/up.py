"""`v360 up`: Postgres and Redis (embedded unless given), migrations, services, gateway, console, demo seed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack import embedded
from devstack.options import SERVICES
from devstack.ports import free_ports, port_is_free
from devstack.processes import NAME_WIDTH, Child, ProcessGroup, child_env
from devstack.seed import DEMO_SLUG, DEMO_USERS, SeedError, seed_demo
from devstack.settings import DevSettings
from devstack.stackfile import STACK_FILE, load_or_create_secret, pid_alive, read_stack, write_json_private
from libs.common.auth import DEFAULT_TTL_SECONDS, Role, issue_token
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

T = TypeVar("T")

FULL_SERVICE_NAMES = {
    "ingest": ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
    "visits": visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name,
    "supervisor": supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name,
}
BOOTSTRAP_PATH = "/api/demo/vertice360-orquestador/bootstrap"
MIGRATION_SECONDS = 120.0
EXTERNAL_WAIT_SECONDS = 15.0
EMBEDDED_WAIT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class UpOptions:
    """What `v360 up` was asked for."""

    data_dir: Path
    host: str
    port: int
    replicas: Mapping[str, int]
    seed: bool = True
    # The web console's port; 0 runs no console.
    console_port: int = 8090
    # Our own Postgres and Redis even when DATABASE_URL / REDIS_URL are set (a run that stops and restarts them).
    embedded_only: bool = False
    # More environment for every child; the stack's own wiring (URLs, targets, secret, ports) wins over it.
    extra_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Replica:
    """One process of a gRPC service and the port it listens on."""

    service: str
    name: str
    port: int


class StartupError(Exception):
    """The stack could not start; the message says why."""


class _ChildDied(Exception):
    def __init__(self, child: Child) -> None:
        super().__init__(child.name)
        self.child = child


class _Interrupted(Exception):
    pass


def replica_plan(replicas: Mapping[str, int], ports: Sequence[int]) -> list[Replica]:
    """Assigns `ports` in order to every replica of every service; names are `svc` or `svc-N` when several."""
    needed = sum(replicas.get(service, 1) for service in SERVICES)
    if len(ports) != needed:
        raise ValueError(f"{needed} ports needed, {len(ports)} given")
    plan: list[Replica] = []
    free = iter(ports)
    for service in SERVICES:
        count = replicas.get(service, 1)
        for index in range(1, count + 1):
            name = service if count == 1 else f"{service}-{index}"
            plan.append(Replica(service=service, name=name, port=next(free)))
    return plan


def grpc_target(ports: Sequence[int]) -> str:
    """A gRPC target for the replicas on `ports`: `host:port` for one, an `ipv4:` address list for several."""
    if len(ports) == 1:
        return f"127.0.0.1:{ports[0]}"
    # Clients built by libs.common.clients.channel balance round robin over every address listed.
    return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Stack:
    """One run of `v360 up`: starts everything, waits, and stops everything in order."""

    def __init__(self, *, options: UpOptions, settings: DevSettings, out: TextIO | None = None) -> None:
        self.options = options
        self.settings = settings
        self.out = out or sys.stdout
        self.data_dir = options.data_dir.resolve()
        self.gateway_url = f"http://{options.host}:{options.port}"
        self.console_url = f"http://{options.host}:{options.console_port}" if options.console_port else ""
        self.secret = ""
        self.database_url = ""
        self.redis_url = ""
        self.plan: list[Replica] = []
        self.targets: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.status = "starting"
        # Which of Postgres and Redis this run starts itself; decided when it starts.
        self.embedded: dict[str, bool] = {}
        self._last_readyz = "no answer yet"
        # Set once this run owns stack.json; a refused second runner must not overwrite the first one's file.
        self._owns_state = False
        self._stop = asyncio.Event()
        self._procs: ProcessGroup | None = None

    @property
    def procs(self) -> ProcessGroup:
        """The children of this run."""
        assert self._procs is not None
        return self._procs

    def say(self, message: str) -> None:
        """One line from the runner itself, aligned with the children's prefixed output."""
        self.out.write(f"{'v360':<{NAME_WIDTH}} | {message}\n")
        self.out.flush()

    async def run(self) -> int:
        """Runs the stack until SIGINT/SIGTERM (exit 0) or a failure (exit 1); always stops every child."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal)
        code = 0
        try:
            await self.start()
            self._banner(time.monotonic() - started)
            await self._guard(self._stop.wait())
        except _Interrupted:
            pass
        except _ChildDied as died:
            child = died.child
            self.say(f"{child.name} exited unexpectedly (status {child.returncode}); its last output:")
            for line in child.tail:
                self.out.write(f"{child.name:<{NAME_WIDTH}} ! {line}\n")
            code = 1
        except (StartupError, embedded.EmbeddedError) as exc:
            self.say(f"error: {exc}")
            code = 1
        finally:
            await self.shutdown()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        return code

    async def start(self) -> None:
        """Starts everything and waits until it is ready; the caller must `shutdown()` afterwards, even on errors."""
        self._procs = ProcessGroup(out=self.out)
        await self._guard(self._start())
        self.status = "running"
        self._write_state()

    async def shutdown(self) -> None:
        """Stops every child in order: gateway, services, then Redis and Postgres."""
        await self._shutdown()

    def _on_signal(self) -> None:
        if self._stop.is_set():
            self.say("second interrupt: killing every child now")
            for child in self.procs.children:
                self.procs.kill(child)
            return
        self._stop.set()

    async def _guard(self, work: Awaitable[T]) -> T:
        """Awaits `work` unless a signal arrives (_Interrupted) or a child dies (_ChildDied) first."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopper, self.procs.failed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task.done() and not self.procs.failed.done():
            return task.result()
        task.cancel()
        # Its outcome no longer matters: the interruption or the dead child is what we report.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if self.procs.failed.done():
            raise _ChildDied(self.procs.failed.result())
        raise _Interrupted

    async def _start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._refuse_second_runner()
        if not port_is_free(self.options.host, self.options.port):
            raise StartupError(f"port {self.options.port} on {self.options.host} is in use; choose another with --port")
        if self.options.console_port and not port_is_free(self.options.host, self.options.console_port):
            raise StartupError(
                f"port {self.options.console_port} on {self.options.host} is in use; choose another with --console-port"
            )
        self._owns_state = True
        self.secret = self.settings.explicit_auth_secret() or load_or_create_secret(self.data_dir)
        external_db = None if self.options.embedded_only else self.settings.external_database_url()
        external_redis = None if self.options.embedded_only else self.settings.external_redis_url()
        self.embedded = {"postgres": external_db is None, "redis": external_redis is None}
        replica_count = sum(self.options.replicas.get(service, 1) for service in SERVICES)
        try:
            ports = free_ports(
                replica_count + (external_db is None) + (external_redis is None),
                host="127.0.0.1",
                exclude=frozenset({self.options.port, self.options.console_port}),
            )
        except OSError as exc:
            raise StartupError(str(exc)) from exc
        self.plan = replica_plan(self.options.replicas, ports[:replica_count])
        self.targets = {
            service: grpc_target([r.port for r in self.plan if r.service == service]) for service in SERVICES
        }
        self.ports = {replica.name: replica.port for replica in self.plan} | {"gateway": self.options.port}
        if self.options.console_port:
            self.ports["console"] = self.options.console_port
        spare = iter(ports[replica_count:])
        self.say(f"data dir {self.data_dir}")

        async def database() -> str:
            if external_db is not None:
                await embedded.wait_postgres(external_db, within=EXTERNAL_WAIT_SECONDS)
                self.say("postgres: using DATABASE_URL")
                return external_db
            return await self._start_postgres(next(spare))

        async def cache() -> str:
            if external_redis is not None:
                await embedded.wait_redis(external_redis, within=EXTERNAL_WAIT_SECONDS)
                self.say("redis: using REDIS_URL")
                return external_redis
            return await self._start_redis(next(spare))

        self.database_url, self.redis_url = await asyncio.gather(database(), cache())
        # The gateway's channels connect lazily, so it can import (the slow part) while migrations run.
        gateways = self.options.replicas.get("gateway", 1)
        for index in range(1, gateways + 1):
            # Every gateway process binds the one port (SO_REUSEPORT): the kernel spreads connections over them.
            await self.procs.start(
                "gateway" if gateways == 1 else f"gateway-{index}",
                [sys.executable, "-m", "gateway"],
                env=self._env(
                    {
                        "GATEWAY_HOST": self.options.host,
                        "GATEWAY_PORT": str(self.options.port),
                        **self.settings.demo_channel_env(),
                    }
                ),
            )
        if self.options.console_port:
            await self.procs.start(
                "console",
                [sys.executable, "-m", "console"],
                env=self._env(
                    {
                        "CONSOLE_HOST": self.options.host,
                        "CONSOLE_PORT": str(self.options.console_port),
                        # Plain HTTP on this machine: a Secure cookie would never come back.
                        "CONSOLE_SECURE_COOKIES": "false",
                    }
                ),
            )
        self._write_state()

        # Each schema migrates under its own advisory lock, so the three run side by side; each
        # service starts as soon as its own schema is ready.
        async def migrate_then_start(service: str) -> None:
            await self._migrate(service)
            for replica in self.plan:
                if replica.service == service:
                    await self._start_replica(replica)

        await asyncio.gather(*(migrate_then_start(service) for service in SERVICES))
        self._write_state()
        await self.wait_ready()
        if self.options.seed:
            try:
                report = await seed_demo(
                    ingest_target=self.targets["ingest"],
                    supervisor_target=self.targets["supervisor"],
                    secret=self.secret,
                    settings=self.settings,
                )
            except SeedError as exc:
                raise StartupError(f"seeding the demo tenant: {exc} (start with --no-seed to skip seeding)") from exc
            self.say(f"seed: {report.summary()}")

    def _refuse_second_runner(self) -> None:
        previous = read_stack(self.data_dir)
        if not previous or previous.get("status") not in {"starting", "running"}:
            return
        pid = int(previous.get("pid", 0))
        if pid and pid != os.getpid() and pid_alive(pid):
            raise StartupError(
                f"another `v360 up` (pid {pid}) is using {self.data_dir}; stop it first or pick another --data-dir "
                f"(if no such runner exists, delete {self.data_dir / STACK_FILE})"
            )

    async def _start_postgres(self, port: int) -> str:
        began = time.monotonic()
        pgdata = self.data_dir / "pg"
        account = embedded.postgres_account(self.settings.pg_os_user)
        if account is not None:
            opened = embedded.grant_search(pgdata, account) + embedded.grant_search(
                embedded.postgres_bin_dir(), account
            )
            self.say(f"postgres: running as OS user {account.name} (postgres refuses root)")
            if opened:
                self.say(f"postgres: let others traverse {', '.join(map(str, opened))} so it can reach its files")
        if not embedded.postgres_initialised(pgdata):
            embedded.prepare_pgdata(pgdata, account=account)
            self.say(f"postgres: creating a new cluster in {pgdata}")
            await embedded.init_postgres(pgdata, account=account)
        await self.procs.start(
            "postgres",
            embedded.postgres_argv(pgdata, port=port),
            env=child_env({}),
            # SIGINT is Postgres's "fast" shutdown; the postmaster stops its backends itself.
            stop_signal=signal.SIGINT,
            signal_group=False,
            account=account,
        )
        self.ports["postgres"] = port
        self._write_state()
        await embedded.wait_postgres(embedded.postgres_url(port, database="postgres"), within=EMBEDDED_WAIT_SECONDS)
        await embedded.ensure_database(embedded.postgres_url(port, database="postgres"), embedded.DATABASE)
        self.say(f"postgres: embedded, 127.0.0.1:{port}/{embedded.DATABASE} ({time.monotonic() - began:.1f}s)")
        return embedded.postgres_url(port)

    async def _start_redis(self, port: int) -> str:
        began = time.monotonic()
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        await self.procs.start("redis", embedded.redis_argv(redis_dir, port=port), env=child_env({}))
        self.ports["redis"] = port
        self._write_state()
        url = embedded.redis_url(port)
        await embedded.wait_redis(url, within=EMBEDDED_WAIT_SECONDS)
        self.say(f"redis: embedded, 127.0.0.1:{port} ({time.monotonic() - began:.1f}s)")
        return url

    async def _migrate(self, service: str) -> None:
        began = time.monotonic()
        child = await self.procs.run(
            f"{service}:migrate",
            [sys.executable, "-m", f"services.{service}", "migrate"],
            env=self._env({}),
            within=MIGRATION_SECONDS,
        )
        if child.returncode != 0:
            raise StartupError(
                f"`python -m services.{service} migrate` failed (status {child.returncode}):\n{child.last_lines()}"
            )
        self.say(f"{service}: migrations applied ({time.monotonic() - began:.1f}s)")

    async def _start_replica(self, replica: Replica) -> None:
        prefix = replica.service.upper()
        await self.procs.start(
            replica.name,
            [sys.executable, "-m", f"services.{replica.service}", "serve"],
            env=self._env({f"{prefix}_GRPC_LISTEN": f"127.0.0.1:{replica.port}", f"{prefix}_METRICS_PORT": "0"}),
        )
        self._write_state()

    def _env(self, extra: Mapping[str, str]) -> dict[str, str]:
        return child_env(
            {
                **self.options.extra_env,
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "V360_AUTH_SECRET": self.secret,
                "LOG_LEVEL": self.settings.log_level,
                "LOG_FORMAT": self.settings.log_format,
                "INGEST_TARGET": self.targets["ingest"],
                "VISITS_TARGET": self.targets["visits"],
                "SUPERVISOR_TARGET": self.targets["supervisor"],
                **extra,
            }
        )

    async def wait_ready(self) -> None:
        """Until every replica is SERVING and the gateway's /readyz/dashboard (and the console's /readyz) answer 200."""
        pending = {replica.name for replica in self.plan} | {"gateway"} | ({"console"} if self.console_url else set())
        within = self.settings.startup_timeout_seconds
        try:
            async with asyncio.timeout(within):
                await asyncio.gather(*(self._wait_serving(replica, pending) for replica in self.plan))
                await self._wait_http("gateway", f"{self.gateway_url}/readyz/dashboard", pending)
                if self.console_url:
                    await self._wait_http("console", f"{self.console_url}/readyz", pending)
        except TimeoutError:
            raise StartupError(
                f"not ready after {within:.0f}s: {', '.join(sorted(pending))}; "
                f"last {self.gateway_url}/readyz/dashboard: {self._last_readyz}"
            ) from None

    async def _wait_serving(self, replica: Replica, pending: set[str]) -> None:
        request = health_pb2.HealthCheckRequest(service=FULL_SERVICE_NAMES[replica.service])
        async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                try:
                    response = await stub.Check(request, timeout=1.0)
                    if response.status == health_pb2.HealthCheckResponse.SERVING:
                        pending.discard(replica.name)
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)

    async def _wait_http(self, name: str, url: str, pending: set[str]) -> None:
        async with httpx.AsyncClient(timeout=3.0) as client:
            while True:
                try:
                    # Everything up (the dev stack seeds through the dashboard's services), not only intake.
                    response = await client.get(url)
                    if response.status_code == 200:
                        pending.discard(name)
                        return
                    self._last_readyz = f"{response.status_code} {response.text[:300]}"
                except httpx.HTTPError as exc:
                    self._last_readyz = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(0.2)

    def _banner(self, elapsed: float) -> None:
        token = issue_token(self.secret, tenant=DEMO_SLUG, role=Role.ADMIN, ttl_seconds=DEFAULT_TTL_SECONDS)
        hours = DEFAULT_TTL_SECONDS // 3600
        self.out.write(
            "\n"
            f"  Vertice360 dev stack ready in {elapsed:.1f}s\n"
            f"  gateway  {self.gateway_url}\n"
            f"  docs     {self.gateway_url}/docs\n"
            f"  token    {token}\n"
            f"           (role admin, tenant {DEMO_SLUG}, {hours} h; more with `v360 token --tenant SLUG`)\n"
            f'  try      curl -H "Authorization: Bearer {token}" {self.gateway_url}{BOOTSTRAP_PATH}\n'
            + self._console_banner()
            + "  Ctrl-C stops the stack.\n\n"
        )
        self.out.flush()

    def _console_banner(self) -> str:
        if not self.console_url:
            return ""
        login = DEMO_USERS[1].email if len(DEMO_USERS) > 1 else DEMO_USERS[0].email
        return (
            f"  console  {self.console_url}\n"
            f"           empresa {DEMO_SLUG}, email {login} (or {DEMO_USERS[0].email}),"
            " password from V360_DEMO_USER_PASSWORD (default vertice360-dev)\n"
            f"  demo     .venv/bin/v360 demo   (leads write in through the signed webhook for a few minutes)\n"
        )

    def _write_state(self) -> None:
        state: dict[str, Any] = {
            "status": self.status,
            "pid": os.getpid(),
            "updated_at": _now(),
            "data_dir": str(self.data_dir),
            "gateway_url": self.gateway_url,
            "console_url": self.console_url,
            "docs_url": f"{self.gateway_url}/docs",
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "embedded": self.embedded,
            "targets": self.targets,
            "services": {
                service: [
                    {"name": r.name, "port": r.port, "listen": f"127.0.0.1:{r.port}"}
                    for r in self.plan
                    if r.service == service
                ]
                for service in SERVICES
            },
            "processes": [
                {"name": child.name, "pid": child.pid, "port": self.ports.get(child.name)}
                for child in (self._procs.children if self._procs else [])
            ],
        }
        write_json_private(self.data_dir / STACK_FILE, state)

    async def _shutdown(self) -> None:
        started_any = self._procs is not None and bool(self.procs.children)
        if started_any:
            self.say("stopping: gateway, then services, then Redis and Postgres")
            services = [replica.name for replica in self.plan]
            gateways = [
                child.name for child in self.procs.children if child.name.partition("-")[0] in {"gateway", "console"}
            ]
            await self.procs.stop_all(
                [gateways, services, ["redis", "postgres"]], grace=self.settings.stop_timeout_seconds
            )
        if self._owns_state and (self.data_dir / STACK_FILE).exists():
            self.status = "stopped"
            self._write_state()
        if started_any:
            self.say("stopped")
