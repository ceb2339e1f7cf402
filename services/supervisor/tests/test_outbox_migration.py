"""Migration 0005: open delivery jobs reach the engine's outbox as the payloads the handlers take; done ones go."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from libs.common.db import libpq_url
from libs.common.migrations import upgrade
from tests.support.servers import ROOT, fresh_database
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

pytestmark = pytest.mark.integration

MIGRATIONS = ROOT / "services" / "supervisor" / "migrations"
REPLY = """
INSERT INTO supervisor.outbound_messages (
    id, tenant, idempotency_key, request_hash, ticket_id, actor, author_user_id, to_phone, channel, kind, text
) VALUES (%(id)s, 'acme', %(key)s, 'h', %(ticket)s, 'agent', 'u-1', '+5491155551234', 'meta', 'text', %(text)s)
"""
JOB = """
INSERT INTO supervisor.delivery_jobs (tenant, outbound_id, ticket_id, kind, attempts, max_attempts, done_at)
VALUES ('acme', %(id)s, %(ticket)s, %(kind)s, %(attempts)s, %(max)s, %(done)s)
"""


def test_open_jobs_are_carried_over_and_done_ones_dropped(postgres_server_url: str) -> None:
    ticket, open_reply, sent_reply = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with fresh_database(postgres_server_url, prefix="v360_migration") as url:
        upgrade(MIGRATIONS, schema="supervisor", database_url=url, revision="0004")
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            for reply, text in ((open_reply, "pendiente"), (sent_reply, "enviada")):
                conn.execute(REPLY, {"id": reply, "key": str(reply), "ticket": ticket, "text": text})
            conn.execute(
                JOB, {"id": open_reply, "ticket": ticket, "kind": "append", "attempts": 2, "max": None, "done": None}
            )
            conn.execute(
                JOB, {"id": open_reply, "ticket": ticket, "kind": "send", "attempts": 1, "max": 6, "done": None}
            )
            conn.execute(
                JOB, {"id": sent_reply, "ticket": ticket, "kind": "send", "attempts": 1, "max": 6, "done": "now"}
            )
        upgrade(MIGRATIONS, schema="supervisor", database_url=url)
        with psycopg.connect(libpq_url(url)) as conn:
            found = conn.execute(
                "SELECT kind, dedupe_key, ordering_key, payload, attempts, max_attempts, status"
                " FROM supervisor.outbox ORDER BY id"
            ).fetchall()
            columns = conn.execute(
                "SELECT attempts FROM supervisor.outbound_messages o"
                " LEFT JOIN supervisor.outbox s ON s.dedupe_key = 'send:' || o.id::text WHERE o.id = %s",
                [open_reply],
            ).fetchone()
    assert [(kind, key, order, tries, most, status) for kind, key, order, _, tries, most, status in found] == [
        ("append", f"append:{open_reply}", None, 2, None, "pending"),
        ("send", f"send:{open_reply}", f"send:{ticket}", 1, 6, "pending"),
    ]
    append = ingest_pb2.AppendOutboundMessageRequest.FromString(found[0][3])
    assert (append.ticket_id, append.dedupe_key, append.text) == (str(ticket), f"out:{open_reply}", "pendiente")
    assert append.actor == ingest_pb2.ACTOR_AGENT and append.payload["outbound_id"] == str(open_reply)
    assert supervisor_pb2.DeliverReply.FromString(found[1][3]).outbound_id == str(open_reply)
    assert columns == (1,)
