"""What each phase left behind, read from Postgres and the provider double, against what the clients were told."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from bench.chaos.cluster import TENANT
from tests.support.provider_double import ProviderDouble

STAGE_BY_STATUS = {"proposed": "Esperando confirmación", "confirmed": "Visita confirmada"}

INBOUND_SQL = """
SELECT m.provider_message_id AS wamid, count(DISTINCT m.id) AS rows, count(e.id) AS events,
       array_agg(DISTINCT m.ticket_id::text) AS tickets
FROM ingest.messages m
LEFT JOIN ingest.events e
       ON e.ticket_id = m.ticket_id AND e.type = 'message.received' AND e.payload->>'message_id' = m.id::text
WHERE m.tenant = %(tenant)s AND m.direction = 'in' AND m.provider_message_id = ANY(%(wamids)s)
GROUP BY m.provider_message_id
"""
OUTBOUND_SQL = """
SELECT o.id::text AS id, o.idempotency_key, o.to_phone, o.text, o.status, o.error_code,
       (SELECT count(*) FROM ingest.messages m
        WHERE m.tenant = o.tenant AND m.direction = 'out' AND m.payload->>'outbound_id' = o.id::text) AS timeline
FROM supervisor.outbound_messages o
WHERE o.tenant = %(tenant)s AND o.ticket_id = %(ticket)s
"""
PROPOSALS_SQL = """
SELECT id::text AS id, status::text AS status, starts_at FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND ticket_id = %(ticket)s ORDER BY created_at
"""
TICKET_SQL = "SELECT stage::text AS stage, visit_scheduled_at FROM ingest.tickets WHERE id = %(ticket)s"
# The tenant's outbox rows due by now and its replies (phases run one after another, each settling before the
# next); rows scheduled for later, such as a confirmed visit's reminders, are not work owed yet.
UNSETTLED_SQL = """
SELECT (SELECT count(*) FROM ingest.outbox WHERE tenant = %(tenant)s AND status = 'pending')
     + (SELECT count(*) FROM visits.outbox WHERE tenant = %(tenant)s AND status = 'pending' AND not_before <= now())
     + (SELECT count(*) FROM supervisor.outbox WHERE tenant = %(tenant)s AND status = 'pending')
     + (SELECT count(*) FROM supervisor.outbound_messages WHERE tenant = %(tenant)s AND status = 'pending')
     AS open
"""
REPLY_TOKEN_SQL = "SELECT reply_token FROM visits.visit_proposals WHERE tenant = %(tenant)s AND ticket_id = %(ticket)s"
TAPPED_SQL = """
SELECT (SELECT count(*) FROM visits.visit_confirmations c JOIN visits.visit_proposals p ON p.id = c.proposal_id
        WHERE p.tenant = %(tenant)s AND p.ticket_id = %(ticket)s AND c.channel = 'whatsapp') AS confirmations,
       (SELECT count(*) FROM ingest.events
        WHERE tenant = %(tenant)s AND ticket_id = %(ticket)s AND type = 'visit.confirmed') AS confirmed_events,
       (SELECT coalesce(sum(attempts - 1), 0) FROM ingest.outbox
        WHERE tenant = %(tenant)s AND ordering_key = 'lead_reply:' || %(ticket)s) AS hand_off_retries
"""


@dataclass
class Expected:
    """What the clients of one phase were told: acknowledged messages, replies and visit steps."""

    wamids: list[str]
    acked: set[str]
    lead_of: dict[str, str]
    ticket_id: str
    replies: dict[str, str]
    replies_acked: set[str]
    visit_done: bool
    # Tickets whose lead tapped the visit's confirm button (twice) during the fault.
    taps: list[str] = field(default_factory=list)


@dataclass
class Found:
    """The checks of one phase; `problems` says in words what is wrong."""

    stored: int = 0
    duplicates: int = 0
    lost: int = 0
    replies: int = 0
    replies_twice: int = 0
    replies_lost: int = 0
    visits_ok: bool = False
    taps_confirmed: int = 0
    # Tries of ingest's hand-offs of the taps to visits that failed (visits down) before one went through.
    hand_off_retries: int = 0
    problems: list[str] = field(default_factory=list)


async def connect(url: str) -> psycopg.AsyncConnection[dict[str, Any]]:
    """A connection for reading the results."""
    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=5)


async def reply_token(url: str, ticket_id: str) -> str:
    """The token in the reply-button ids of the ticket's visit proposal."""
    async with await connect(url) as conn:
        row = await (await conn.execute(REPLY_TOKEN_SQL, {"tenant": TENANT, "ticket": ticket_id})).fetchone()
    if row is None:
        raise RuntimeError(f"ticket {ticket_id} has no visit proposal")
    return str(row["reply_token"])


async def settle(url: str, ticket_id: str, *, within: float) -> bool:
    """Waits until the tenant's hand-offs, relays, deliveries and replies are all finished; False if not."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with await connect(url) as conn:
                row = await (await conn.execute(UNSETTLED_SQL, {"tenant": TENANT, "ticket": ticket_id})).fetchone()
                if row is not None and row["open"] == 0:
                    return True
        except psycopg.OperationalError:
            pass
        await asyncio.sleep(0.25)
    return False


def accepted_by_double(double: ProviderDouble) -> Counter[tuple[str, str]]:
    """How many times the provider took each (recipient, text)."""
    return Counter((record.json.get("to", ""), record.text()) for record in double.requests if record.accepted)


async def check(url: str, expected: Expected, double: ProviderDouble) -> Found:
    """Compares the phase's stored state with what its clients were told."""
    found = Found()
    async with await connect(url) as conn:
        inbound = {
            row["wamid"]: row
            for row in await (await conn.execute(INBOUND_SQL, {"tenant": TENANT, "wamids": expected.wamids})).fetchall()
        }
        outbound = await (await conn.execute(OUTBOUND_SQL, {"tenant": TENANT, "ticket": expected.ticket_id})).fetchall()
        proposals = await (
            await conn.execute(PROPOSALS_SQL, {"tenant": TENANT, "ticket": expected.ticket_id})
        ).fetchall()
        ticket = await (await conn.execute(TICKET_SQL, {"ticket": expected.ticket_id})).fetchone()
        _check_inbound(found, expected, inbound)
        _check_replies(found, expected, outbound, accepted_by_double(double))
        _check_visit(found, expected, proposals, ticket)
        for tapped in expected.taps:
            await _check_taps(found, conn, tapped, accepted_by_double(double))
    return found


async def _check_taps(
    found: Found, conn: psycopg.AsyncConnection[dict[str, Any]], ticket_id: str, accepted: Counter[tuple[str, str]]
) -> None:
    """A lead's two taps confirmed the visit once: one confirmation, one event, the stage, each reply sent once."""
    params = {"tenant": TENANT, "ticket": ticket_id}
    counts = await (await conn.execute(TAPPED_SQL, params)).fetchone()
    proposals = await (await conn.execute(PROPOSALS_SQL, params)).fetchall()
    ticket = await (await conn.execute(TICKET_SQL, params)).fetchone()
    replies = await (await conn.execute(OUTBOUND_SQL, params)).fetchall()
    before = len(found.problems)
    assert counts is not None
    found.hand_off_retries += int(counts["hand_off_retries"])
    if (counts["confirmations"], counts["confirmed_events"]) != (1, 1):
        found.problems.append(
            f"tapped ticket {ticket_id}: {counts['confirmations']} confirmations, "
            f"{counts['confirmed_events']} visit.confirmed events (want 1 and 1)"
        )
    if [p["status"] for p in proposals] != ["confirmed"]:
        found.problems.append(f"tapped ticket {ticket_id}: proposals {[p['status'] for p in proposals]}")
    elif ticket is None or ticket["stage"] != STAGE_BY_STATUS["confirmed"]:
        found.problems.append(f"tapped ticket {ticket_id}: stage {ticket and ticket['stage']!r}")
    elif ticket["visit_scheduled_at"] != proposals[0]["starts_at"]:
        found.problems.append(f"tapped ticket {ticket_id}: visit at {ticket['visit_scheduled_at']}")
    # The proposal's message and the confirmation's, each accepted by the provider and in the timeline once.
    if len(replies) != 2:
        found.problems.append(f"tapped ticket {ticket_id}: {len(replies)} messages to the lead (want 2)")
    for row in replies:
        taken = accepted[(row["to_phone"].lstrip("+"), row["text"])]
        if taken != 1 or row["timeline"] != 1:
            found.problems.append(
                f"tapped ticket {ticket_id}: {row['text'][:40]!r} accepted {taken} times, "
                f"{row['timeline']} times in the timeline"
            )
    if len(found.problems) == before:
        found.taps_confirmed += 1


def _check_inbound(found: Found, expected: Expected, inbound: dict[str, dict[str, Any]]) -> None:
    tickets_of_lead: dict[str, set[str]] = {}
    for wamid in expected.wamids:
        row = inbound.get(wamid)
        if row is None:
            found.lost += 1
            if wamid in expected.acked:
                found.problems.append(f"{wamid} was acknowledged but is not stored")
            continue
        found.stored += 1
        found.duplicates += row["rows"] - 1
        if row["rows"] > 1:
            found.problems.append(f"{wamid} is stored {row['rows']} times")
        elif row["events"] != 1:
            found.problems.append(f"{wamid} has {row['events']} message.received events")
        tickets_of_lead.setdefault(expected.lead_of[wamid], set()).update(row["tickets"])
    for phone, tickets in tickets_of_lead.items():
        if len(tickets) != 1:
            found.problems.append(f"lead {phone} has its messages in {len(tickets)} tickets")


def _check_replies(
    found: Found, expected: Expected, outbound: list[dict[str, Any]], accepted: Counter[tuple[str, str]]
) -> None:
    keys = {row["idempotency_key"] for row in outbound}
    for key in expected.replies:
        if key not in expected.replies_acked:
            found.replies_lost += 1
            found.problems.append(f"reply {key} was never acknowledged by the gateway")
        elif key not in keys:
            found.replies_lost += 1
            found.problems.append(f"reply {key} was acknowledged but is not stored")
    for row in outbound:
        found.replies += 1
        taken = accepted[(row["to_phone"].lstrip("+"), row["text"])]
        if taken > 1:
            found.replies_twice += 1
            found.problems.append(f"reply {row['idempotency_key']} was accepted by the provider {taken} times")
        elif taken == 0:
            found.replies_lost += 1
            found.problems.append(
                f"reply {row['idempotency_key']} never reached the provider (status {row['status']} "
                f"{row['error_code']})".rstrip()
            )
        if row["timeline"] != 1:
            found.problems.append(f"reply {row['idempotency_key']} is {row['timeline']} times in the timeline")


def _check_visit(
    found: Found, expected: Expected, proposals: list[dict[str, Any]], ticket: dict[str, Any] | None
) -> None:
    if not expected.visit_done:
        found.problems.append("the dashboard could not propose and confirm the visit")
    if ticket is None:
        found.problems.append(f"ticket {expected.ticket_id} is gone")
        return
    if len(proposals) != 1:
        found.problems.append(f"{len(proposals)} visit proposals for one propose")
    latest = proposals[-1] if proposals else None
    want = STAGE_BY_STATUS.get(latest["status"], "") if latest else ""
    if latest is None or latest["status"] != "confirmed":
        found.problems.append(f"the visit is {latest['status'] if latest else 'missing'}, not confirmed")
    elif ticket["stage"] != want:
        found.problems.append(f"ticket stage {ticket['stage']!r}, proposals say {want!r}")
    elif ticket["visit_scheduled_at"] != latest["starts_at"]:
        found.problems.append(f"ticket visit at {ticket['visit_scheduled_at']}, proposal at {latest['starts_at']}")
    else:
        found.visits_ok = expected.visit_done
