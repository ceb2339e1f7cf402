INSERT INTO visits.outbox (tenant, ticket_id, dedupe_key, kind, payload, trace_context)
VALUES (%(tenant)s, %(ticket_id)s, %(dedupe_key)s, %(kind)s, %(payload)s, %(trace_context)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
