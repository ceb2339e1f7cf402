"""Dashboard API, manual ingest, auth, bad input, health and metrics through the real app and services."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter

from gateway.middleware import BodyLimitMiddleware
from gateway.tests.builders import JSON
from gateway.tests.conftest import API, Gateway, serving
from libs.common.auth import Role, issue_token
from tests.support.builders import a_phone, inbound, timestamp
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

pytestmark = pytest.mark.integration
# Nothing listens on port 1: Postgres and Redis readiness fail fast.
CLOSED_PORT_DB = "postgresql://postgres@127.0.0.1:1/postgres"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) >= {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


async def ingest(gateway: Gateway, tenant: str, body: dict, **headers: str) -> httpx.Response:
    return await gateway.client.post(f"{API}/ingest_message", json=body, headers={**gateway.auth(tenant), **headers})


async def add_catalog(stack: Stack, tenant: str) -> None:
    admin = stack.md(tenant, Role.ADMIN, "admin-1")
    for i in (1, 2, 3):
        await stack.ingest.UpsertProject(
            ingest_pb2.UpsertProjectRequest(
                project=ingest_pb2.Project(code=f"P{i}", name=f"Proyecto {i}", location="CABA")
            ),
            metadata=admin,
            timeout=10,
        )
        await stack.ingest.UpsertMarketingAsset(
            ingest_pb2.UpsertMarketingAssetRequest(
                asset=ingest_pb2.MarketingAsset(code=f"A{i}", name=f"Aviso {i}", keyword=f"kw{i}", project_code="P1")
            ),
            metadata=admin,
            timeout=10,
        )


# --- auth --------------------------------------------------------------------------------------


async def test_missing_forged_and_expired_tokens_are_401(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    forged = issue_token("some-other-secret-0123456789-abcdef", tenant=tenant, role=Role.ADMIN)
    expired = gateway.token(tenant, ttl=-10)
    for path in ("/bootstrap", f"/dashboard?cliente={tenant}", f"/tickets/{uuid.uuid4()}", "/ingest_message"):
        for headers in (
            {},
            {"Authorization": "Basic abc"},
            {"Authorization": f"Bearer {forged}"},
            {"Authorization": f"Bearer {expired}"},
        ):
            if path == "/ingest_message":
                response = await gateway.client.post(
                    f"{API}{path}", headers=headers, json={"phone": a_phone(), "text": "hola"}
                )
            else:
                response = await gateway.client.get(f"{API}{path}", headers=headers)
            assert response.status_code == 401, (path, headers)
            assert error_of(response)["code"] == "UNAUTHENTICATED"
            assert response.headers["www-authenticate"] == "Bearer"
    assert await gateway.tickets(tenant) == []


async def test_another_tenants_data_is_403_or_not_found(gateway: Gateway) -> None:
    owner, intruder = await gateway.stack.new_tenant(), await gateway.stack.new_tenant()
    stored = await ingest(gateway, owner, {"phone": a_phone(), "text": "hola"})
    dashboard = await gateway.client.get(f"{API}/dashboard", params={"cliente": owner}, headers=gateway.auth(intruder))
    assert dashboard.status_code == 403
    assert error_of(dashboard) == {
        "code": "PERMISSION_DENIED",
        "message": "cliente is not the caller's tenant",
        "details": [{"field": "cliente"}],
    }
    # The ticket id alone gives nothing away: to another tenant it does not exist.
    detail = await gateway.client.get(
        f"{API}/tickets/{stored.json()['ticket_id']}", headers=gateway.auth(intruder, Role.ADMIN)
    )
    assert detail.status_code == 404
    assert await gateway.tickets(intruder) == []


# --- bootstrap / dashboard / ticket -------------------------------------------------------------


async def test_bootstrap_combines_catalog_and_users(gateway: Gateway) -> None:
    stack = gateway.stack
    tenant = await stack.new_tenant()
    await add_catalog(stack, tenant)
    for name, email, role in (
        ("Ana Agente", "ana@acme.test", supervisor_pb2.ROLE_AGENT),
        ("Sofía Supervisora", "sofia@acme.test", supervisor_pb2.ROLE_SUPERVISOR),
    ):
        await stack.supervisor.UpsertUser(
            supervisor_pb2.UpsertUserRequest(user=supervisor_pb2.User(name=name, email=email, role=role, active=True)),
            metadata=stack.md(tenant, Role.ADMIN, "admin-1"),
            timeout=10,
        )
    other = await stack.new_tenant()
    await add_catalog(stack, other)

    response = await gateway.client.get(f"{API}/bootstrap", headers=gateway.auth(tenant))
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == tenant
    assert sorted(project["code"] for project in body["projects"]) == ["P1", "P2", "P3"]
    assert {project["name"] for project in body["projects"]} == {"Proyecto 1", "Proyecto 2", "Proyecto 3"}
    assert sorted(asset["code"] for asset in body["marketing_assets"]) == ["A1", "A2", "A3"]
    (asset,) = [asset for asset in body["marketing_assets"] if asset["code"] == "A1"]
    assert (asset["keyword"], asset["project_code"], asset["channel"]) == ("kw1", "P1", "whatsapp")
    users = {user["email"]: user for user in body["users"]}
    assert set(users) == {"ana@acme.test", "sofia@acme.test"}
    sofia = users["sofia@acme.test"]
    assert sofia == {
        "id": sofia["id"],
        "name": "Sofía Supervisora",
        "email": "sofia@acme.test",
        "role": "supervisor",
        "active": True,
    }
    uuid.UUID(sofia["id"])


async def test_dashboard_lists_the_tenants_tickets_filtered_and_paginated(gateway: Gateway) -> None:
    stack = gateway.stack
    tenant = await stack.new_tenant()
    await add_catalog(stack, tenant)
    juan = await ingest(
        gateway,
        tenant,
        {"phone": "1155551234", "text": "Hola, quiero info", "name": "Juan Pérez", "project_code": "P1"},
    )
    assert juan.status_code == 201, juan.text
    # Ana wrote two days ago: the 24 h window is closed; then her visit was confirmed and assigned.
    ana = await stack.ingest.IngestMessage(
        inbound("5491166667777", "[imagen]", profile_name="Ana", at=datetime(2026, 2, 1, 12, tzinfo=UTC)),
        metadata=stack.md(tenant),
        timeout=10,
    )
    await stack.ingest.ApplyTicketUpdate(
        ingest_pb2.ApplyTicketUpdateRequest(
            ticket_id=ana.ticket_id,
            dedupe_key=f"visit.confirmed:{ana.ticket_id}",
            event_type="visit.confirmed",
            stage="Visita confirmada",
            visit_scheduled_at=timestamp(datetime(2026, 3, 1, 13, tzinfo=UTC)),
            assignee_user_id="u1",
        ),
        metadata=stack.md(tenant),
        timeout=10,
    )
    other = await stack.new_tenant()
    await ingest(gateway, other, {"phone": "1155551234", "text": "de otro cliente"})

    everything = await gateway.tickets(tenant)
    assert [ticket["lead_name"] for ticket in everything] == ["Juan Pérez", "Ana"]
    first, second = everything
    assert first["ticket_id"] == juan.json()["ticket_id"]
    assert first["project"] == {"code": "P1", "name": "Proyecto 1"}
    assert (first["phone_e164"], first["stage"], first["last_message_snippet"]) == (
        "+5491155551234",
        "Nuevo",
        "Hola, quiero info",
    )
    assert (first["window_open"], first["unread_count"], first["assignee_user_id"]) == (True, 1, None)
    assert first["visit_scheduled_at"] is None
    assert first["last_message_at"].endswith("Z")
    assert second["project"] is None
    assert (second["window_open"], second["stage"], second["assignee_user_id"]) == (False, "Visita confirmada", "u1")
    assert second["visit_scheduled_at"] == "2026-03-01T13:00:00Z"
    assert second["last_inbound_at"] == "2026-02-01T12:00:00Z"

    async def names(**params: str | int) -> list[str]:
        return [ticket["lead_name"] for ticket in await gateway.tickets(tenant, **params)]

    assert await names(project="P1") == ["Juan Pérez"]
    assert await names(stage="Visita confirmada") == ["Ana"]
    assert await names(assignee="u1") == ["Ana"]
    assert await names(q="juan") == ["Juan Pérez"]
    assert await names(q="6666") == ["Ana"]
    assert await names(project="P2") == []

    page = await gateway.client.get(
        f"{API}/dashboard", params={"cliente": tenant, "limit": 1}, headers=gateway.auth(tenant)
    )
    assert [ticket["lead_name"] for ticket in page.json()["tickets"]] == ["Juan Pérez"]
    cursor = page.json()["next_cursor"]
    assert cursor
    rest = await gateway.client.get(
        f"{API}/dashboard", params={"cliente": tenant, "limit": 1, "cursor": cursor}, headers=gateway.auth(tenant)
    )
    assert [ticket["lead_name"] for ticket in rest.json()["tickets"]] == ["Ana"]
    last = await gateway.client.get(
        f"{API}/dashboard",
        params={"cliente": tenant, "limit": 1, "cursor": rest.json()["next_cursor"]},
        headers=gateway.auth(tenant),
    )
    assert (last.json()["tickets"], last.json()["next_cursor"]) == ([], None)


async def test_dashboard_query_errors_are_4xx_naming_the_field(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    missing = await gateway.client.get(f"{API}/dashboard", headers=gateway.auth(tenant))
    assert missing.status_code == 422
    assert error_of(missing)["details"][0]["field"] == "cliente"
    too_big = await gateway.client.get(
        f"{API}/dashboard", params={"cliente": tenant, "limit": 5000}, headers=gateway.auth(tenant)
    )
    assert too_big.status_code == 422
    assert error_of(too_big)["details"][0] == {
        "field": "limit",
        "location": "query",
        "reason": too_big.json()["error"]["details"][0]["reason"],
    }
    # A cursor the service can't read is its INVALID_ARGUMENT, naming the field it was given as.
    bad_cursor = await gateway.client.get(
        f"{API}/dashboard", params={"cliente": tenant, "cursor": "nope"}, headers=gateway.auth(tenant)
    )
    assert bad_cursor.status_code == 400
    assert error_of(bad_cursor)["details"] == [{"field": "page_token"}]


async def test_ticket_detail_shows_the_timeline(gateway: Gateway) -> None:
    stack = gateway.stack
    tenant = await stack.new_tenant()
    media = ingest_pb2.Media(provider_media_id="123", mime_type="image/jpeg", caption="Fachada")
    stored = await stack.ingest.IngestMessage(
        inbound(
            a_phone(),
            "[imagen] Fachada",
            wamid="wamid.1",
            at=datetime(2026, 2, 19, 1, 23, 53, tzinfo=UTC),
            type=ingest_pb2.MESSAGE_TYPE_IMAGE,
            media=media,
        ),
        metadata=stack.md(tenant),
        timeout=10,
    )
    response = await gateway.client.get(f"{API}/tickets/{stored.ticket_id}", headers=gateway.auth(tenant))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "messages", "events", "visits", "outbound_messages"}
    assert body["ticket"]["ticket_id"] == stored.ticket_id
    (message,) = body["messages"]
    assert (message["direction"], message["actor"], message["provider"], message["type"]) == (
        "in",
        "lead",
        "meta",
        "image",
    )
    assert (message["id"], message["provider_message_id"], message["text"]) == (
        stored.message_id,
        "wamid.1",
        "[imagen] Fachada",
    )
    assert message["media"] == {
        "provider_media_id": "123",
        "url": "",
        "mime_type": "image/jpeg",
        "sha256": "",
        "filename": "",
        "caption": "Fachada",
    }
    assert message["sent_at"] == "2026-02-19T01:23:53Z"
    (event,) = body["events"]
    assert (event["type"], event["correlation_id"]) == ("message.received", stored.ticket_id)
    assert event["payload"]["message_id"] == stored.message_id
    assert body["visits"] == {"proposals": [], "confirmations": [], "lead_no_shows": 0}
    assert body["outbound_messages"] == []


async def test_unknown_ticket_is_404_and_a_malformed_id_400_naming_the_field(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    unknown = await gateway.client.get(f"{API}/tickets/{uuid.uuid4()}", headers=gateway.auth(tenant))
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "NOT_FOUND"
    malformed = await gateway.client.get(f"{API}/tickets/ticket-9", headers=gateway.auth(tenant))
    assert malformed.status_code == 400
    assert error_of(malformed)["details"] == [{"field": "ticket_id"}]


# --- manual ingest ------------------------------------------------------------------------------


async def test_ingest_message_is_201_then_200_when_repeated(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    await add_catalog(gateway.stack, tenant)
    body = {
        "phone": "1155551234",
        "text": "Hola, quiero info",
        "name": "Juan",
        "project_code": "P1",
        "message_id": "m-1",
    }
    first = await ingest(gateway, tenant, body)
    assert first.status_code == 201
    reply = first.json()
    assert set(reply) == {"lead_id", "conversation_id", "ticket_id", "message_id", "duplicate", "phone_e164"}
    assert (reply["duplicate"], reply["phone_e164"]) == (False, "+5491155551234")
    second = await ingest(gateway, tenant, body)
    assert second.status_code == 200
    assert second.json() == {**reply, "duplicate": True}

    detail = await gateway.ticket(tenant, reply["ticket_id"])
    assert detail["ticket"]["project"] == {"code": "P1", "name": "Proyecto 1"}
    assert detail["ticket"]["lead_name"] == "Juan"
    (message,) = detail["messages"]
    assert (message["id"], message["provider"], message["type"], message["provider_message_id"], message["text"]) == (
        reply["message_id"],
        "manual",
        "text",
        "m-1",
        "Hola, quiero info",
    )
    assert message["sent_at"] is not None
    assert len(detail["events"]) == 1


async def test_ingest_message_without_id_gets_a_fresh_one_or_the_idempotency_key(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    body = {"phone": "1155551234", "text": "hola"}
    assert (await ingest(gateway, tenant, body)).status_code == 201
    assert (await ingest(gateway, tenant, body)).status_code == 201
    keyed = await ingest(gateway, tenant, body, **{"Idempotency-Key": "key-1"})
    repeated = await ingest(gateway, tenant, body, **{"Idempotency-Key": "key-1"})
    assert (keyed.status_code, repeated.status_code) == (201, 200)
    detail = await gateway.only_ticket(tenant)
    ids = [message["provider_message_id"] for message in detail["messages"]]
    assert len(ids) == 3 and len(set(ids)) == 3 and "key-1" in ids


async def test_ingest_message_bad_input_is_4xx_naming_the_field_and_nothing_is_stored(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    url = f"{API}/ingest_message"
    auth = gateway.auth(tenant)
    cases = [
        ({"text": "hola"}, 422, "phone"),
        ({"phone": "1155551234"}, 422, "text"),
        ({"phone": "1155551234", "text": ""}, 422, "text"),
        ({"phone": "1155551234", "text": "   "}, 422, "text"),
        ({"phone": "1155551234", "text": "x" * 4097}, 422, "text"),
        ({"phone": "11<script>", "text": "hola"}, 422, "phone"),
        ({"phone": 1155551234, "text": "hola"}, 422, "phone"),
        ({"phone": "1155551234", "text": "hola", "message_id": ""}, 422, "message_id"),
        ([], 422, "body"),
        # Shaped like a phone, but no number: the service's INVALID_ARGUMENT names its field.
        ({"phone": "0000000", "text": "hola"}, 400, "phone"),
        ({"phone": "1155551234", "text": "hola", "project_code": "NOPE"}, 404, "project_code"),
    ]
    for body, status, field in cases:
        response = await gateway.client.post(url, json=body, headers=auth)
        assert response.status_code == status, (body, response.text)
        assert field in [detail["field"] for detail in error_of(response)["details"]], body
    malformed = await gateway.client.post(url, content=b'{"phone": ', headers={**auth, **JSON})
    assert malformed.status_code == 400
    assert error_of(malformed)["code"] == "BAD_REQUEST"
    empty = await gateway.client.post(url, content=b"", headers={**auth, **JSON})
    assert empty.status_code == 422
    as_text = await gateway.client.post(
        url, content=b'{"phone":"1155551234","text":"x"}', headers={**auth, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    no_type = await gateway.client.post(url, content=b'{"phone":"1155551234","text":"x"}', headers=auth)
    assert no_type.status_code == 415
    assert await gateway.tickets(tenant) == []


async def test_ingest_message_rejected_by_the_service_is_400_with_its_message(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    response = await ingest(gateway, tenant, {"phone": "0000000", "text": "x"})
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "INVALID_ARGUMENT",
        "message": "phone is not a valid number",
        "details": [{"field": "phone"}],
    }


async def test_ingest_message_for_another_tenant_is_403(gateway: Gateway) -> None:
    tenant, other = await gateway.stack.new_tenant(), await gateway.stack.new_tenant()
    response = await ingest(gateway, tenant, {"phone": "1155551234", "text": "x", "cliente": other})
    assert response.status_code == 403
    assert error_of(response)["details"] == [{"field": "cliente"}]
    assert await gateway.tickets(tenant) == [] and await gateway.tickets(other) == []


# --- body size ---------------------------------------------------------------------------------


async def test_body_over_the_limit_is_413_by_content_length(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    big = b"{" + b" " * gateway.settings.max_body_bytes + b"}"
    response = await gateway.client.post(f"{API}/ingest_message", content=big, headers={**gateway.auth(tenant), **JSON})
    assert response.status_code == 413
    assert error_of(response)["code"] == "REQUEST_ENTITY_TOO_LARGE"
    signed = await gateway.client.post(
        "/webhooks/meta", content=big, headers={**JSON, "X-Hub-Signature-256": "sha256=0"}
    )
    assert signed.status_code == 413
    assert await gateway.tickets(tenant) == []


async def test_chunked_body_over_the_limit_is_413(gateway: Gateway) -> None:
    chunk = b" " * 65536
    chunks = gateway.settings.max_body_bytes // len(chunk) + 2

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(chunks):
            yield chunk

    response = await gateway.client.post("/webhooks/meta", content=stream(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_lying_content_length_is_caught_by_counting_bytes() -> None:
    seen: list[bytes] = []

    async def app(scope, receive, send) -> None:
        seen.append((await receive())["body"])

    limited = BodyLimitMiddleware(app, max_body_bytes=10)
    messages = [
        {"type": "http.request", "body": b"12345", "more_body": True},
        {"type": "http.request", "body": b"67890", "more_body": True},
        {"type": "http.request", "body": b"X", "more_body": False},
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-length", b"5")]}
    await limited(scope, receive, send)
    assert seen == []
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "REQUEST_ENTITY_TOO_LARGE"


async def test_body_at_the_limit_passes_through_unchanged() -> None:
    seen: list[bytes] = []

    async def app(scope, receive, send) -> None:
        seen.append((await receive())["body"])

    limited = BodyLimitMiddleware(app, max_body_bytes=10)
    messages = [
        {"type": "http.request", "body": b"12345", "more_body": True},
        {"type": "http.request", "body": b"67890", "more_body": False},
    ]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        raise AssertionError("the app answers, not the middleware")

    await limited({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
    assert seen == [b"1234567890"]


# --- health, readiness, metrics, unknown routes, crashes ------------------------------------------


async def test_healthz_is_200(gateway: Gateway) -> None:
    response = await gateway.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readiness_is_200_per_route_group_when_its_dependencies_answer(gateway: Gateway) -> None:
    response = await gateway.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"postgres": "ok", "ingest": "ok"}}
    response = await gateway.client.get("/readyz/dashboard")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"postgres": "ok", "redis": "ok", "ingest": "ok", "visits": "ok", "supervisor": "ok"},
    }


async def test_readiness_names_what_is_down(gateway: Gateway) -> None:
    cut_off_env = {"DATABASE_URL": CLOSED_PORT_DB, "REDIS_URL": CLOSED_PORT_REDIS, "READY_CHECK_TIMEOUT_SECONDS": 0.3}
    async with serving(gateway.stack, **cut_off_env) as cut_off:
        intake = await cut_off.client.get("/readyz")
        response = await cut_off.client.get("/readyz/dashboard")
    assert intake.status_code == 503
    assert {detail["check"] for detail in intake.json()["error"]["details"]} == {"postgres"}
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "UNAVAILABLE"
    assert {detail["check"] for detail in body["error"]["details"]} == {"postgres", "redis"}
    assert body["checks"]["ingest"] == body["checks"]["visits"] == body["checks"]["supervisor"] == "ok"
    assert "postgres" in body["error"]["message"]
    assert "127.0.0.1:1" not in response.text + intake.text


async def test_metrics_has_latency_by_route_template(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    stored = await ingest(gateway, tenant, {"phone": a_phone(), "text": "hola"})
    await gateway.ticket(tenant, stored.json()["ticket_id"])
    text = gateway.metrics_text()
    assert (
        'v360_http_request_duration_seconds_count{method="GET",'
        'route="/api/demo/vertice360-orquestador/tickets/{ticket_id}",status_code="200"}'
    ) in text
    assert stored.json()["ticket_id"] not in text


async def test_unknown_route_and_method_use_the_error_body(gateway: Gateway) -> None:
    assert error_of(await gateway.client.get("/nope"))["code"] == "NOT_FOUND"
    assert error_of(await gateway.client.delete("/healthz"))["code"] == "METHOD_NOT_ALLOWED"


async def test_unexpected_exception_is_a_500_error_body(gateway: Gateway) -> None:
    async with serving(gateway.stack) as private:
        router = APIRouter()

        @router.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internals")

        private.app.include_router(router)
        response = await private.client.get("/boom")
    assert response.status_code == 500
    assert error_of(response) == {"code": "INTERNAL", "message": "internal error", "details": []}
    assert "secret internals" not in response.text


async def test_openapi_docs_are_served(gateway: Gateway) -> None:
    assert (await gateway.client.get("/docs")).status_code == 200
    paths = (await gateway.client.get("/openapi.json")).json()["paths"]
    assert f"{API}/ingest_message" in paths and "/webhooks/meta" in paths
