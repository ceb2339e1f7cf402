"""Dashboard API, manual ingest, auth, bad input, health and metrics through the real app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter

from gateway.middleware import BodyLimitMiddleware
from gateway.tests.builders import auth, token
from gateway.tests.conftest import Stack
from gateway.tests.fakes import BAD_PHONE
from libs.common.auth import Role, issue_token
from vertice360.ingest.v1 import ingest_pb2

API = "/api/demo/vertice360-orquestador"
JSON = {"Content-Type": "application/json"}


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) >= {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


# --- auth --------------------------------------------------------------------------------------


async def test_missing_forged_and_expired_tokens_are_401(stack: Stack) -> None:
    forged = issue_token("some-other-secret-0123456789-abcdef", tenant="acme", role=Role.ADMIN)
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Bearer {token(ttl=-10)}"},
    ):
        response = await stack.client.get(f"{API}/bootstrap", headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == "Bearer"


# --- bootstrap / dashboard / ticket -------------------------------------------------------------


async def test_bootstrap_combines_catalog_and_users(stack: Stack) -> None:
    response = await stack.client.get(f"{API}/bootstrap", headers=auth("acme"))
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == "acme"
    assert len(body["projects"]) == 3 and len(body["marketing_assets"]) == 3 and len(body["users"]) == 2
    assert body["projects"][0]["name"] == "Proyecto 1 acme"
    assert body["users"][1] == {
        "id": "u2",
        "name": "Sofía Supervisora",
        "email": "sofia@acme.test",
        "role": "supervisor",
        "active": True,
    }


async def test_dashboard_lists_tickets_with_filters_forwarded(stack: Stack) -> None:
    params = {
        "cliente": "acme",
        "stage": "Nuevo",
        "project": "P1",
        "assignee": "u1",
        "q": "juan",
        "limit": 20,
        "cursor": "c1",
    }
    response = await stack.client.get(f"{API}/dashboard", params=params, headers=auth("acme"))
    assert response.status_code == 200
    body = response.json()
    assert body["cliente"] == "acme"
    assert body["next_cursor"] == "cursor-2"
    sent = stack.services.ingest.last_list_tickets
    assert (sent.page_size, sent.page_token, sent.stage, sent.project_code, sent.assignee_user_id, sent.query) == (
        20,
        "c1",
        "Nuevo",
        "P1",
        "u1",
        "juan",
    )
    # The caller's own token was forwarded.
    assert stack.services.ingest.callers[-1].tenant == "acme"
    assert stack.services.ingest.callers[-1].role == Role.AGENT
    first, second = body["tickets"]
    assert first["ticket_id"] == "ticket-1"
    assert first["project"] == {"code": "P1", "name": "Torre Norte"}
    assert first["window_open"] is True
    assert first["unread_count"] == 2
    assert first["assignee_user_id"] is None
    assert first["visit_scheduled_at"] is None
    assert first["last_message_at"].endswith("Z")
    assert second["project"] is None
    assert second["window_open"] is False
    assert second["visit_scheduled_at"] == "2026-03-01T13:00:00Z"


async def test_dashboard_of_another_tenant_is_403(stack: Stack) -> None:
    response = await stack.client.get(f"{API}/dashboard", params={"cliente": "beta"}, headers=auth("acme"))
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "PERMISSION_DENIED",
        "message": "cliente is not the caller's tenant",
        "details": [{"field": "cliente"}],
    }


async def test_dashboard_query_errors_are_422_naming_the_field(stack: Stack) -> None:
    missing = await stack.client.get(f"{API}/dashboard", headers=auth("acme"))
    assert missing.status_code == 422
    assert error_of(missing)["details"][0]["field"] == "cliente"
    too_big = await stack.client.get(f"{API}/dashboard", params={"cliente": "acme", "limit": 5000}, headers=auth())
    assert too_big.status_code == 422
    assert error_of(too_big)["details"][0] == {
        "field": "limit",
        "location": "query",
        "reason": too_big.json()["error"]["details"][0]["reason"],
    }


async def test_ticket_detail_omits_parts_not_built_yet(stack: Stack) -> None:
    response = await stack.client.get(f"{API}/tickets/ticket-1", headers=auth("acme"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "messages", "events"}
    (message,) = body["messages"]
    assert (message["direction"], message["actor"], message["provider"], message["type"]) == (
        "in",
        "lead",
        "meta",
        "image",
    )
    assert message["media"]["caption"] == "Fachada"
    assert message["sent_at"] == "2026-02-19T01:23:53Z"
    assert body["events"][0]["correlation_id"] == "ticket-1"


async def test_unknown_ticket_is_404_with_the_field(stack: Stack) -> None:
    response = await stack.client.get(f"{API}/tickets/ticket-9", headers=auth("acme"))
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "NOT_FOUND",
        "message": "ticket not found",
        "details": [{"field": "ticket_id"}],
    }


# --- manual ingest ------------------------------------------------------------------------------


async def test_ingest_message_is_201_then_200_when_repeated(stack: Stack) -> None:
    body = {
        "phone": "1155551234",
        "text": "Hola, quiero info",
        "name": "Juan",
        "project_code": "P1",
        "message_id": "m-1",
    }
    first = await stack.client.post(f"{API}/ingest_message", json=body, headers=auth("acme"))
    assert first.status_code == 201
    reply = first.json()
    assert set(reply) == {"lead_id", "conversation_id", "ticket_id", "message_id", "duplicate", "phone_e164"}
    assert reply["duplicate"] is False
    second = await stack.client.post(f"{API}/ingest_message", json=body, headers=auth("acme"))
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["ticket_id"] == reply["ticket_id"]
    ((principal, message),) = stack.services.ingest.inbound
    assert principal.tenant == "acme"
    assert message.provider == ingest_pb2.PROVIDER_MANUAL
    assert message.type == ingest_pb2.MESSAGE_TYPE_TEXT
    assert (message.provider_message_id, message.from_phone, message.profile_name) == ("m-1", "1155551234", "Juan")
    assert message.project_code == "P1"
    assert message.HasField("sent_at")


async def test_ingest_message_without_id_gets_a_fresh_one_or_the_idempotency_key(stack: Stack) -> None:
    body = {"phone": "1155551234", "text": "hola"}
    await stack.client.post(f"{API}/ingest_message", json=body, headers=auth())
    await stack.client.post(f"{API}/ingest_message", json=body, headers=auth())
    keyed = {**auth(), "Idempotency-Key": "key-1"}
    await stack.client.post(f"{API}/ingest_message", json=body, headers=keyed)
    repeated = await stack.client.post(f"{API}/ingest_message", json=body, headers=keyed)
    assert repeated.status_code == 200
    ids = [message.provider_message_id for _, message in stack.services.ingest.inbound]
    assert len(ids) == 3 and len(set(ids)) == 3 and "key-1" in ids


async def test_ingest_message_bad_input_is_4xx_and_nothing_is_stored(stack: Stack) -> None:
    url = f"{API}/ingest_message"
    cases = [
        ({"text": "hola"}, 422, "phone"),
        ({"phone": "1155551234"}, 422, "text"),
        ({"phone": "1155551234", "text": ""}, 422, "text"),
        ({"phone": "1155551234", "text": "   "}, 422, "text"),
        ({"phone": "1155551234", "text": "x" * 4097}, 422, "text"),
        ({"phone": "11<script>", "text": "hola"}, 422, "phone"),
        ({"phone": 1155551234, "text": "hola"}, 422, "phone"),
        ([], 422, "body"),
    ]
    for body, status, field in cases:
        response = await stack.client.post(url, json=body, headers=auth())
        assert response.status_code == status, body
        assert field in [detail["field"] for detail in error_of(response)["details"]], body
    malformed = await stack.client.post(url, content=b'{"phone": ', headers={**auth(), **JSON})
    assert malformed.status_code == 400
    assert error_of(malformed)["code"] == "BAD_REQUEST"
    empty = await stack.client.post(url, content=b"", headers={**auth(), **JSON})
    assert empty.status_code == 422
    as_text = await stack.client.post(
        url, content=b'{"phone":"1","text":"x"}', headers={**auth(), "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    no_type = await stack.client.post(url, content=b'{"phone":"1","text":"x"}', headers=auth())
    assert no_type.status_code == 415
    assert stack.services.ingest.inbound == []


async def test_ingest_message_rejected_by_the_service_is_400_naming_the_field(stack: Stack) -> None:
    # The fake refuses this phone with INVALID_ARGUMENT + x-error-field, as the real service does.
    response = await stack.client.post(f"{API}/ingest_message", json={"phone": BAD_PHONE, "text": "x"}, headers=auth())
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "INVALID_ARGUMENT",
        "message": "phone is not a valid number",
        "details": [{"field": "from_phone"}],
    }


async def test_ingest_message_for_another_tenant_is_403(stack: Stack) -> None:
    response = await stack.client.post(
        f"{API}/ingest_message", json={"phone": "1155551234", "text": "x", "cliente": "beta"}, headers=auth("acme")
    )
    assert response.status_code == 403
    assert stack.services.ingest.inbound == []


# --- body size ---------------------------------------------------------------------------------


async def test_body_over_the_limit_is_413_by_content_length(stack: Stack) -> None:
    big = b"{" + b" " * stack.settings.max_body_bytes + b"}"
    response = await stack.client.post(f"{API}/ingest_message", content=big, headers={**auth(), **JSON})
    assert response.status_code == 413
    assert error_of(response)["code"] == "REQUEST_ENTITY_TOO_LARGE"
    signed = await stack.client.post("/webhooks/meta", content=big, headers={**JSON, "X-Hub-Signature-256": "sha256=0"})
    assert signed.status_code == 413


async def test_chunked_body_over_the_limit_is_413(stack: Stack) -> None:
    chunk = b" " * 65536
    chunks = stack.settings.max_body_bytes // len(chunk) + 2

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(chunks):
            yield chunk

    response = await stack.client.post("/webhooks/meta", content=stream(), headers=JSON)
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


async def test_healthz_is_200(stack: Stack) -> None:
    response = await stack.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_names_what_is_down(stack: Stack) -> None:
    response = await stack.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "UNAVAILABLE"
    assert {detail["check"] for detail in body["error"]["details"]} == {"postgres", "redis"}
    assert body["checks"]["ingest"] == body["checks"]["visits"] == body["checks"]["supervisor"] == "ok"
    assert "postgres" in body["error"]["message"]


async def test_readyz_is_200_when_every_check_passes(stack: Stack) -> None:
    async def fine() -> None:
        return None

    checks = stack.app.state.ready_checks
    checks["postgres"] = checks["redis"] = fine
    response = await stack.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"postgres": "ok", "redis": "ok", "ingest": "ok", "visits": "ok", "supervisor": "ok"},
    }


async def test_readyz_fails_when_a_service_is_not_serving(stack: Stack) -> None:
    async def fine() -> None:
        return None

    checks = stack.app.state.ready_checks
    checks["postgres"] = checks["redis"] = fine
    await stack.services.stop()
    response = await stack.client.get("/readyz")
    assert response.status_code == 503
    assert {detail["check"] for detail in response.json()["error"]["details"]} == {"ingest", "visits", "supervisor"}


async def test_metrics_has_latency_by_route_template(stack: Stack) -> None:
    await stack.client.get(f"{API}/tickets/ticket-1", headers=auth())
    text = (await stack.client.get("/metrics")).text
    assert (
        'v360_http_request_duration_seconds_count{method="GET",'
        'route="/api/demo/vertice360-orquestador/tickets/{ticket_id}",status_code="200"}'
    ) in text


async def test_unknown_route_and_method_use_the_error_body(stack: Stack) -> None:
    assert error_of(await stack.client.get("/nope"))["code"] == "NOT_FOUND"
    assert error_of(await stack.client.delete("/healthz"))["code"] == "METHOD_NOT_ALLOWED"


async def test_unexpected_exception_is_a_500_error_body(stack: Stack) -> None:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    stack.app.include_router(router)
    response = await stack.client.get("/boom")
    assert response.status_code == 500
    assert error_of(response) == {"code": "INTERNAL", "message": "internal error", "details": []}


async def test_openapi_docs_are_served(stack: Stack) -> None:
    assert (await stack.client.get("/docs")).status_code == 200
    paths = (await stack.client.get("/openapi.json")).json()["paths"]
    assert f"{API}/ingest_message" in paths and "/webhooks/meta" in paths
