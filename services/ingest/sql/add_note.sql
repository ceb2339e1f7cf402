-- A note is an event of its own: in the timeline, never a message, so nothing ever sends it.
INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload, dedupe_key)
SELECT t.tenant, t.id, t.id, 'note.added', %(payload)s, %(dedupe_key)s
FROM ingest.tickets t
WHERE t.tenant = %(tenant)s AND t.id = %(ticket_id)s
ON CONFLICT (tenant, dedupe_key) DO NOTHING
RETURNING id, type, correlation_id, payload, created_at
