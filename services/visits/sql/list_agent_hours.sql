SELECT agent_key, weekday, start_minute, end_minute FROM visits.agent_hours
WHERE tenant = %(tenant)s AND agent_key = ANY(%(agent_keys)s::bigint[])
ORDER BY agent_key, weekday, start_minute
