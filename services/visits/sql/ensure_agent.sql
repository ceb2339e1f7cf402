INSERT INTO visits.agents (tenant, user_id) VALUES (%(tenant)s, %(user_id)s)
ON CONFLICT (tenant, user_id) DO NOTHING
