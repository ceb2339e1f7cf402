-- Tickets by id; a NULL tenant reads any tenant's (the change feed filters by tenant itself).
SELECT t.id, t.lead_id, l.name AS lead_name, l.phone_e164, coalesce(p.code, '') AS project_code,
    coalesce(p.name, '') AS project_name, t.stage::text AS stage, t.last_message_snippet, t.last_message_at,
    t.visit_scheduled_at, t.assignee_user_id, t.unread_count, t.last_inbound_at, t.conversation_id, t.created_at,
    coalesce(l.wa_id, l.user_id, ltrim(l.phone_e164, '+'), '') AS reply_address, coalesce(l.user_id, '') AS lead_user_id,
    l.username AS lead_username, coalesce(a.code, '') AS asset_code, coalesce(a.name, '') AS asset_name, l.referral,
    t.waiting_since
FROM ingest.tickets t
JOIN ingest.leads l ON l.id = t.lead_id
LEFT JOIN ingest.projects p ON p.id = t.project_id
LEFT JOIN ingest.marketing_assets a ON a.id = l.asset_id
WHERE t.id = ANY(%(ticket_ids)s::uuid[]) AND (%(tenant)s::text IS NULL OR t.tenant = %(tenant)s)
