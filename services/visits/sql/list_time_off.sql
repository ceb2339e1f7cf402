-- The agents' own time off and the tenant's holidays that overlap [from, to).
SELECT t.id, t.agent_key, coalesce(a.user_id, '') AS agent_user_id, t.starts_at, t.ends_at, t.reason
FROM visits.availability_exceptions t
LEFT JOIN visits.agents a ON a.key = t.agent_key
WHERE t.tenant = %(tenant)s AND (t.agent_key IS NULL OR t.agent_key = ANY(%(agent_keys)s::bigint[]))
  AND t.starts_at < %(to)s AND t.ends_at > %(from)s
ORDER BY t.starts_at, t.id
