-- An agent's active visits for the calendar feed (those that ended a while ago are left out).
SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND agent_key = %(agent_key)s AND status IN ('proposed', 'confirmed')
  AND blocked_until > %(since)s
ORDER BY starts_at, id
