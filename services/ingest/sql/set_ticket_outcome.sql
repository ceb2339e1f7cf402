-- An outcome as one conditional change: the ticket moves only from the stages the rule allows, and the
-- event is the change's receipt (a repeated idempotency key writes nothing at all).
WITH ticket AS (
    SELECT t.id, t.tenant, t.stage
    FROM ingest.tickets t
    WHERE t.tenant = %(tenant)s AND t.id = %(ticket_id)s AND t.stage::text = ANY(%(from_stages)s::text[])
    FOR NO KEY UPDATE
), event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload, dedupe_key)
    SELECT tenant, id, id, %(event_type)s, %(payload)s::jsonb || jsonb_build_object('from_stage', stage::text),
        %(dedupe_key)s
    FROM ticket
    ON CONFLICT (tenant, dedupe_key) DO NOTHING
    RETURNING ticket_id
)
UPDATE ingest.tickets t SET stage = %(stage)s::ingest.lead_stage, updated_at = now()
FROM event
WHERE t.id = event.ticket_id
RETURNING t.id
