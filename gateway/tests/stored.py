"""What the real services kept, read back for assertions: dead letters, delivery statuses, tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from gateway.tests.conftest import Gateway
from libs.common.db import libpq_url
from vertice360.ingest.v1 import ingest_pb2


async def dead_letters(
    gateway: Gateway, predicate: Callable[[ingest_pb2.DeadLetter], bool]
) -> list[ingest_pb2.DeadLetter]:
    """Every dead letter ingest lists (ListDeadLetters, all pages) that matches `predicate`, oldest first."""
    found: list[ingest_pb2.DeadLetter] = []
    token = ""
    while True:
        page = await gateway.stack.ingest.ListDeadLetters(
            ingest_pb2.ListDeadLettersRequest(page_size=200, page_token=token),
            metadata=gateway.stack.system_md(),
            timeout=10,
        )
        found += [letter for letter in page.dead_letters if predicate(letter)]
        token = page.next_page_token
        if not token:
            return found[::-1]


async def letters_of(gateway: Gateway, tenant: str) -> list[ingest_pb2.DeadLetter]:
    """The dead letters kept for `tenant`."""
    return await dead_letters(gateway, lambda letter: letter.tenant_slug == tenant)


async def letters_naming(gateway: Gateway, marker: str) -> list[ingest_pb2.DeadLetter]:
    """The dead letters whose payload contains `marker`."""
    return await dead_letters(gateway, lambda letter: marker in letter.payload)


@dataclass(frozen=True)
class Status:
    """One row of supervisor.delivery_statuses."""

    provider: str
    provider_message_id: str
    status: str
    error_code: str
    error_title: str


async def delivery_statuses(gateway: Gateway, tenant: str) -> list[Status]:
    """The delivery statuses supervisor recorded for `tenant`, by message id and time."""
    async with await psycopg.AsyncConnection.connect(libpq_url(gateway.settings.database_url)) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            "SELECT provider, provider_message_id, status, error_code, error_title"
            " FROM supervisor.delivery_statuses WHERE tenant = %(tenant)s"
            " ORDER BY provider_message_id, status_at, supervisor.status_rank(status)",
            {"tenant": tenant},
        )
        return [Status(**row) for row in await cur.fetchall()]


@dataclass(frozen=True)
class Counts:
    """How many rows of each kind ingest holds for a tenant."""

    leads: int
    conversations: int
    tickets: int
    messages: int
    received_events: int


async def counts(gateway: Gateway, tenant: str) -> Counts:
    """Rows of `tenant` in ingest's tables, counted in the database itself (no API can hide a stray row)."""
    async with await psycopg.AsyncConnection.connect(libpq_url(gateway.settings.database_url)) as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM ingest.leads WHERE tenant = %(t)s),"
            " (SELECT count(*) FROM ingest.conversations WHERE tenant = %(t)s),"
            " (SELECT count(*) FROM ingest.tickets WHERE tenant = %(t)s),"
            " (SELECT count(*) FROM ingest.messages WHERE tenant = %(t)s),"
            " (SELECT count(*) FROM ingest.events WHERE tenant = %(t)s AND type = 'message.received')",
            {"t": tenant},
        )
        row = await cur.fetchone()
        assert row is not None
        return Counts(*row)


async def nothing_stored(gateway: Gateway, tenant: str, *markers: str) -> bool:
    """True when `tenant` has no lead, ticket, message, letter or status, and no dead letter names a marker."""
    if await counts(gateway, tenant) != Counts(0, 0, 0, 0, 0) or await delivery_statuses(gateway, tenant):
        return False
    letters = await dead_letters(
        gateway, lambda letter: letter.tenant_slug == tenant or any(m in letter.payload for m in markers)
    )
    return letters == []


def messages_of(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """(type, text) of every message in a ticket's timeline."""
    return [(message["type"], message["text"]) for message in detail["messages"]]


def received_events(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The `message.received` events of a ticket's timeline."""
    return [event for event in detail["events"] if event["type"] == "message.received"]
