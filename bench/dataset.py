"""Bulk data for the dashboard benchmark: N tickets with M messages each in one tenant, set-based SQL."""

from __future__ import annotations

import time

import psycopg

from libs.common.db import libpq_url

# One statement per table; generate_series keeps the load in the database (seconds, not minutes).
_STATEMENTS = [
    """
    INSERT INTO ingest.projects (tenant, code, name, location)
    SELECT %(tenant)s, 'GEN-' || p, 'Proyecto ' || p, 'CABA' FROM generate_series(1, 3) AS p
    """,
    """
    INSERT INTO ingest.leads (tenant, phone_e164, name, project_id)
    SELECT %(tenant)s, '+549115' || lpad(i::text, 7, '0'), 'Lead ' || i,
        (SELECT id FROM ingest.projects WHERE tenant = %(tenant)s AND code = 'GEN-' || (1 + i %% 3))
    FROM generate_series(1, %(tickets)s) AS i
    """,
    """
    INSERT INTO ingest.conversations (tenant, lead_id, channel)
    SELECT %(tenant)s, id, 'meta' FROM ingest.leads WHERE tenant = %(tenant)s
    """,
    """
    INSERT INTO ingest.tickets (tenant, conversation_id, lead_id, project_id, stage, assignee_user_id)
    SELECT %(tenant)s, c.id, c.lead_id, l.project_id,
        (ARRAY['Nuevo', 'En conversación', 'Esperando confirmación', 'Visita confirmada']::ingest.lead_stage[])
            [1 + (hashtext(c.id::text) & 3)],
        CASE WHEN hashtext(c.id::text) & 4 = 0 THEN 'agente-1' ELSE 'agente-2' END
    FROM ingest.conversations c JOIN ingest.leads l ON l.id = c.lead_id
    WHERE c.tenant = %(tenant)s
    """,
    """
    INSERT INTO ingest.messages (
        tenant, conversation_id, ticket_id, direction, actor, provider, provider_message_id, type, text, sent_at
    )
    SELECT %(tenant)s, t.conversation_id, t.id,
        CASE WHEN n %% 2 = 0 THEN 'in' ELSE 'out' END::ingest.message_direction,
        CASE WHEN n %% 2 = 0 THEN 'lead' ELSE 'agent' END::ingest.actor_role,
        'meta', 'gen.' || t.id || '.' || n, 'text',
        'Mensaje ' || n || ' sobre el departamento de dos ambientes con balcón',
        now() - make_interval(mins => (abs(hashtext(t.id::text)) %% 43200) + (%(per_ticket)s - n) * 7)
    FROM ingest.tickets t, generate_series(1, %(per_ticket)s) AS n
    WHERE t.tenant = %(tenant)s
    """,
    """
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload, created_at)
    SELECT m.tenant, m.ticket_id, m.ticket_id, 'message.received', jsonb_build_object('message_id', m.id), m.sent_at
    FROM ingest.messages m WHERE m.tenant = %(tenant)s AND m.direction = 'in'
    """,
    """
    UPDATE ingest.tickets t SET last_message_at = s.last_at, last_inbound_at = s.last_in,
        last_message_snippet = 'Mensaje ' || %(per_ticket)s || ' sobre el departamento', unread_count = 1,
        waiting_since = s.last_in
    FROM (
        SELECT ticket_id, max(sent_at) AS last_at, max(sent_at) FILTER (WHERE direction = 'in') AS last_in
        FROM ingest.messages WHERE tenant = %(tenant)s GROUP BY ticket_id
    ) s
    WHERE t.id = s.ticket_id
    """,
]


def generate(database_url: str, *, tenant: str, tickets: int, messages_per_ticket: int) -> float:
    """Loads the data set into an existing tenant; returns the seconds it took."""
    began = time.perf_counter()
    params = {"tenant": tenant, "tickets": tickets, "per_ticket": messages_per_ticket}
    with psycopg.connect(libpq_url(database_url), autocommit=False) as conn:
        for statement in _STATEMENTS:
            conn.execute(statement, params)
        conn.commit()
        conn.autocommit = True
        for table in ("leads", "conversations", "tickets", "messages", "events"):
            conn.execute(psycopg.sql.SQL("ANALYZE ingest.{}").format(psycopg.sql.Identifier(table)))
    return time.perf_counter() - began


def plans(database_url: str, *, tenant: str) -> dict[str, str]:
    """EXPLAIN of the dashboard list and the ticket timeline queries, as the services run them."""
    from services.ingest.repository import SQL

    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        ticket_id = conn.execute(
            "SELECT id FROM ingest.tickets WHERE tenant = %s ORDER BY last_message_at DESC LIMIT 1 OFFSET 500",
            (tenant,),
        ).fetchone()[0]
        list_params = {
            "tenant": tenant,
            "limit": 50,
            "after_at": None,
            "after_id": None,
            "stage": None,
            "project_code": None,
            "assignee_user_id": None,
            "query": None,
            "query_like": None,
            "unread_only": False,
            "window_open": None,
        }
        result = {}
        for name, sql, params in (
            ("dashboard_list", SQL.list_tickets, list_params),
            ("ticket_messages", SQL.list_ticket_messages, {"tenant": tenant, "ticket_id": ticket_id}),
            ("ticket_events", SQL.list_ticket_events, {"tenant": tenant, "ticket_id": ticket_id}),
        ):
            rows = conn.execute(psycopg.sql.SQL("EXPLAIN ") + psycopg.sql.SQL(sql), params).fetchall()  # type: ignore[arg-type]
            result[name] = "\n".join(row[0] for row in rows)
        return result
