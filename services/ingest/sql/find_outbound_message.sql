SELECT m.id AS message_id
FROM ingest.messages m
JOIN ingest.tickets t ON t.id = m.ticket_id
JOIN ingest.conversations c ON c.id = t.conversation_id
WHERE t.tenant = %(tenant)s AND t.id = %(ticket_id)s AND m.provider = c.channel
  AND m.provider_message_id = %(dedupe_key)s
