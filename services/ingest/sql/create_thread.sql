-- Lead, conversation and ticket for a phone, created at most once each whatever the concurrency:
-- every insert resolves its conflict by returning the row that won. The no-op updates touch
-- non-key columns only: setting a unique-key column would take FOR UPDATE row locks, which
-- conflict with the KEY SHARE locks that concurrent message inserts take through foreign keys.
WITH lead AS (
    INSERT INTO ingest.leads AS l (tenant, phone_e164, name, project_id, asset_id)
    VALUES (%(tenant)s, %(phone_e164)s, %(name)s, %(project_id)s, %(asset_id)s)
    ON CONFLICT (tenant, phone_e164) DO UPDATE SET name = l.name
    RETURNING l.id, l.project_id, l.name
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
SELECT ticket.lead_id, ticket.conversation_id, ticket.id AS ticket_id, lead.name AS lead_name
FROM ticket, lead
