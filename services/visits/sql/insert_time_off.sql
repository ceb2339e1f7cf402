INSERT INTO visits.availability_exceptions (tenant, agent_key, starts_at, ends_at, reason, created_by)
VALUES (%(tenant)s, %(agent_key)s, %(starts_at)s, %(ends_at)s, %(reason)s, %(created_by)s)
RETURNING id, agent_key, %(agent_user_id)s::text AS agent_user_id, starts_at, ends_at, reason
