-- Many inbound messages of known threads in one statement (group commit): each message with its event,
-- and each ticket's activity once, over all of its new messages. A provider id stored before inserts
-- nothing (the unique key decides, not a read); only the positions of new messages come back.
-- The caller passes distinct provider ids, so each new row matches exactly one input row.
WITH input AS (
    SELECT *
    FROM unnest(
        %(position)s::int[], %(tenant)s::text[], %(conversation_id)s::uuid[], %(ticket_id)s::uuid[],
        %(provider)s::ingest.channel_type[], %(provider_message_id)s::text[], %(type)s::text[], %(text)s::text[],
        %(media)s::jsonb[], %(payload)s::jsonb[], %(context_message_id)s::text[], %(sent_at)s::timestamptz[],
        %(snippet)s::text[]
    ) AS i (
        position, tenant, conversation_id, ticket_id, provider, provider_message_id, type, text, media, payload,
        context_message_id, sent_at, snippet
    )
), message AS (
    INSERT INTO ingest.messages (
        tenant, conversation_id, ticket_id, direction, actor, provider, provider_message_id, type, text,
        media, payload, context_message_id, sent_at
    )
    SELECT tenant, conversation_id, ticket_id, 'in', 'lead', provider, provider_message_id, type, text,
        media, payload, context_message_id, sent_at
    FROM input
    ORDER BY position
    ON CONFLICT (tenant, provider, provider_message_id) DO NOTHING
    RETURNING id, tenant, ticket_id, provider, provider_message_id, type, sent_at
), event AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload)
    SELECT tenant, ticket_id, ticket_id, 'message.received',
        jsonb_build_object('message_id', id, 'type', type, 'provider', provider)
    FROM message
), new AS (
    SELECT input.position, input.snippet, message.id, message.ticket_id, message.sent_at
    FROM message
    JOIN input USING (tenant, provider, provider_message_id)
), activity AS (
    SELECT DISTINCT ON (ticket_id)
        ticket_id, sent_at AS latest_at, snippet AS latest_snippet, count(*) OVER (PARTITION BY ticket_id) AS received,
        min(sent_at) OVER (PARTITION BY ticket_id) AS earliest_at
    FROM new
    ORDER BY ticket_id, sent_at DESC, position DESC
), lost AS (
    -- Read before the update below (one snapshot): a lead who writes after `Perdido` reopens the ticket.
    SELECT t.id, t.tenant FROM ingest.tickets t JOIN activity ON t.id = activity.ticket_id WHERE t.stage = 'Perdido'
), reopened AS (
    INSERT INTO ingest.events (tenant, ticket_id, correlation_id, type, payload)
    SELECT tenant, id, id, 'ticket.reopened',
        jsonb_build_object('from_stage', 'Perdido', 'stage', 'En conversación', 'actor', 'lead')
    FROM lost
), ticket AS (
    UPDATE ingest.tickets t SET
        last_message_snippet = CASE
            WHEN activity.latest_at >= t.last_message_at THEN activity.latest_snippet ELSE t.last_message_snippet END,
        last_message_at = greatest(t.last_message_at, activity.latest_at),
        last_inbound_at = greatest(t.last_inbound_at, activity.latest_at),
        unread_count = t.unread_count + activity.received,
        waiting_since = coalesce(t.waiting_since, activity.earliest_at),
        stage = CASE WHEN t.stage = 'Perdido' THEN 'En conversación' ELSE t.stage END,
        updated_at = now()
    FROM activity
    WHERE t.id = activity.ticket_id
)
SELECT position, id AS message_id FROM new
