-- The funnel: tickets per stage (every stage, zeros included, in the enum's order) and how many wait.
SELECT s.stage::text AS stage, count(t.id)::int AS count, count(t.waiting_since)::int AS waiting
FROM unnest(enum_range(NULL::ingest.lead_stage)) AS s (stage)
LEFT JOIN ingest.tickets t ON t.stage = s.stage AND t.tenant = %(tenant)s
    AND (%(assignee_user_id)s::text IS NULL OR t.assignee_user_id = %(assignee_user_id)s)
    AND (%(project_code)s::text IS NULL
         OR t.project_id = (SELECT id FROM ingest.projects WHERE tenant = %(tenant)s AND code = %(project_code)s))
GROUP BY s.stage
ORDER BY s.stage
