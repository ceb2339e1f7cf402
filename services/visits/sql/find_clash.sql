-- The active visit of the agent that overlaps the requested slot (to name it in the 409).
SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND agent_user_id = %(agent_user_id)s AND status IN ('proposed', 'confirmed')
  AND starts_at < %(ends_at)s AND ends_at > %(starts_at)s
ORDER BY starts_at
LIMIT 1
