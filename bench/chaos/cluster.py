"""The stack under test: `v360 up`'s runner on our own Postgres and Redis, every process killable and restartable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import httpx

from devstack import embedded
from devstack.options import parse_replicas
from devstack.ports import free_ports
from devstack.processes import Child
from devstack.seed import upsert_agents, upsert_provider_account, upsert_tenant
from devstack.settings import DevSettings
from devstack.up import Stack, UpOptions
from libs.common.auth import Role, issue_token
from libs.common.clients import ServiceTokens
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

# Short timeouts and leases so a fault clears in seconds, not minutes; the relations the settings
# enforce (a lease outliving two send timeouts) still hold.
CHAOS_ENV: Mapping[str, str] = {
    "PROVIDER_TIMEOUT_SECONDS": "2",
    "INGEST_TIMEOUT_SECONDS": "2",
    "DELIVERY_LEASE_SECONDS": "5",
    "DELIVERY_BACKOFF_BASE_SECONDS": "0.25",
    "DELIVERY_BACKOFF_MAX_SECONDS": "2",
    # An outage of a few seconds must not use up a reply's attempts.
    "DELIVERY_MAX_ATTEMPTS": "40",
    "DELIVERY_BREAKER_OPEN_SECONDS": "1",
    "DELIVERY_POLL_SECONDS": "0.5",
    "SHUTDOWN_GRACE_SECONDS": "1",
    "RPC_TIMEOUT_SECONDS": "4",
}
STOP_GRACE_SECONDS = 10.0
TENANT = "chaos"
PHONE_NUMBER_ID = "900000000000777"
APP_SECRET = "chaos-meta-app-secret"
ACCESS_TOKEN = "chaos-meta-access-token"


class Cluster:
    """Postgres, Redis, the three services and the gateway as separate processes of one devstack run."""

    def __init__(self, *, data_dir: Path, log: TextIO) -> None:
        options = UpOptions(
            data_dir=data_dir,
            host="127.0.0.1",
            port=free_ports(1)[0],
            replicas=parse_replicas(""),
            seed=False,
            console_port=0,
            embedded_only=True,
            extra_env=CHAOS_ENV,
        )
        self.stack = Stack(options=options, settings=DevSettings(), out=log)

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    async def start(self) -> None:
        """Starts every process and waits until the gateway is ready."""
        await self.stack.start()

    async def stop(self) -> None:
        """Stops every process (also after a failed start)."""
        await self.stack.shutdown()

    def child(self, name: str) -> Child:
        """The running process called `name` (postgres, redis, ingest, visits, supervisor, gateway)."""
        return next(child for child in self.stack.procs.children if child.name == name)

    def pid(self, name: str) -> int:
        """The OS process id of `name` now."""
        return self.child(name).pid

    def died_on_its_own(self) -> str | None:
        """The name of a process that exited without being asked to, if any."""
        failed = self.stack.procs.failed
        return failed.result().name if failed.done() else None

    async def kill(self, name: str) -> None:
        """SIGKILL, no grace: whatever the process was doing stops mid-way."""
        child = self.child(name)
        self.stack.procs.kill(child)
        await self.stack.procs.wait(child)

    async def stop_process(self, name: str) -> None:
        """Stops `name` with its own stop signal (Postgres: SIGINT, a fast shutdown; Redis: SIGTERM)."""
        await self.stack.procs.stop(self.child(name), grace=STOP_GRACE_SECONDS)

    async def restart(self, name: str) -> None:
        """Starts a stopped or killed process again, same command and port; waits for Postgres/Redis to answer."""
        await self.stack.procs.restart(self.child(name))
        if name == "postgres":
            url = embedded.postgres_url(self.stack.ports["postgres"], database="postgres")
            await embedded.wait_postgres(url, within=STOP_GRACE_SECONDS * 3)
        elif name == "redis":
            await embedded.wait_redis(self.stack.redis_url, within=STOP_GRACE_SECONDS * 3)

    async def wait_ready(self) -> None:
        """Until every service is SERVING and the gateway's /readyz/dashboard is 200."""
        await self.stack.wait_ready()

    async def ready_now(self, client: httpx.AsyncClient, probe: str = "/readyz") -> bool:
        """One readiness probe (`/readyz`: webhook intake; `/readyz/dashboard`): True only for a 200."""
        try:
            response = await client.get(f"{self.gateway_url}{probe}", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def add_tenant(self, *, provider_base_url: str) -> None:
        """The tenant the run writes to: signed Meta webhooks in, replies out through `provider_base_url`."""
        await upsert_tenant(
            target=self.stack.targets["ingest"],
            secret=self.stack.secret,
            tenant=ingest_pb2.Tenant(
                slug=TENANT,
                name="Chaos",
                region="AR",
                timezone="America/Argentina/Buenos_Aires",
                meta_phone_number_id=PHONE_NUMBER_ID,
                meta_app_secret=APP_SECRET,
            ),
        )
        await upsert_provider_account(
            target=self.stack.targets["supervisor"],
            secret=self.stack.secret,
            tenant=TENANT,
            account=supervisor_pb2.ProviderAccount(
                provider="meta", sender_id=PHONE_NUMBER_ID, secret=ACCESS_TOKEN, base_url=provider_base_url
            ),
        )

    async def add_agents(self, count: int) -> list[str]:
        """`count` agents of the run's tenant (visits books only real, active users); their ids."""
        return await upsert_agents(
            target=self.stack.targets["supervisor"],
            metadata=ServiceTokens(self.stack.secret).metadata(TENANT),
            tenant=TENANT,
            names=[f"chaos-agent-{n}" for n in range(count)],
        )

    def dashboard_token(self) -> str:
        """A bearer token of an admin of the run's tenant."""
        return issue_token(self.stack.secret, tenant=TENANT, role=Role.ADMIN, user_id="chaos-dashboard")
