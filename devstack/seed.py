"""The demo tenant `vertice360` (3 projects, 3 marketing assets, 2 users), written over gRPC on every `v360 up`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message

from devstack.settings import DevSettings
from libs.common.auth import SYSTEM_TENANT
from libs.common.clients import ServiceTokens, channel
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

DEMO_SLUG = "vertice360"
CALL_TIMEOUT_SECONDS = 10.0
INGEST_SERVICE = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
SUPERVISOR_SERVICE = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name

DEMO_PROJECTS = (
    ingest_pb2.Project(code="PALERMO-01", name="Palermo Soho Residences", location="Gorriti 4850, Palermo Soho, CABA"),
    ingest_pb2.Project(code="BELGRANO-01", name="Torre Belgrano Green", location="Av. Cabildo 2150, Belgrano, CABA"),
    ingest_pb2.Project(code="NUNEZ-01", name="Núñez Río Lofts", location="Av. del Libertador 7400, Núñez, CABA"),
)
# Click-to-WhatsApp ads: every lead they bring writes on WhatsApp.
DEMO_ASSETS = (
    ingest_pb2.MarketingAsset(
        code="FB-PALERMO-01",
        name="Facebook · Palermo Soho en pozo",
        keyword="palermo",
        project_code="PALERMO-01",
        channel="whatsapp",
    ),
    ingest_pb2.MarketingAsset(
        code="IG-BELGRANO-01",
        name="Instagram · Belgrano Green, 2 y 3 ambientes",
        keyword="belgrano",
        project_code="BELGRANO-01",
        channel="whatsapp",
    ),
    ingest_pb2.MarketingAsset(
        code="GADS-NUNEZ-01",
        name="Google Ads · Lofts frente al río en Núñez",
        keyword="lofts",
        project_code="NUNEZ-01",
        channel="whatsapp",
    ),
)
DEMO_USERS = (
    supervisor_pb2.User(
        name="Valeria Gómez", email="supervisor@vertice360.dev", role=supervisor_pb2.ROLE_SUPERVISOR, active=True
    ),
    supervisor_pb2.User(
        name="Martín Pereyra", email="agente@vertice360.dev", role=supervisor_pb2.ROLE_AGENT, active=True
    ),
)


class SeedError(Exception):
    """A seeding RPC failed for a reason other than not being implemented yet."""


@dataclass
class SeedReport:
    """What seeding wrote and what it had to skip."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        text = "; ".join(self.done) or "nothing written"
        if self.skipped:
            text += " | SKIPPED: " + "; ".join(self.skipped)
        return text


def demo_tenant(settings: DevSettings) -> ingest_pb2.Tenant:
    """The demo tenant with its channel settings from the environment (or the dev defaults)."""
    return ingest_pb2.Tenant(
        slug=DEMO_SLUG,
        name="Vertice360",
        region="AR",
        timezone="America/Argentina/Buenos_Aires",
        meta_phone_number_id=settings.demo_meta_phone_number_id,
        meta_app_secret=settings.demo_meta_app_secret,
        meta_verify_token=settings.demo_meta_verify_token,
        gupshup_app=settings.demo_gupshup_app,
        gupshup_token=settings.demo_gupshup_token,
    )


def _unimplemented(exc: grpc.aio.AioRpcError) -> bool:
    return exc.code() == grpc.StatusCode.UNIMPLEMENTED


def _failure(what: str, exc: grpc.aio.AioRpcError) -> SeedError:
    return SeedError(f"{what} failed: {exc.code().name}: {exc.details()}")


async def upsert_tenant(*, target: str, secret: str, tenant: ingest_pb2.Tenant) -> ingest_pb2.UpsertTenantResponse:
    """Creates or updates `tenant` through ingest, as the system tenant."""
    tokens = ServiceTokens(secret)
    async with channel(target, retry_services=[INGEST_SERVICE]) as ingest_channel:
        stub = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        return await stub.UpsertTenant(
            ingest_pb2.UpsertTenantRequest(tenant=tenant),
            metadata=tokens.metadata(SYSTEM_TENANT),
            timeout=CALL_TIMEOUT_SECONDS,
        )


async def upsert_provider_account(
    *, target: str, secret: str, tenant: str, account: supervisor_pb2.ProviderAccount
) -> supervisor_pb2.UpsertProviderAccountResponse:
    """Sets the tenant's sending account through supervisor."""
    tokens = ServiceTokens(secret)
    async with channel(target, retry_services=[SUPERVISOR_SERVICE]) as supervisor_channel:
        stub = supervisor_pb2_grpc.SupervisorServiceStub(supervisor_channel)
        return await stub.UpsertProviderAccount(
            supervisor_pb2.UpsertProviderAccountRequest(account=account),
            metadata=tokens.metadata(tenant),
            timeout=CALL_TIMEOUT_SECONDS,
        )


async def upsert_agents(
    *, target: str, metadata: tuple[tuple[str, str], ...], tenant: str, names: Sequence[str]
) -> list[str]:
    """Creates (or keeps) an active agent per name in the tenant through supervisor; their user ids, in order.

    `metadata` carries a service token of the tenant."""
    ids = []
    async with channel(target, retry_services=[SUPERVISOR_SERVICE]) as supervisor_channel:
        stub = supervisor_pb2_grpc.SupervisorServiceStub(supervisor_channel)
        for name in names:
            reply = await stub.UpsertUser(
                supervisor_pb2.UpsertUserRequest(
                    user=supervisor_pb2.User(
                        name=name, email=f"{name}@{tenant}.invalid", role=supervisor_pb2.ROLE_AGENT, active=True
                    )
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            ids.append(reply.user.id)
    return ids


async def seed_demo(*, ingest_target: str, supervisor_target: str, secret: str, settings: DevSettings) -> SeedReport:
    """Upserts the demo tenant, its catalog and its users; idempotent. RPCs not implemented yet are skipped."""
    report = SeedReport()
    tokens = ServiceTokens(secret)
    try:
        created = (await upsert_tenant(target=ingest_target, secret=secret, tenant=demo_tenant(settings))).created
        report.done.append(f"tenant {DEMO_SLUG} {'created' if created else 'updated'}")
    except grpc.aio.AioRpcError as exc:
        if _unimplemented(exc):
            report.skipped.append("ingest UpsertTenant is not implemented yet, so nothing was seeded")
            return report
        raise _failure("ingest UpsertTenant", exc) from exc

    metadata = tokens.metadata(DEMO_SLUG)
    async with (
        channel(ingest_target, retry_services=[INGEST_SERVICE]) as ingest_channel,
        channel(supervisor_target, retry_services=[SUPERVISOR_SERVICE]) as supervisor_channel,
    ):
        ingest = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        supervisor = supervisor_pb2_grpc.SupervisorServiceStub(supervisor_channel)
        # In this order: assets name their project by code.
        await _upsert_each(
            report,
            rpc="ingest UpsertProject",
            noun="projects",
            method=ingest.UpsertProject,
            requests=[ingest_pb2.UpsertProjectRequest(project=project) for project in DEMO_PROJECTS],
            metadata=metadata,
        )
        await _upsert_each(
            report,
            rpc="ingest UpsertMarketingAsset",
            noun="marketing assets",
            method=ingest.UpsertMarketingAsset,
            requests=[ingest_pb2.UpsertMarketingAssetRequest(asset=asset) for asset in DEMO_ASSETS],
            metadata=metadata,
        )
        await _upsert_each(
            report,
            rpc="supervisor UpsertUser",
            noun="users",
            method=supervisor.UpsertUser,
            requests=[
                supervisor_pb2.UpsertUserRequest(user=user, password=settings.demo_user_password) for user in DEMO_USERS
            ],
            metadata=metadata,
        )
    return report


async def _upsert_each(
    report: SeedReport,
    *,
    rpc: str,
    noun: str,
    method: Callable[..., Awaitable[Message]],
    requests: Sequence[Message],
    metadata: tuple[tuple[str, str], ...],
) -> None:
    """Sends every request in turn; an UNIMPLEMENTED method is noted as skipped, any other error raises."""
    try:
        for request in requests:
            await method(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as exc:
        if not _unimplemented(exc):
            raise _failure(rpc, exc) from exc
        report.skipped.append(f"{rpc} is not implemented yet")
        return
    report.done.append(f"{len(requests)} {noun}")
