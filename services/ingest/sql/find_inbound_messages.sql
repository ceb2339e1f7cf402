-- Messages already stored under these provider ids, by the id's position.
SELECT k.position, m.id AS message_id, m.conversation_id, m.ticket_id, c.lead_id
FROM unnest(%(tenant)s::text[], %(provider)s::ingest.channel_type[], %(provider_message_id)s::text[])
    WITH ORDINALITY AS k (tenant, provider, provider_message_id, position)
JOIN ingest.messages m
    ON m.tenant = k.tenant AND m.provider = k.provider AND m.provider_message_id = k.provider_message_id
JOIN ingest.conversations c ON c.id = m.conversation_id
