-- One inbound message with its event and the ticket's activity; nothing at all if the provider id
-- was stored before (the unique key decides, not a read).
WITH message AS (
    INSERT INTO ingest.messages (
        tenant, conversation_id, ticket_id, direction, actor, provider, provider_message_id, type, text,
        media, payload, context_message_id, sent_at
    ) VALUES (
        %(tenant)s, %(conversation_id)s, %(ticket_id)s, 'in', 'lead', %(provider)s, %(provider_message_id)s,
        %(type)s, %(text)s, %(media)s, %(payload)s, %(context_message_id)s, %(sent_at)s
    )
    ON CONFLICT (tenant, provider, provider_message_id) DO NOTHING
    RETURNING id, ticket_id, sent_at
), event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload)
    SELECT %(tenant)s, message.ticket_id, message.ticket_id, 'message.received',
        jsonb_build_object('message_id', message.id, 'type', %(type)s, 'provider', %(provider)s)
    FROM message
), ticket AS (
    UPDATE ingest.tickets t SET
        last_message_snippet = CASE
            WHEN message.sent_at >= t.last_message_at THEN %(snippet)s ELSE t.last_message_snippet END,
        last_message_at = greatest(t.last_message_at, message.sent_at),
        last_inbound_at = greatest(t.last_inbound_at, message.sent_at),
        unread_count = t.unread_count + 1,
        updated_at = now()
    FROM message
    WHERE t.id = message.ticket_id
)
SELECT id AS message_id FROM message
