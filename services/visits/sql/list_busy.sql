-- The blocked time of the agents' active visits that overlaps [from, to).
SELECT agent_key, blocked_from, blocked_until FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND agent_key = ANY(%(agent_keys)s::bigint[]) AND status IN ('proposed', 'confirmed')
  AND blocked_until > %(from)s AND blocked_from < %(to)s
