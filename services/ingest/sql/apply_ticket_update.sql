-- The event is the receipt of the change: a repeated dedupe key inserts no event and changes nothing.
WITH event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload, dedupe_key)
    SELECT t.tenant, t.id, t.id, %(event_type)s, %(event_payload)s, %(dedupe_key)s
    FROM ingest.tickets t
    WHERE t.tenant = %(tenant)s AND t.id = %(ticket_id)s
    ON CONFLICT (tenant, dedupe_key) DO NOTHING
    RETURNING ticket_id
)
UPDATE ingest.tickets t SET
    stage = coalesce(%(stage)s::ingest.lead_stage, t.stage),
    visit_scheduled_at = CASE
        WHEN %(clear_visit_scheduled_at)s THEN NULL
        ELSE coalesce(%(visit_scheduled_at)s, t.visit_scheduled_at) END,
    assignee_user_id = coalesce(%(assignee_user_id)s, t.assignee_user_id),
    updated_at = now()
FROM event
WHERE t.id = event.ticket_id
RETURNING t.id
