-- Upcoming active visits per agent: who is least loaded.
SELECT agent_key, count(*) AS visits FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND agent_key = ANY(%(agent_keys)s::bigint[]) AND status IN ('proposed', 'confirmed')
  AND blocked_until > %(now)s
GROUP BY agent_key
