-- The project's agents who are active users now.
SELECT a.key, a.tenant, a.user_id, a.name, a.role, a.active, a.synced_at
FROM visits.project_agents pa JOIN visits.agents a ON a.key = pa.agent_key
WHERE pa.tenant = %(tenant)s AND pa.project_code = %(project_code)s AND a.active
ORDER BY a.user_id
