SELECT id, direction::text AS direction, actor::text AS actor, provider::text AS provider, provider_message_id, type,
    text, media, payload, context_message_id, author_user_id, sent_at, created_at
FROM ingest.messages
WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s
ORDER BY sent_at, id
