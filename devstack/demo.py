"""`v360 demo`: leads of a few demo companies write in through the real signed webhook path for a while.

Each lead is a small script: a first message naming an ad's keyword (so the lead is attributed to a
project), sometimes a photo or a location, then the demo's agent answers through supervisor (delivered by the
sandbox: sent, delivered, read), proposes a visit to some, and the lead taps "Confirmar" on the WhatsApp
buttons it got, as a button reply webhook. Some leads get no answer, so the inbox shows who is waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
from google.protobuf import json_format, timestamp_pb2

from devstack.seed import DEMO_ASSETS, DEMO_PROJECTS, DEMO_SLUG, demo_tenant
from devstack.settings import DevSettings
from devstack.whatsapp import button_reply, meta_message, signed
from libs.common.auth import SYSTEM_TENANT, Role
from libs.common.clients import ServiceTokens, channel
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

CALL_TIMEOUT = 10.0
FIRST_NAMES = (
    "Lucía", "Martina", "Sofía", "Valentina", "Camila", "Julieta", "Florencia", "Agustina", "Carolina", "Paula",
    "Mateo", "Santiago", "Joaquín", "Tomás", "Facundo", "Nicolás", "Martín", "Gonzalo", "Federico", "Ignacio",
)  # fmt: skip
LAST_NAMES = (
    "González", "Rodríguez", "Fernández", "López", "Martínez", "Pérez", "García", "Sánchez", "Romero", "Sosa",
    "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores", "Acosta", "Benítez", "Medina", "Herrera", "Suárez",
)  # fmt: skip
OPENERS = (
    "Hola! Vi el aviso de {keyword}, ¿qué precio tiene el 2 ambientes?",
    "Buenas tardes, me interesa lo de {keyword}. ¿Tienen financiación en pesos?",
    "Hola, ¿sigue disponible el de {keyword}? ¿Para cuándo es la entrega?",
    "Consulta por {keyword}: ¿aceptan permuta?",
    "Hola! Quisiera más info de {keyword}, busco 3 ambientes con balcón.",
    "Buen día. ¿Se puede visitar el showroom de {keyword} este fin de semana?",
)
FOLLOW_UPS = (
    "¿Tienen cochera?",
    "¿Cuánto son las expensas aproximadas?",
    "Perfecto, ¿me pasan planos?",
    "Somos dos, con un perro. ¿Se aceptan mascotas?",
)
REPLIES = (
    "¡Hola {name}! Gracias por escribirnos. El 2 ambientes arranca en USD 98.000 con 30 % de anticipo.",
    "¡Hola {name}! Sí, tenemos financiación en pesos hasta 36 cuotas. ¿Te paso el detalle?",
    "¡Hola {name}! La entrega está prevista para marzo de 2028. ¿Querés coordinar una visita?",
)
PLACES = (
    (-34.5889, -58.4306, "Mi trabajo", "Av. Santa Fe 3253, Palermo"),
    (-34.5627, -58.4563, "Casa de mis viejos", "Av. Cabildo 2150, Belgrano"),
    (-34.5453, -58.4633, "Acá estoy", "Av. del Libertador 7400, Núñez"),
)
# Two more demo companies beside the seeded one: (slug, name, Meta phone_number_id, app secret).
EXTRA_COMPANIES = (
    ("rio-desarrollos", "Río Desarrollos", "100000000000002", "dev-meta-app-secret-rio"),
    ("alto-belgrano", "Alto Belgrano Inversiones", "100000000000003", "dev-meta-app-secret-alto"),
)
TEMPLATES = (
    supervisor_pb2.MessageTemplate(
        name="seguimiento_consulta",
        language="es_AR",
        title="Seguimiento de la consulta",
        body="Hola {{1}}, te escribimos de nuevo por tu consulta sobre {{2}}. ¿Seguís interesado/a?",
        active=True,
    ),
    supervisor_pb2.MessageTemplate(
        name="recordatorio_visita",
        language="es_AR",
        title="Recordatorio de visita",
        body="Hola {{1}}, te recordamos tu visita a {{2}} el {{3}}. ¡Te esperamos!",
        active=True,
    ),
)


@dataclass
class Company:
    """A demo tenant: where its webhooks go and who answers for it."""

    slug: str
    phone_number_id: str
    app_secret: str
    agent_id: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    leads: int = 0
    webhooks: int = 0
    replies: int = 0
    visits: int = 0
    taps: int = 0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.leads} leads, {self.webhooks} webhooks, {self.replies} replies, {self.visits} visits proposed, "
            f"{self.taps} confirmed by the lead" + (f", {len(self.failures)} failures" if self.failures else "")
        )


class Demo:
    """Plays leads against a running stack: webhooks to the gateway, the team's side over gRPC."""

    def __init__(
        self,
        *,
        gateway_url: str,
        targets: dict[str, str],
        secret: str,
        settings: DevSettings,
        rng: random.Random | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.gateway_url = gateway_url
        self.targets = targets
        self.tokens = ServiceTokens(secret)
        self.settings = settings
        self.rng = rng or random.Random()
        self.say = say
        self.report = DemoReport()
        self.channels = {name: channel(target) for name, target in targets.items()}
        self.ingest = ingest_pb2_grpc.IngestServiceStub(self.channels["ingest"])
        self.visits = visits_pb2_grpc.VisitsServiceStub(self.channels["visits"])
        self.supervisor = supervisor_pb2_grpc.SupervisorServiceStub(self.channels["supervisor"])
        self.http = httpx.AsyncClient(base_url=gateway_url, timeout=CALL_TIMEOUT)
        self.used_phones: set[str] = set()

    async def close(self) -> None:
        """Closes the HTTP client and the channels."""
        await self.http.aclose()
        for open_channel in self.channels.values():
            await open_channel.close()

    def _md(self, tenant: str, role: Role = Role.SERVICE, user_id: str = "") -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens.token(tenant, role=role, user_id=user_id)}"),)

    async def prepare(self) -> list[Company]:
        """The seeded company plus two more, each with projects, ads, a team and templates (idempotent)."""
        seeded = demo_tenant(self.settings)
        companies = [Company(DEMO_SLUG, seeded.meta_phone_number_id, self.settings.demo_meta_app_secret)]
        for slug, name, phone_number_id, app_secret in EXTRA_COMPANIES:
            await self.ingest.UpsertTenant(
                ingest_pb2.UpsertTenantRequest(
                    tenant=ingest_pb2.Tenant(
                        slug=slug,
                        name=name,
                        region="AR",
                        timezone="America/Argentina/Buenos_Aires",
                        meta_phone_number_id=phone_number_id,
                        meta_app_secret=app_secret,
                    )
                ),
                metadata=self._md(SYSTEM_TENANT),
                timeout=CALL_TIMEOUT,
            )
            companies.append(Company(slug, phone_number_id, app_secret))
        for company in companies:
            await self._stock(company)
        return companies

    async def _stock(self, company: Company) -> None:
        md = self._md(company.slug)
        for project in DEMO_PROJECTS:
            await self.ingest.UpsertProject(ingest_pb2.UpsertProjectRequest(project=project), metadata=md)
        for asset in DEMO_ASSETS:
            await self.ingest.UpsertMarketingAsset(ingest_pb2.UpsertMarketingAssetRequest(asset=asset), metadata=md)
        company.keywords = [asset.keyword for asset in DEMO_ASSETS]
        users = (
            ("Valeria Gómez", f"supervisor@{company.slug}.dev", supervisor_pb2.ROLE_SUPERVISOR),
            ("Martín Pereyra", f"agente@{company.slug}.dev", supervisor_pb2.ROLE_AGENT),
        )
        if company.slug == DEMO_SLUG:
            users = (
                ("Valeria Gómez", "supervisor@vertice360.dev", supervisor_pb2.ROLE_SUPERVISOR),
                ("Martín Pereyra", "agente@vertice360.dev", supervisor_pb2.ROLE_AGENT),
            )
        for name, email, role in users:
            reply = await self.supervisor.UpsertUser(
                supervisor_pb2.UpsertUserRequest(
                    user=supervisor_pb2.User(name=name, email=email, role=role, active=True),
                    password=self.settings.demo_user_password,
                ),
                metadata=md,
                timeout=CALL_TIMEOUT,
            )
            if role == supervisor_pb2.ROLE_AGENT:
                company.agent_id = reply.user.id
        for template in TEMPLATES:
            await self.supervisor.UpsertTemplate(
                supervisor_pb2.UpsertTemplateRequest(template=template), metadata=md, timeout=CALL_TIMEOUT
            )

    def _phone(self) -> str:
        while True:
            phone = "54911" + str(self.rng.randrange(40_000_000, 70_000_000))
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    async def _post(self, company: Company, **message: Any) -> None:
        raw, headers = signed(
            meta_message(phone_number_id=company.phone_number_id, **message), app_secret=company.app_secret
        )
        response = await self.http.post("/webhooks/meta", content=raw, headers=headers)
        response.raise_for_status()
        self.report.webhooks += 1

    async def lead(self, company: Company) -> None:
        """One lead's story, from the first message to (for some) a confirmed visit."""
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        phone = self._phone()
        keyword = rng.choice(company.keywords).capitalize()
        await self._post(company, from_phone=phone, name=name, text=rng.choice(OPENERS).format(keyword=keyword))
        self.report.leads += 1
        await asyncio.sleep(rng.uniform(2, 6))
        extra = rng.random()
        if extra < 0.25:
            await self._post(
                company,
                from_phone=phone,
                name=name,
                kind="image",
                image={
                    "id": str(rng.randrange(10**15, 10**16)),
                    "mime_type": "image/jpeg",
                    "caption": "Algo así busco",
                },
            )
        elif extra < 0.45:
            latitude, longitude, place, address = rng.choice(PLACES)
            await self._post(
                company,
                from_phone=phone,
                name=name,
                kind="location",
                location={"latitude": latitude, "longitude": longitude, "name": place, "address": address},
            )
        elif extra < 0.7:
            await self._post(company, from_phone=phone, name=name, text=rng.choice(FOLLOW_UPS))
        if rng.random() < 0.3:
            return  # Nobody answered yet: this one waits in the inbox.
        await asyncio.sleep(rng.uniform(4, 10))
        ticket_id = await self._ticket_of(company, phone)
        agent = self._md(company.slug, Role.AGENT, company.agent_id)
        await self.supervisor.SendReply(
            supervisor_pb2.SendReplyRequest(
                ticket_id=ticket_id,
                text=rng.choice(REPLIES).format(name=name.split()[0]),
                idempotency_key=f"demo-{ticket_id}",
            ),
            metadata=agent,
            timeout=CALL_TIMEOUT,
        )
        self.report.replies += 1
        if rng.random() < 0.5:
            return
        await asyncio.sleep(rng.uniform(5, 12))
        starts = (datetime.now(UTC) + timedelta(days=rng.randrange(2, 12))).replace(
            hour=rng.choice((13, 14, 15, 17, 19, 20)), minute=rng.choice((0, 30)), second=0, microsecond=0
        )
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(starts)
        try:
            await self.visits.ProposeVisit(
                visits_pb2.ProposeVisitRequest(ticket_id=ticket_id, agent_user_id=company.agent_id, starts_at=stamp),
                metadata=agent,
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                return  # The agent already has a visit then: this lead waits for another proposal.
            raise
        self.report.visits += 1
        if rng.random() < 0.35:
            return
        await asyncio.sleep(rng.uniform(6, 15))
        confirm = await self._confirm_button(company, ticket_id)
        if confirm:
            await self._post(
                company, from_phone=phone, name=name, kind="interactive", **button_reply(confirm, "Confirmar")
            )
            self.report.taps += 1

    async def _ticket_of(self, company: Company, phone: str) -> str:
        reply = await self.ingest.ListTickets(
            ingest_pb2.ListTicketsRequest(query=phone, page_size=1),
            metadata=self._md(company.slug),
            timeout=CALL_TIMEOUT,
        )
        if not reply.tickets:
            raise RuntimeError(f"no ticket for a demo lead of {company.slug}")
        return reply.tickets[0].id

    async def _confirm_button(self, company: Company, ticket_id: str) -> str:
        """The id of the "Confirmar" button the lead got with the proposal (once the relay sent it)."""
        for _ in range(20):
            detail = await self.ingest.GetTicket(
                ingest_pb2.GetTicketRequest(ticket_id=ticket_id), metadata=self._md(company.slug), timeout=CALL_TIMEOUT
            )
            for message in reversed(detail.messages):
                payload = json_format.MessageToDict(message.payload) if message.ListFields() else {}
                for button in payload.get("buttons", []):
                    if str(button.get("title", "")).lower().startswith("confirm"):
                        return str(button["id"])
            await asyncio.sleep(1)
        return ""

    async def run(self, *, minutes: float, rate: float) -> DemoReport:
        """New leads at `rate` per second for `minutes`, spread over the companies; waits for the last ones."""
        companies = await self.prepare()
        self.say(f"demo: {len(companies)} companies ready ({', '.join(c.slug for c in companies)}); leads start now")
        deadline = time.monotonic() + minutes * 60
        running: set[asyncio.Task[None]] = set()

        async def guarded(company: Company) -> None:
            try:
                await self.lead(company)
            except (grpc.aio.AioRpcError, httpx.HTTPError, RuntimeError) as exc:
                self.report.failures.append(f"{company.slug}: {exc}")

        last_said = time.monotonic()
        while time.monotonic() < deadline:
            task = asyncio.create_task(guarded(self.rng.choice(companies)))
            running.add(task)
            task.add_done_callback(running.discard)
            await asyncio.sleep(self.rng.expovariate(rate))
            if time.monotonic() - last_said > 15:
                self.say(f"demo: {self.report.line()}")
                last_said = time.monotonic()
        if running:
            await asyncio.gather(*running)
        return self.report
