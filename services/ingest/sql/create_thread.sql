-- Lead, conversation and ticket for a sender, created at most once each whatever the concurrency. The lead is
-- the one its identity or BSUID names (as in find_threads.sql), else a new one; every insert resolves its
-- conflict by returning the row that won. The no-op updates touch non-key columns only: setting a unique-key
-- column would take FOR UPDATE row locks, which conflict with the KEY SHARE locks that concurrent message
-- inserts take through foreign keys.
WITH found AS (
    SELECT l.id, l.project_id, l.name, l.identity, l.wa_id, l.user_id, l.username, l.referral
    FROM ingest.leads l
    WHERE l.tenant = %(tenant)s AND (l.identity = %(identity)s OR l.user_id = %(user_id)s)
    ORDER BY l.identity = %(identity)s DESC, l.created_at, l.id
    LIMIT 1
), created AS (
    INSERT INTO ingest.leads AS l (
        tenant, identity, phone_e164, wa_id, user_id, username, name, project_id, asset_id, referral
    )
    SELECT %(tenant)s, %(identity)s, %(phone_e164)s, %(wa_id)s, %(user_id)s, %(username)s, %(name)s, %(project_id)s,
        %(asset_id)s, %(referral)s
    WHERE NOT EXISTS (SELECT FROM found)
    ON CONFLICT (tenant, identity) DO UPDATE SET name = l.name
    RETURNING l.id, l.project_id, l.name, l.identity, l.wa_id, l.user_id, l.username, l.referral
), lead AS (
    SELECT * FROM found UNION ALL SELECT * FROM created
), conversation AS (
    INSERT INTO ingest.conversations AS c (tenant, lead_id, channel)
    SELECT %(tenant)s, lead.id, %(channel)s FROM lead
    ON CONFLICT (lead_id, channel) DO UPDATE SET created_at = c.created_at
    RETURNING c.id, c.lead_id
), ticket AS (
    INSERT INTO ingest.tickets AS t (tenant, conversation_id, lead_id, project_id)
    SELECT %(tenant)s, conversation.id, conversation.lead_id, lead.project_id FROM conversation, lead
    ON CONFLICT (conversation_id) DO UPDATE SET updated_at = t.updated_at
    RETURNING t.id, t.conversation_id, t.lead_id
)
SELECT ticket.lead_id, ticket.conversation_id, ticket.id AS ticket_id, lead.name AS lead_name, lead.identity,
    lead.wa_id, lead.user_id, lead.username, lead.referral IS NOT NULL AS has_referral
FROM ticket, lead
