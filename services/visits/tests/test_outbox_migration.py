"""Migration 0004: pending rows of the old visits outbox reach the engine's table as the requests they stood for."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from libs.common.db import libpq_url
from libs.common.migrations import upgrade
from tests.support.servers import ROOT, fresh_database
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

pytestmark = pytest.mark.integration

MIGRATIONS = ROOT / "services" / "visits" / "migrations"
LEGACY = """
INSERT INTO visits.outbox (tenant, ticket_id, dedupe_key, kind, payload, status)
VALUES (%(tenant)s, %(ticket)s, %(key)s, %(kind)s, %(payload)s, %(status)s)
"""


def test_pending_rows_are_carried_over_and_finished_ones_dropped(postgres_server_url: str) -> None:
    ticket = uuid.uuid4()
    with fresh_database(postgres_server_url, prefix="v360_migration") as url:
        upgrade(MIGRATIONS, schema="visits", database_url=url, revision="0003")
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            rows = [
                (
                    "visit.confirmed:p1",
                    "ticket_update",
                    "pending",
                    {
                        "event_type": "visit.confirmed",
                        "event_payload": {"proposal_id": "p1"},
                        "stage": "Visita confirmada",
                        "visit_scheduled_at": "2030-01-02T15:00:00+00:00",
                    },
                ),
                (
                    "lead:visit.proposed:p1",
                    "lead_message",
                    "pending",
                    {
                        "text": "¿Te queda bien?",
                        "buttons": [{"id": "v360v:c:tok", "title": "Confirmar"}],
                    },
                ),
                ("visit.proposed:p0", "ticket_update", "done", {"event_type": "visit.proposed"}),
            ]
            for key, kind, status, payload in rows:
                conn.execute(
                    LEGACY,
                    {
                        "tenant": "acme",
                        "ticket": ticket,
                        "key": key,
                        "kind": kind,
                        "payload": Jsonb(payload),
                        "status": status,
                    },
                )
        upgrade(MIGRATIONS, schema="visits", database_url=url)
        with psycopg.connect(libpq_url(url)) as conn:
            found = conn.execute(
                "SELECT kind, dedupe_key, ordering_key, payload_type, payload, status FROM visits.outbox ORDER BY id"
            ).fetchall()
    assert [(kind, key, order, status) for kind, key, order, _, _, status in found] == [
        ("ticket_update", "visit.confirmed:p1", f"ticket_update:{ticket}", "pending"),
        ("lead_message", "lead:visit.proposed:p1", f"lead_message:{ticket}", "pending"),
    ]
    update = ingest_pb2.ApplyTicketUpdateRequest.FromString(found[0][4])
    assert found[0][3] == "vertice360.ingest.v1.ApplyTicketUpdateRequest"
    assert (update.ticket_id, update.event_type, update.stage) == (str(ticket), "visit.confirmed", "Visita confirmada")
    assert update.event_payload["proposal_id"] == "p1"
    assert update.visit_scheduled_at.ToJsonString() == "2030-01-02T15:00:00Z"
    reply = supervisor_pb2.SendReplyRequest.FromString(found[1][4])
    assert (reply.idempotency_key, reply.text, reply.buttons[0].id) == (
        "lead:visit.proposed:p1",
        "¿Te queda bien?",
        "v360v:c:tok",
    )
