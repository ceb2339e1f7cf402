SELECT m.id AS message_id, m.conversation_id, m.ticket_id, c.lead_id
FROM ingest.messages m
JOIN ingest.conversations c ON c.id = m.conversation_id
WHERE m.tenant = %(tenant)s AND m.provider = %(provider)s AND m.provider_message_id = %(provider_message_id)s
