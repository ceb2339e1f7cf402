SELECT l.id AS lead_id, c.id AS conversation_id, t.id AS ticket_id, l.name AS lead_name
FROM ingest.leads l
JOIN ingest.conversations c ON c.lead_id = l.id AND c.channel = %(channel)s
JOIN ingest.tickets t ON t.conversation_id = c.id
WHERE l.tenant = %(tenant)s AND l.phone_e164 = %(phone_e164)s
