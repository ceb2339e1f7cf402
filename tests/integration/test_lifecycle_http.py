"""The ticket lifecycle and message templates through the gateway over HTTP, against the real services."""

from __future__ import annotations

import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.gateway import PREFIX, Api

pytestmark = pytest.mark.integration


async def a_ticket(api: Api, tenant: str) -> str:
    stored = await api.stack.ingest.IngestMessage(inbound(a_phone(), "hola"), metadata=api.stack.md(tenant))
    return stored.ticket_id


async def test_outcomes_and_notes_over_http(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    ticket_id = await a_ticket(api, tenant)
    agent = api.auth(tenant, Role.AGENT, "agent-1")
    done = await api.client.post(f"{PREFIX}/tickets/{ticket_id}/outcome", json={"outcome": "visit_done"}, headers=agent)
    assert done.status_code == 400 and done.json()["error"]["details"] == [{"field": "outcome"}]
    bad = await api.client.post(
        f"{PREFIX}/tickets/{ticket_id}/outcome", json={"outcome": "lost", "lost_reason": "aburrido"}, headers=agent
    )
    assert bad.status_code == 400 and bad.json()["error"]["details"] == [{"field": "lost_reason"}]
    won = await api.client.post(
        f"{PREFIX}/tickets/{ticket_id}/outcome",
        json={"outcome": "won"},
        headers={**agent, "Idempotency-Key": "won-1"},
    )
    assert won.status_code == 200 and won.json()["stage"] == "Ganado"
    note = {"text": "Firmó la reserva"}
    first = await api.client.post(
        f"{PREFIX}/tickets/{ticket_id}/notes", json=note, headers={**agent, "Idempotency-Key": "n-1"}
    )
    again = await api.client.post(
        f"{PREFIX}/tickets/{ticket_id}/notes", json=note, headers={**agent, "Idempotency-Key": "n-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["note_id"] == again.json()["note_id"] and first.json()["author_user_id"] == "agent-1"
    other = await api.stack.new_tenant()
    stolen = await api.client.post(
        f"{PREFIX}/tickets/{ticket_id}/notes", json=note, headers=api.auth(other, Role.AGENT, "agent-9")
    )
    assert stolen.status_code == 404


async def test_lost_reasons_and_templates_are_the_admins_to_set(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    admin, agent = api.auth(tenant, Role.ADMIN, "admin-1"), api.auth(tenant, Role.AGENT, "agent-1")
    reasons = {"reasons": [{"code": "precio", "label": "Precio"}, {"code": "mudanza", "label": "Se muda"}]}
    assert (await api.client.put(f"{PREFIX}/lost_reasons", json=reasons, headers=agent)).status_code == 403
    assert (await api.client.put(f"{PREFIX}/lost_reasons", json=reasons, headers=admin)).json() == reasons
    assert (await api.client.get(f"{PREFIX}/lost_reasons", headers=agent)).json() == reasons

    template = {"title": "Seguimiento", "body": "Hola {{1}}, ¿seguís interesado en {{2}}?"}
    created = await api.client.put(f"{PREFIX}/templates/seguimiento", json=template, headers=admin)
    updated = await api.client.put(f"{PREFIX}/templates/seguimiento", json=template, headers=admin)
    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["parameter_count"] == 2
    refused = await api.client.put(
        f"{PREFIX}/templates/seguimiento", json={**template, "body": "Hola {{2}}"}, headers=admin
    )
    assert refused.status_code == 400 and refused.json()["error"]["details"] == [{"field": "template.body"}]
    listed = await api.client.get(f"{PREFIX}/templates", headers=agent)
    assert [t["name"] for t in listed.json()["templates"]] == ["seguimiento"]
    assert (await api.client.put(f"{PREFIX}/templates/seguimiento", json=template, headers=agent)).status_code == 403
