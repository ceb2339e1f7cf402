SELECT key, tenant, user_id, name, role, active, synced_at FROM visits.agents
WHERE tenant = %(tenant)s AND user_id = %(user_id)s
