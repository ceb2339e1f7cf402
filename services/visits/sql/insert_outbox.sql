INSERT INTO visits.outbox (tenant, ticket_id, dedupe_key, kind, payload)
VALUES (%(tenant)s, %(ticket_id)s, %(dedupe_key)s, %(kind)s, %(payload)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
