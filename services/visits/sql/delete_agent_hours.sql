DELETE FROM visits.agent_hours WHERE tenant = %(tenant)s AND agent_key = %(agent_key)s
