-- Lead, conversation and ticket of each (tenant, identity, channel) key that has them, by the key's position,
-- with what the lead's contact columns say now. A lead is found by its identity, or by the business-scoped
-- user id the message names (a lead first seen by phone, now written to by its BSUID alone); the identity
-- wins when the two name different leads.
SELECT k.position, l.id AS lead_id, c.id AS conversation_id, t.id AS ticket_id, l.name AS lead_name, l.identity,
    l.wa_id, l.user_id, l.username, l.referral IS NOT NULL AS has_referral
FROM unnest(%(tenant)s::text[], %(identity)s::text[], %(channel)s::ingest.channel_type[], %(user_id)s::text[])
    WITH ORDINALITY AS k (tenant, identity, channel, user_id, position)
CROSS JOIN LATERAL (
    SELECT l.id, l.name, l.identity, l.wa_id, l.user_id, l.username, l.referral
    FROM ingest.leads l
    WHERE l.tenant = k.tenant AND (l.identity = k.identity OR l.user_id = k.user_id)
    ORDER BY l.identity = k.identity DESC, l.created_at, l.id
    LIMIT 1
) l
JOIN ingest.conversations c ON c.lead_id = l.id AND c.channel = k.channel
JOIN ingest.tickets t ON t.conversation_id = c.id
