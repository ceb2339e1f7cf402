-- Waiting tickets, the one waiting longest first; keyset pagination on (waiting_since, id) rides tickets_waiting.
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
WHERE t.tenant = %(tenant)s
  AND t.waiting_since IS NOT NULL
  AND (%(after_at)s::timestamptz IS NULL OR (t.waiting_since, t.id) > (%(after_at)s, %(after_id)s::uuid))
  AND (%(stage)s::ingest.lead_stage IS NULL OR t.stage = %(stage)s::ingest.lead_stage)
  AND (%(project_code)s::text IS NULL OR p.code = %(project_code)s)
  AND (%(assignee_user_id)s::text IS NULL OR t.assignee_user_id = %(assignee_user_id)s)
  AND (
      %(query)s::text IS NULL OR l.name ILIKE %(query_like)s OR l.phone_e164 LIKE %(query_like)s
      OR l.wa_id LIKE %(query_like)s OR l.username ILIKE %(query_like)s
  )
  AND (%(window_open)s::boolean IS NULL
       OR coalesce(t.last_inbound_at > now() - interval '24 hours', false) = %(window_open)s)
ORDER BY t.waiting_since, t.id
LIMIT %(limit)s
