"""The faults, one per phase: what each breaks, for how long, and how it is undone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bench.chaos.cluster import PHONE_NUMBER_ID, Cluster
from tests.support.provider_double import ProviderDouble, Reply

# How long the double keeps a reply's answer while supervisor is killed (supervisor-mid-send).
MID_SEND_DELAY_SECONDS = 1.5
# What webhook intake needs; everything else may fail without a single webhook being turned away.
INTAKE = ("ingest", "gateway", "postgres")


@dataclass(frozen=True)
class Fault:
    """A fault that `inject` starts and `recover` ends, `hold_seconds` apart."""

    name: str
    what: str
    hold_seconds: float

    @property
    def process(self) -> str | None:
        """The process this fault stops or kills, if any."""
        return None

    @property
    def taps(self) -> bool:
        """Whether leads tap visit confirm buttons while the fault holds."""
        return False

    @property
    def intake_needs_it(self) -> bool:
        """Whether webhook intake needs what the fault breaks (ingest, the gateway, Postgres); if not, every
        webhook must be acknowledged at the first try while it holds, and /readyz must stay 200."""
        return self.process in INTAKE

    async def inject(self, cluster: Cluster, double: ProviderDouble) -> None:
        """Starts the fault."""
        raise NotImplementedError

    async def hold(self, cluster: Cluster, double: ProviderDouble) -> None:
        """Keeps the fault going for `hold_seconds`."""
        await asyncio.sleep(self.hold_seconds)

    async def recover(self, cluster: Cluster, double: ProviderDouble) -> None:
        """Ends the fault (the stack may still be catching up)."""
        raise NotImplementedError


@dataclass(frozen=True)
class KillService(Fault):
    """kill -9 of a service or the gateway, then the same command started again."""

    target: str = ""
    tapping: bool = False

    @property
    def process(self) -> str | None:
        return self.target

    @property
    def taps(self) -> bool:
        return self.tapping

    async def inject(self, cluster: Cluster, double: ProviderDouble) -> None:
        await cluster.kill(self.target)

    async def recover(self, cluster: Cluster, double: ProviderDouble) -> None:
        await cluster.restart(self.target)


@dataclass(frozen=True)
class StopStart(Fault):
    """A server stopped by its own stop signal (Postgres: fast shutdown) and started again."""

    target: str = ""

    @property
    def process(self) -> str | None:
        return self.target

    async def inject(self, cluster: Cluster, double: ProviderDouble) -> None:
        await cluster.stop_process(self.target)

    async def recover(self, cluster: Cluster, double: ProviderDouble) -> None:
        await cluster.restart(self.target)


@dataclass(frozen=True)
class ProviderOutage(Fault):
    """The provider answers 500, then 429 with Retry-After, to every send."""

    async def inject(self, cluster: Cluster, double: ProviderDouble) -> None:
        double.outage = Reply(status=500)

    async def hold(self, cluster: Cluster, double: ProviderDouble) -> None:
        await asyncio.sleep(self.hold_seconds / 2)
        double.outage = Reply(status=429, headers={"Retry-After": "1"})
        await asyncio.sleep(self.hold_seconds / 2)

    async def recover(self, cluster: Cluster, double: ProviderDouble) -> None:
        double.outage = None


@dataclass(frozen=True)
class MidSend(Fault):
    """`inner` starts after the provider took a reply and before supervisor could record it.

    The double holds its answer to the next send for MID_SEND_DELAY_SECONDS; the fault starts halfway.
    """

    inner: Fault | None = None

    @property
    def process(self) -> str | None:
        assert self.inner is not None
        return self.inner.process

    async def inject(self, cluster: Cluster, double: ProviderDouble) -> None:
        assert self.inner is not None
        seen = len(double.requests)
        double.script(PHONE_NUMBER_ID, Reply(delay=MID_SEND_DELAY_SECONDS))
        # The reply in flight is the next request the double receives; it answers after the delay.
        await double.wait_for(lambda: len(double.requests) > seen, within=30)
        await asyncio.sleep(MID_SEND_DELAY_SECONDS / 2)
        await self.inner.inject(cluster, double)

    async def recover(self, cluster: Cluster, double: ProviderDouble) -> None:
        assert self.inner is not None
        await self.inner.recover(cluster, double)


_KILL_SUPERVISOR = KillService("supervisor", "kill -9 supervisor, start it again", 0.5, target="supervisor")
_RESTART_POSTGRES = StopStart("postgres", "Postgres fast shutdown, start again", 4.0, target="postgres")
FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        KillService("ingest", "kill -9 ingest, start it again", 0.5, target="ingest"),
        KillService("visits", "kill -9 visits, start it again", 0.5, target="visits"),
        KillService(
            "visits-taps", "visits down 4 s while leads tap confirm buttons", 4.0, target="visits", tapping=True
        ),
        _KILL_SUPERVISOR,
        KillService("gateway", "kill -9 the gateway, start it again", 0.5, target="gateway"),
        _RESTART_POSTGRES,
        StopStart("redis", "Redis stopped, started again", 1.5, target="redis"),
        ProviderOutage("provider", "provider answers 500, then 429", 3.0),
        MidSend("supervisor-mid-send", "kill -9 supervisor while a reply is at the provider", 0.5, _KILL_SUPERVISOR),
        MidSend("postgres-mid-send", "Postgres restart while a reply is at the provider", 2.0, _RESTART_POSTGRES),
    )
}
# Every fault but supervisor-mid-send, which aims at the documented at-least-once window and fails.
DEFAULT_FAULTS = (
    "ingest",
    "visits",
    "visits-taps",
    "supervisor",
    "gateway",
    "postgres",
    "redis",
    "provider",
    "postgres-mid-send",
)
