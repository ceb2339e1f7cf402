-- An outbound message keyed by the caller's dedupe key, so a retried append stores it once. The team's first
-- message to a `Nuevo` lead starts the conversation (`En conversación`, with its event); nobody waits anymore.
WITH message AS (
    INSERT INTO ingest.messages (
        tenant, conversation_id, ticket_id, direction, actor, provider, provider_message_id, type, text, payload,
        author_user_id, sent_at
    )
    SELECT t.tenant, t.conversation_id, t.id, 'out', %(actor)s, c.channel, %(dedupe_key)s, %(type)s, %(text)s,
        %(payload)s, %(author_user_id)s, now()
    FROM ingest.tickets t
    JOIN ingest.conversations c ON c.id = t.conversation_id
    WHERE t.tenant = %(tenant)s AND t.id = %(ticket_id)s
    ON CONFLICT (tenant, provider, provider_message_id) DO NOTHING
    RETURNING id, ticket_id, sent_at
), event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload)
    SELECT %(tenant)s, message.ticket_id, message.ticket_id, 'message.sent',
        jsonb_build_object('message_id', message.id, 'actor', %(actor)s, 'author_user_id', %(author_user_id)s)
    FROM message
), started AS (
    -- Read before the update below (one snapshot).
    SELECT t.id FROM ingest.tickets t JOIN message ON t.id = message.ticket_id WHERE t.stage = 'Nuevo'
), stage_event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload)
    SELECT %(tenant)s, id, id, 'stage.changed',
        jsonb_build_object('from_stage', 'Nuevo', 'stage', 'En conversación', 'actor', %(actor)s,
            'author_user_id', %(author_user_id)s)
    FROM started
), ticket AS (
    UPDATE ingest.tickets t SET
        last_message_snippet = %(snippet)s,
        last_message_at = greatest(t.last_message_at, message.sent_at),
        unread_count = 0,
        waiting_since = NULL,
        stage = CASE WHEN t.stage = 'Nuevo' THEN 'En conversación' ELSE t.stage END,
        updated_at = now()
    FROM message
    WHERE t.id = message.ticket_id
)
SELECT id AS message_id FROM message
