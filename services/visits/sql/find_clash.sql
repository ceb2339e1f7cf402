-- The active visit of the agent whose blocked time overlaps the requested one (to name it in the 409).
SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND agent_key = %(agent_key)s AND status IN ('proposed', 'confirmed')
  AND blocked_from < %(blocked_until)s AND blocked_until > %(blocked_from)s
ORDER BY starts_at
LIMIT 1
