UPDATE visits.calendar_tokens SET revoked_at = now()
WHERE tenant = %(tenant)s AND agent_key = %(agent_key)s AND revoked_at IS NULL
RETURNING id
