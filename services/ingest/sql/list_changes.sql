-- The events named by a batch of change notifications, with the message each is about (if any).
SELECT e.id AS event_id, e.tenant, e.ticket_id, e.type AS event_type, e.payload AS event_payload,
    e.created_at AS event_created_at,
    m.id, m.direction::text AS direction, m.actor::text AS actor, m.provider::text AS provider,
    m.provider_message_id, m.type, m.text, m.media, m.payload, m.context_message_id, m.author_user_id, m.sent_at,
    m.created_at
FROM ingest.events e
LEFT JOIN ingest.messages m
    ON m.tenant = e.tenant AND m.ticket_id = e.ticket_id AND m.id = CASE
        WHEN e.payload->>'message_id' ~ '^[0-9a-f-]{36}$' THEN (e.payload->>'message_id')::uuid END
WHERE e.id = ANY(%(event_ids)s::uuid[])
ORDER BY e.created_at, e.id
