"""Delivery rules without I/O: circuit breaker, provider request shapes and errors, reply checks."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import ValidationError

from libs.common.errors import InvalidArgument
from services.supervisor.delivery import CircuitBreaker
from services.supervisor.models import Button, ListRow, ProviderAccount, ReplyList, ReplyRequest, Template
from services.supervisor.providers import Outgoing, gupshup_error, gupshup_request, meta_body, meta_error
from services.supervisor.service import _checked_reply, request_hash, window_open
from services.supervisor.settings import SupervisorSettings

TO = "+5491155551234"


def message(**fields: object) -> Outgoing:
    values: dict[str, object] = {
        "outbound_id": uuid.UUID(int=7),
        "tenant": "acme",
        "to_e164": TO,
        "kind": "text",
        "text": "Hola",
    }
    values.update(fields)
    return Outgoing(**values)  # type: ignore[arg-type]


def reply(text: str = "", template: Template | None = None, buttons: list[Button] | None = None) -> ReplyRequest:
    return ReplyRequest(
        ticket_id=str(uuid.uuid4()), text=text, template=template, buttons=buttons or [], idempotency_key=""
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_half_opens_for_one_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=3, open_seconds=10, clock=clock)
    for _ in range(2):
        assert breaker.before_call() == 0
        breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open"
    assert breaker.before_call() == pytest.approx(10)
    clock.now += 4
    assert breaker.before_call() == pytest.approx(6)
    clock.now += 6
    assert breaker.before_call() == 0  # the one trial call
    assert breaker.state == "half_open"
    assert breaker.before_call() > 0  # everyone else waits for the trial
    breaker.failure()
    assert breaker.state == "open"  # a failed trial opens it again at once
    clock.now += 10
    assert breaker.before_call() == 0
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.before_call() == 0


def test_breaker_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failures_to_open=2, open_seconds=10, clock=Clock())
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == "closed"


def test_abandoned_trial_lets_the_next_call_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=1, open_seconds=1, clock=clock)
    breaker.failure()
    clock.now += 1
    assert breaker.before_call() == 0
    breaker.abandon()
    assert breaker.before_call() == 0


def test_meta_bodies() -> None:
    head = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5491155551234"}
    assert meta_body(message()) == {**head, "type": "text", "text": {"body": "Hola"}}
    template = {"name": "visita_recordatorio", "language": "es_AR", "parameters": ["Lucía", "mañana 10:00"]}
    assert meta_body(message(kind="template", text="", template=template)) == {
        **head,
        "type": "template",
        "template": {
            "name": "visita_recordatorio",
            "language": {"code": "es_AR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Lucía"}, {"type": "text", "text": "mañana 10:00"}],
                }
            ],
        },
    }
    bare = meta_body(message(kind="template", template={"name": "hola", "language": "es", "parameters": []}))
    assert bare["template"] == {"name": "hola", "language": {"code": "es"}}
    buttons = [{"id": "confirm", "title": "Confirmo"}, {"id": "move", "title": "Otro día"}]
    assert meta_body(message(kind="interactive", text="¿Te sirve?", buttons=buttons)) == {
        **head,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "¿Te sirve?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "confirm", "title": "Confirmo"}},
                    {"type": "reply", "reply": {"id": "move", "title": "Otro día"}},
                ]
            },
        },
    }


def test_gupshup_forms() -> None:
    account = ProviderAccount(provider="gupshup", sender_id="917834811114", secret="k", app_name="Acme", base_url="")
    path, form = gupshup_request(account, message())
    assert path == "/wa/api/v1/msg"
    assert {k: v for k, v in form.items() if k != "message"} == {
        "channel": "whatsapp",
        "source": "917834811114",
        "destination": "5491155551234",
        "src.name": "Acme",
    }
    assert json.loads(form["message"]) == {"type": "text", "text": "Hola"}
    _, form = gupshup_request(account, message(kind="interactive", buttons=[{"id": "ok", "title": "Sí"}]))
    assert json.loads(form["message"]) == {
        "type": "quick_reply",
        "msgid": str(uuid.UUID(int=7)),
        "content": {"type": "text", "text": "Hola"},
        "options": [{"type": "text", "title": "Sí", "postbackText": "ok"}],
    }
    template = {"name": "c6aecef6-bcb0", "language": "es", "parameters": ["a", "b"]}
    path, form = gupshup_request(account, message(kind="template", template=template))
    assert path == "/wa/api/v1/template/msg"
    assert json.loads(form["template"]) == {"id": "c6aecef6-bcb0", "params": ["a", "b"]}
    assert "message" not in form


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_meta_errors_split_permanent_from_passing() -> None:
    window = meta_error(
        _response(
            400,
            {
                "error": {
                    "message": "(#131047) Re-engagement message",
                    "code": 131047,
                    "error_data": {"details": "More than 24 hours have passed"},
                }
            },
        )
    )
    assert (window.code, window.title, window.retryable) == ("131047", "Re-engagement message", False)
    assert window.detail == "More than 24 hours have passed"
    throttled = meta_error(_response(400, {"error": {"message": "(#130429) Rate limit hit", "code": 130429}}))
    assert throttled.retryable
    assert meta_error(_response(503, {})).retryable
    limited = meta_error(_response(429, {"error": {"code": 4}}, {"Retry-After": "7"}))
    assert limited.retryable and limited.retry_after == 7
    assert meta_error(httpx.Response(502, text="<html>bad gateway</html>")).code == "502"


def test_gupshup_errors() -> None:
    auth = gupshup_error(_response(401, {"status": "error", "message": "Authentication Failed"}))
    assert (auth.code, auth.title, auth.retryable) == ("401", "Authentication Failed", False)
    assert gupshup_error(_response(500, {"status": "error", "message": "oops"})).retryable


def test_window() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert window_open(now - timedelta(hours=23, minutes=59), now=now)
    assert not window_open(now - timedelta(hours=24), now=now)
    assert not window_open(None, now=now)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (reply(), "text"),
        (reply("   "), "text"),
        (reply("hola", template=Template(name="t", language="es")), "text"),
        (reply(template=Template(name="bad name", language="es")), "template.name"),
        (reply(template=Template(name="t", language="spanish")), "template.language"),
        (reply(template=Template(name="t", language="es", parameters=[""])), "template.parameters"),
        (reply(template=Template(name="t", language="es"), buttons=[Button("a", "A")]), "buttons"),
        (reply("x" * 4097), "text"),
        (reply("x" * 1025, buttons=[Button("a", "A")]), "text"),
        (reply("hola", buttons=[Button(str(i), str(i)) for i in range(4)]), "buttons"),
        (reply("hola", buttons=[Button("a", "x" * 21)]), "buttons"),
        (reply("hola", buttons=[Button("", "A")]), "buttons"),
        (reply("hola", buttons=[Button("a", "A"), Button("a", "B")]), "buttons"),
    ],
)
def test_bad_replies_are_refused(request_: ReplyRequest, field: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        _checked_reply(request_)
    assert exc.value.field == field


def test_reply_kinds_and_defaults() -> None:
    assert _checked_reply(reply(" hola "))["text"] == "hola"
    template = _checked_reply(reply(template=Template(name="seguimiento", language="", parameters=["Ana"])))
    assert template["kind"] == "template"
    assert template["template"] == {"name": "seguimiento", "language": "es_AR", "parameters": ["Ana"]}
    assert template["text"] == "[template seguimiento] Ana"
    assert _checked_reply(reply("¿Vamos?", buttons=[Button("si", "Sí")]))["kind"] == "interactive"


def test_request_hash_tells_replies_apart() -> None:
    ticket = uuid.uuid4()
    assert request_hash(ticket, _checked_reply(reply("hola"))) == request_hash(ticket, _checked_reply(reply("hola")))
    assert request_hash(ticket, _checked_reply(reply("hola"))) != request_hash(ticket, _checked_reply(reply("chau")))
    assert request_hash(ticket, _checked_reply(reply("hola"))) != request_hash(
        uuid.uuid4(), _checked_reply(reply("hola"))
    )


def test_settings_defaults_and_checks() -> None:
    settings = SupervisorSettings()
    assert settings.ingest_target == "127.0.0.1:50051"
    assert settings.meta_graph_base_url == "https://graph.facebook.com/v21.0"
    assert settings.delivery_provider_override == ""
    with pytest.raises(ValidationError):
        SupervisorSettings(DELIVERY_PROVIDER_OVERRIDE="meta")
    with pytest.raises(ValidationError):
        SupervisorSettings(DELIVERY_LEASE_SECONDS=10, PROVIDER_TIMEOUT_SECONDS=10)
    with pytest.raises(ValidationError):
        SupervisorSettings(META_GRAPH_BASE_URL="graph.facebook.com")


MENU = {
    "button": "Ver horarios",
    "section": "Horarios disponibles",
    "rows": [{"id": "v360v:s:abc", "title": "Jue 05/02 10:00", "description": "Visita de 60 min"}],
}


def test_list_messages_for_meta_and_gupshup() -> None:
    assert meta_body(message(kind="list", text="Elegí un horario", list_menu=MENU))["interactive"] == {
        "type": "list",
        "body": {"text": "Elegí un horario"},
        "action": {
            "button": "Ver horarios",
            "sections": [
                {
                    "title": "Horarios disponibles",
                    "rows": [{"id": "v360v:s:abc", "title": "Jue 05/02 10:00", "description": "Visita de 60 min"}],
                }
            ],
        },
    }
    account = ProviderAccount(provider="gupshup", sender_id="917834811114", secret="k", app_name="Acme", base_url="")
    path, form = gupshup_request(account, message(kind="list", text="Elegí un horario", list_menu=MENU))
    assert path == "/wa/api/v1/msg"
    assert json.loads(form["message"]) == {
        "type": "list",
        "title": "",
        "body": "Elegí un horario",
        "msgid": str(uuid.UUID(int=7)),
        "globalButtons": [{"type": "text", "title": "Ver horarios"}],
        "items": [
            {
                "title": "Horarios disponibles",
                "subtitle": "",
                "options": [
                    {
                        "type": "text",
                        "title": "Jue 05/02 10:00",
                        "description": "Visita de 60 min",
                        "postbackText": "v360v:s:abc",
                    }
                ],
            }
        ],
    }


def listing(rows: list[ListRow], button: str = "Ver horarios", section: str = "Horarios") -> ReplyRequest:
    request = reply("Elegí")
    request.list_menu = ReplyList(button=button, section_title=section, rows=rows)
    return request


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (listing([ListRow(str(i), "t", "") for i in range(11)]), "list.rows"),
        (listing([]), "list.rows"),
        (listing([ListRow("a", "x" * 25, "")]), "list.rows[0].title"),
        (listing([ListRow("a", "t", "d" * 73)]), "list.rows[0].description"),
        (listing([ListRow("a" * 201, "t", "")]), "list.rows[0].id"),
        (listing([ListRow("a", "t", ""), ListRow("a", "u", "")]), "list.rows"),
        (listing([ListRow("a", "t", "")], button="x" * 21), "list.button"),
        (listing([ListRow("a", "t", "")], section="x" * 25), "list.section_title"),
    ],
)
def test_bad_lists_are_refused(request_: ReplyRequest, field: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        _checked_reply(request_)
    assert exc.value.field == field


def test_a_good_list() -> None:
    checked = _checked_reply(listing([ListRow(f"v360v:s:{i}", f"Jue {i}", "60 min") for i in range(10)]))
    assert checked["kind"] == "list" and len(checked["list_menu"]["rows"]) == 10
