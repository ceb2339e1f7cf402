-- Lead, conversation and ticket of each (tenant, phone, channel) key that has them, by the key's position.
SELECT k.position, l.id AS lead_id, c.id AS conversation_id, t.id AS ticket_id, l.name AS lead_name
FROM unnest(%(tenant)s::text[], %(phone_e164)s::text[], %(channel)s::ingest.channel_type[])
    WITH ORDINALITY AS k (tenant, phone_e164, channel, position)
JOIN ingest.leads l ON l.tenant = k.tenant AND l.phone_e164 = k.phone_e164
JOIN ingest.conversations c ON c.lead_id = l.id AND c.channel = k.channel
JOIN ingest.tickets t ON t.conversation_id = c.id
